"""The person's own data: a CSV file, or a function they type, sampled over a range."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.expr import parse_expression
from nnstudio.data.dataset import Dataset, DatasetError

MAX_CSV_BYTES = 512 * 1024**2


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
             inputs: Sequence[str | int] | None = None, classification: bool | None = None) -> Dataset:
    """Read a CSV with a header row. `target` defaults to the last column, `inputs` to all others.

    A target column with any non-numeric value, or `classification=True`, is read as class
    labels (sorted names); otherwise as numbers. Input columns must be numeric.
    """
    p = Path(path)
    try:
        if p.stat().st_size > MAX_CSV_BYTES:
            raise DatasetError(f"{p}: larger than {MAX_CSV_BYTES // 2**20} MiB")
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DatasetError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{p}: is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{p}: not UTF-8 text") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
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
    x = np.empty((len(body), len(chosen)), dtype=np.float32)
    for r, row in enumerate(body):
        for c, index in enumerate(chosen):
            try:
                x[r, c] = float(row[index])
            except ValueError:
                raise DatasetError(f"{p}: line {r + 2}, column {header[index]!r}: {row[index]!r} is not a number"
                                   ) from None
    if not np.all(np.isfinite(x)):
        raise DatasetError(f"{p}: inputs hold NaN or infinite values")
    raw = [row[t].strip() for row in body]
    numeric = True
    try:
        values = np.array([float(v) for v in raw], dtype=np.float32)
    except ValueError:
        numeric = False
    if classification or not numeric:
        names = tuple(sorted(set(raw)))
        index = {name: i for i, name in enumerate(names)}
        y = np.array([index[v] for v in raw], dtype=np.int64)
        return Dataset(p.stem, x, y, names, feature_names=tuple(header[i] for i in chosen))
    if not np.all(np.isfinite(values)):
        raise DatasetError(f"{p}: target column {header[t]!r} holds NaN or infinite values")
    return Dataset(p.stem, x, values, None, feature_names=tuple(header[i] for i in chosen))


def from_function(text: str, n: int = 400, low: float = -1.0, high: float = 1.0, inputs: int = 2,
                  noise: float = 0.0, seed: int = 0) -> Dataset:
    """Regression data y = f(x1, x2, …) for a typed function such as `sin(x1) + x2^2`.

    Inputs are drawn uniformly from [low, high]; optional Gaussian noise is added to y.
    The function goes through the safe expression parser, never `eval`.
    """
    names = [f"x{i + 1}" for i in range(inputs)]
    try:
        expression = parse_expression(text, set(names))
    except NNStudioError as error:
        raise DatasetError(f"function: {error}") from None
    if not low < high:
        raise DatasetError(f"range: low ({low}) must be below high ({high})")
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, (n, inputs))
    y = np.asarray(expression.evaluate({name: x[:, i] for i, name in enumerate(names)}), dtype=np.float64)
    y = np.broadcast_to(y, (n,)).copy()
    if not np.all(np.isfinite(y)):
        bad = x[~np.isfinite(y)][0]
        raise DatasetError(f"function {text!r} is not finite at ({', '.join(f'{v:.3g}' for v in bad)}); "
                           "choose another range")
    if noise:
        y += rng.normal(0, noise, n)
    return Dataset(f"f = {text}", x.astype(np.float32), y.astype(np.float32), None, feature_names=tuple(names))
