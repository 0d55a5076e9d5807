"""The person's own data: a CSV file, or a function they type, sampled over a range."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from nnstudio.core.errors import NNStudioError, shorten
from nnstudio.core.expr import parse_expression
from nnstudio.data.dataset import Dataset, DatasetError
from nnstudio.core.limits import CSV_BYTES, check_dataset_size
from nnstudio.io.reading import read_capped

MAX_CSV_BYTES = CSV_BYTES
BINARY_CLASSES = ("0", "1")  # the classes of a numeric target that holds only 0s and 1s


def _column(header: list[str], wanted: str | int, path: str) -> int:
    if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.isdigit()):
        index = int(wanted)
        if not 0 <= index < len(header):
            raise DatasetError(f"{path}: there is no column {index} (the file has {len(header)})")
        return index
    if wanted not in header:
        raise DatasetError(f"{path}: no column called {wanted!r}; columns: {', '.join(header)}")
    return header.index(wanted)


def load_csv(path: str | os.PathLike[str], target: str | int | None = None,
             inputs: Sequence[str | int] | None = None, classification: bool | None = None,
             dtype: str = "float32") -> Dataset:
    """Read a CSV with a header row. `target` defaults to the last column, `inputs` to all others.

    A target column with any non-numeric value, or `classification=True`, is read as class
    labels (sorted names). A numeric target holding only 0s and 1s is two classes, "0" and "1"
    (unless `classification=False`): such a column is a yes/no label, and as classes it gets an
    accuracy, a confusion matrix and the class colours; a one-output network trains on the same
    0/1 column as before (`Dataset.targets`). Any other numeric target is a regression. Input
    columns must be numeric. Values are kept in `dtype` (float64 for a float64 run).
    """
    p = Path(path)
    data = read_capped(p, MAX_CSV_BYTES, DatasetError, "CSV file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetError(f"{p}: not UTF-8 text (byte {error.start})") from None
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as error:  # e.g. a field longer than the csv module's limit, a NUL byte
        raise DatasetError(f"{p}: not readable as CSV ({error})") from None
    if not rows:
        raise DatasetError(f"{p}: the file is empty")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    if not body:
        raise DatasetError(f"{p}: has a header but no data rows")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DatasetError(f"{p}: line {number} has {len(row)} values, the header has {len(header)}")
    t = _column(header, target if target is not None else len(header) - 1, str(p))
    chosen = [_column(header, c, str(p)) for c in inputs] if inputs else [i for i in range(len(header)) if i != t]
    if t in chosen:
        raise DatasetError(f"{p}: column {header[t]!r} cannot be both an input and the target")
    check_dataset_size(str(p), len(body), len(chosen), DatasetError)
    x = np.empty((len(body), len(chosen)), dtype=np.float64)
    for r, row in enumerate(body):
        for c, index in enumerate(chosen):
            try:
                x[r, c] = float(row[index])
            except ValueError:
                raise DatasetError(f"{p}: line {r + 2}, column {header[index]!r}: {row[index]!r} is not a number"
                                   ) from None
    _check_float32(x, lambda r, c: f"{p}: line {r + 2}, column {header[chosen[c]]!r}")
    raw = [row[t].strip() for row in body]
    numeric = True
    try:
        values = np.array([float(v) for v in raw], dtype=np.float64)
    except ValueError:
        numeric = False
    if classification or not numeric:
        names = tuple(sorted(set(raw)))
        index = {name: i for i, name in enumerate(names)}
        y = np.array([index[v] for v in raw], dtype=np.int64)
        return Dataset(p.stem, x.astype(dtype), y, names, feature_names=tuple(header[i] for i in chosen))
    _check_float32(values[:, None], lambda r, c: f"{p}: line {r + 2}, target column {header[t]!r}")
    if classification is None and _zeros_and_ones(values):
        return Dataset(p.stem, x.astype(dtype), values.astype(np.int64), BINARY_CLASSES,
                       feature_names=tuple(header[i] for i in chosen))
    return Dataset(p.stem, x.astype(dtype), values.astype(dtype), None,
                   feature_names=tuple(header[i] for i in chosen))


def _zeros_and_ones(values: np.ndarray) -> bool:
    """True when every value is 0 or 1 (1.0 and 0.0 too): a yes/no label rather than a quantity."""
    return bool(np.all((values == 0) | (values == 1)))


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _unfit_for_float32(values: np.ndarray) -> np.ndarray:
    """Where `values` (float64) are NaN, infinite or beyond what float32 can hold (1e39)."""
    return ~np.isfinite(values) | (np.abs(np.nan_to_num(values)) > _FLOAT32_MAX)


def _check_float32(values: np.ndarray, where: Callable[[int, int], str]) -> None:
    """Refuse NaN, infinity or a value float32 cannot hold, naming the first such cell."""
    bad = _unfit_for_float32(values)
    if np.any(bad):
        r, c = (int(i) for i in np.argwhere(bad)[0])
        value = values[r, c]
        reason = "is not a finite number" if not np.isfinite(value) else \
            f"does not fit in float32 (limit ±{_FLOAT32_MAX:.4g})"
        raise DatasetError(f"{where(r, c)}: {value:g} {reason}")


def from_function(text: str, n: int = 400, low: float = -1.0, high: float = 1.0, inputs: int = 2,
                  noise: float = 0.0, seed: int = 0, dtype: str = "float32") -> Dataset:
    """Regression data y = f(x1, x2, …) for a typed function such as `sin(x1) + x2^2`.

    Inputs are drawn uniformly from [low, high]; optional Gaussian noise is added to y.
    The function goes through the safe expression parser, never `eval`. Values are kept in `dtype`.
    """
    check_dataset_size("function", n, inputs, DatasetError)
    names = [f"x{i + 1}" for i in range(inputs)]
    try:
        expression = parse_expression(text, set(names))
    except NNStudioError as error:
        raise DatasetError(f"function: {error}") from None
    if not low < high:
        raise DatasetError(f"range: low ({low}) must be below high ({high})")
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, (n, inputs))
    try:
        y = np.asarray(expression.evaluate({name: x[:, i] for i, name in enumerate(names)}), dtype=np.float64)
    except NNStudioError as error:
        raise DatasetError(f"function: {error}") from None
    y = np.broadcast_to(y, (n,)).copy()
    if noise:
        y += rng.normal(0, noise, n)
    bad = _unfit_for_float32(y)
    if np.any(bad):
        at = x[bad][0]
        reason = "is not finite" if not np.isfinite(y[bad][0]) else \
            f"is {y[bad][0]:.3g}, beyond float32's ±{_FLOAT32_MAX:.3g}"
        raise DatasetError(f"function {shorten(text)!r} {reason} at ({', '.join(f'{v:.3g}' for v in at)}); "
                           "choose another function or range")
    return Dataset(f"f = {text}", x.astype(dtype), y.astype(dtype), None, feature_names=tuple(names))
