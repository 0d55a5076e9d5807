"""The `.nnstudio` network file: JSON with a format name and a version.

Reading goes in three stages, as in Orange's readwrite: parse the JSON (refusing
NaN/Infinity tokens and invalid UTF-8, and any file whose reading would take more
than READ_MEMORY_FACTOR × its size + READ_MEMORY_OVERHEAD: see bounded_json.py, which
also reads long lists of numbers straight into numpy arrays), validate every field
against what is expected, then build the immutable `Project`. Every fault raises
`NetworkFileError` whose message names the field, e.g.
``layers[1].weights: expected 1×3, got 1×2``. A file of a newer version is refused
by name. Writing is atomic. `docs/file-format.md` describes the format.

A weight, bias or input value may be written as a number or as the expression a
person typed (`"1/sqrt(2)"`); an expression is evaluated on load and its text
kept, so the studio shows `1/√2` again after a round trip. Numbers are written
with Python's shortest exact repr, so floats round-trip bit for bit.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from nnstudio.core.activations import ACTIVATIONS, ParameterError, get_activation
from nnstudio.core.errors import NNStudioError, shorten
from nnstudio.core.expr import evaluate_number
from nnstudio.core.init import INITIALISERS, initial_weights
from nnstudio.core.losses import LOSSES
from nnstudio.core.network import FLOAT_TYPES, MAX_SIZE, DenseLayer, Network
from nnstudio.core.paste_budget import expression_characters
from nnstudio.core.optim import OPTIMIZERS, OptimizerConfig
from nnstudio.core.runs import MAX_CURVE_POINTS, RunFieldError, run_from_json, run_to_json
from nnstudio.core.project import NORMALISATION_KINDS, Project, Sample
from nnstudio.atomic import atomic_write, check_target
from nnstudio.io.errors import NetworkFileError, UnsupportedVersionError
from nnstudio.core.limits import (MAX_DRAWN_WEIGHTS, MAX_EXPRESSION_CHARACTERS, MAX_FILE_SAMPLES, MAX_LAYERS,
                                  MAX_PARAMETERS, MAX_RUN_ROWS, MAX_RUNS, MAX_SAMPLE_VALUES, NETWORK_FILE_BYTES,
                                  READ_MEMORY_FACTOR, READ_MEMORY_OVERHEAD, count_parameters, describe_bytes)
from nnstudio.io.bounded_json import JsonBudget, read_json
from nnstudio.io.reading import read_capped

FORMAT = "nnstudio.network"
VERSION = 1
SUFFIX = ".nnstudio"
MAX_FILE_BYTES = NETWORK_FILE_BYTES

_TOP_KEYS = {
    "format", "version", "name", "description", "precision", "input", "layers", "output",
    "loss", "optimizer", "current", "samples", "layout", "normalisation", "runs",
}
_LAYER_KEYS = {"size", "activation", "params", "weights", "bias"}
_OPTIMIZER_KEYS = {"name", "learning_rate", "momentum", "beta1", "beta2", "epsilon", "l2"}
#: The most numbers a valid file holds in lists: weights and biases, samples, the current input and
#: target, the normalisation, the layout, and the runs' rows, curves and sizes. More is refused unread.
MAX_FILE_NUMBERS = (MAX_PARAMETERS + MAX_SAMPLE_VALUES + 4 * MAX_SIZE + 2 * (MAX_LAYERS + 1)
                    + MAX_RUNS * (6 * MAX_RUN_ROWS + 2 * MAX_CURVE_POINTS + MAX_LAYERS + 1))
#: The most lists a valid file holds: per layer its weights, their rows and its bias; per sample its input
#: and target; per run its rows, curve points and sizes; and the few lists beside (labels, layout, …).
MAX_FILE_LISTS = (MAX_LAYERS * (MAX_SIZE + 2) + 2 * MAX_FILE_SAMPLES + MAX_RUNS * (MAX_RUN_ROWS + MAX_CURVE_POINTS + 3)
                  + (MAX_LAYERS + 1) + 16)


# ----------------------------------------------------------------------------- validation helpers


class _Reader:
    """Typed access to parsed JSON; every failure names the field it was reading."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.evaluated: dict[str, float] = {}  # each distinct expression is evaluated once

    def fail(self, field: str, message: str) -> NetworkFileError:
        return NetworkFileError(message, field, self.source)

    @staticmethod
    def show(value: Any) -> str:
        """A value as a message quotes it: repr, cut to 40 characters (a 4,000-digit number stays one line)."""
        return shorten(repr(value), 40)

    def kind(self, value: Any) -> str:
        if value is None or isinstance(value, float) and math.isnan(value):  # NaN in a read file is null
            return "null"
        if isinstance(value, np.ndarray):  # a list of numbers, as bounded_json reads it
            return "a list"
        if isinstance(value, bool):
            return "true/false"
        return {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}.get(
            type(value), type(value).__name__
        )

    def obj(self, value: Any, field: str, keys: set[str], required: set[str] = frozenset()) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(field, f"expected an object, got {self.kind(value)}")
        unknown = sorted(set(value) - keys)
        if unknown:
            raise self.fail(f"{field}.{unknown[0]}" if field else unknown[0],
                            f"unknown field (expected one of: {', '.join(sorted(keys))})")
        for key in sorted(required):
            if key not in value:
                raise self.fail(f"{field}.{key}" if field else key, "missing")
        return value

    def list(self, value: Any, field: str, length: int | None = None) -> list[Any] | np.ndarray:
        """A list, or the array a list of numbers was read as (its items are then floats or rows)."""
        if not isinstance(value, (list, np.ndarray)) or isinstance(value, np.ndarray) and value.ndim == 0:
            raise self.fail(field, f"expected a list, got {self.kind(value)}")
        if length is not None and len(value) != length:
            raise self.fail(field, f"expected {length} entries, got {len(value)}")
        return value

    def string(self, value: Any, field: str) -> str:
        if not isinstance(value, str):
            raise self.fail(field, f"expected text, got {self.kind(value)}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:  # JSON lets "\ud800" through; no file or terminal can hold it
            raise self.fail(field, f"holds an unpaired surrogate \\u{ord(value[error.start]):04x} at character "
                                   f"{error.start + 1}, which is not text") from None
        return value

    def size(self, value: Any, field: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(field, f"expected a whole number from 1 to {MAX_SIZE}, got {self.kind(value)}")
        if not 1 <= value <= MAX_SIZE:
            raise self.fail(field, f"expected a whole number from 1 to {MAX_SIZE}, got {self.show(value)}")
        return value

    def number(self, value: Any, field: str, minimum: float | None = None) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or isinstance(value, float) and \
                math.isnan(value):
            raise self.fail(field, f"expected a number, got {self.kind(value)}")
        try:
            result = float(value)
        except OverflowError:
            result = math.inf
        if not math.isfinite(result):
            raise self.fail(field, "expected a finite number")
        if minimum is not None and result < minimum:
            raise self.fail(field, f"expected a number ≥ {minimum:g}, got {result:g}")
        return result

    def value(self, value: Any, field: str) -> tuple[float, str | None]:
        """A number, or an expression string evaluated with the safe parser (text kept)."""
        if isinstance(value, str):
            known = self.evaluated.get(value)
            if known is not None:
                return known, value
            try:
                known = self.evaluated[value] = evaluate_number(value)
            except NNStudioError as error:
                raise self.fail(field, f"invalid expression: {error}") from None
            return known, value
        return self.number(value, field), None

    def vector(self, value: Any, field: str, length: int,
               dtype: np.dtype = np.dtype(np.float64)) -> tuple[np.ndarray, tuple[str | None, ...]]:
        items = self.list(value, field, length)
        if isinstance(items, np.ndarray):  # plain numbers, read by numpy
            if items.ndim != 1:
                raise self.fail(f"{field}[0]", "expected a number, got a list")
            values = self.finite(items, field)
            self.fits(values, dtype, field)
            return values, (None,) * length
        pairs = [self.value(item, f"{field}[{i}]") for i, item in enumerate(items)]
        values = np.array([p[0] for p in pairs], dtype=float)
        self.fits(values, dtype, field)
        return values, tuple(p[1] for p in pairs)

    def finite(self, values: np.ndarray, field: str) -> np.ndarray:
        """An array read from the file's numbers, refused at its first null (NaN) or overflow (inf), by index."""
        finite = np.isfinite(values)
        if not finite.all():
            where = tuple(int(i) for i in np.argwhere(~finite)[0])
            self.number(float(values[where]), f"{field}{''.join(f'[{i}]' for i in where)}")
        return values

    def fits(self, values: np.ndarray, dtype: np.dtype, field: str) -> None:
        """Refuse a value the file's precision cannot hold (1e300 in float32 would become inf)."""
        if np.dtype(dtype) == np.float64:
            return
        limit = float(np.finfo(dtype).max)
        if values.size == 0 or values.max() <= limit and values.min() >= -limit:  # no temporary array as large
            return
        too_large = np.abs(values) > limit
        if np.any(too_large):
            where = np.argwhere(too_large)[0]
            index = "".join(f"[{i}]" for i in where)
            raise self.fail(f"{field}{index}", f"{values[tuple(where)]:g} does not fit in {np.dtype(dtype)} "
                                               f"(limit ±{limit:.4g}); use precision float64")

    def choice(self, value: Any, field: str, known: list[str], resolve: Callable[[str], str] | None = None) -> str:
        """A name from `known` (or one `resolve` accepts, e.g. an alias)."""
        name = self.string(value, field)
        if name in known:
            return name
        if resolve is not None:
            try:
                return resolve(name)
            except NNStudioError:
                pass
        raise self.fail(field, f"unknown name {self.show(name)}; expected one of: {', '.join(known)}")


# ----------------------------------------------------------------------------- reading


def read_memory(size: int) -> int:
    """The most memory reading a file of `size` bytes may take (core/limits.py)."""
    return READ_MEMORY_FACTOR * size + READ_MEMORY_OVERHEAD


def _parse_owned(owned: list[bytes], source: str) -> Any:
    """The JSON of the bytes in `owned`, taken out of it so they are freed as soon as the parse is done;
    long lists of numbers come back as read-only numpy arrays (null as NaN). See bounded_json.py."""
    size = len(owned[0])
    if size > MAX_FILE_BYTES:
        raise NetworkFileError(f"is {describe_bytes(size)}; a network file may be at most "
                               f"{describe_bytes(MAX_FILE_BYTES)}", "", source)
    budget = JsonBudget(read_memory(size), f"{READ_MEMORY_FACTOR} × its size + {describe_bytes(READ_MEMORY_OVERHEAD)}",
                        MAX_FILE_NUMBERS, MAX_FILE_LISTS)
    return read_json(owned, budget, lambda message: NetworkFileError(message, "", source))


def _parse_json(data: bytes, source: str) -> Any:
    """The JSON of `data`, read as `_parse_owned` reads it, for a caller that keeps its bytes (a paste)."""
    return _parse_owned([data], source)


def _read_layer(r: _Reader, raw: Any, index: int, n_in: int, dtype: np.dtype) -> DenseLayer:
    field = f"layers[{index}]"
    spec = r.obj(raw, field, _LAYER_KEYS, {"size", "activation", "weights"})
    n_out = r.size(spec["size"], f"{field}.size")
    activation = r.choice(spec["activation"], f"{field}.activation", sorted(ACTIVATIONS),
                          lambda name: get_activation(name).name)
    params_raw = r.obj(spec.get("params", {}), f"{field}.params", set(ACTIVATIONS[activation].defaults))
    params = {k: r.number(v, f"{field}.params.{k}") for k, v in params_raw.items()}
    try:  # a parameter the file's precision cannot hold (ELU α = 1e308 in float32 gives −inf), by field
        ACTIVATIONS[activation].check_fits(params, dtype)
    except ParameterError as error:
        raise r.fail(f"{field}.params.{error.key}", error.reason) from None

    weight_text: dict[tuple[int, int], str] = {}
    raw_w = spec["weights"]
    if isinstance(raw_w, dict):  # {"init": "he", "seed": 1}: drawn by a seeded initialiser
        init = r.obj(raw_w, f"{field}.weights", {"init", "seed", "params"}, {"init"})
        name = r.choice(init["init"], f"{field}.weights.init", sorted(INITIALISERS))
        seed = init.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise r.fail(f"{field}.weights.seed", f"expected a whole number ≥ 0, got {r.kind(seed)}")
        extra = r.obj(init.get("params", {}), f"{field}.weights.params", set(INITIALISERS[name].defaults))
        values = {k: r.number(v, f"{field}.weights.params.{k}") for k, v in extra.items()}
        try:
            weights = initial_weights((n_out, n_in), name, np.random.default_rng(seed), values)
        except NNStudioError as error:
            raise r.fail(f"{field}.weights.params", str(error)) from None
    elif isinstance(raw_w, np.ndarray) and raw_w.ndim == 2:  # rows of plain numbers, read by numpy at once
        if raw_w.shape != (n_out, n_in):
            raise r.fail(f"{field}.weights", f"expected {n_out}×{n_in}, got {raw_w.shape[0]}×{raw_w.shape[1]}")
        weights = r.finite(raw_w, f"{field}.weights")
    else:
        rows = r.list(raw_w, f"{field}.weights")

        def is_row(row: Any) -> bool:
            return isinstance(row, list) or isinstance(row, np.ndarray) and row.ndim == 1

        shape_ok = len(rows) == n_out and all(is_row(row) and len(row) == n_in for row in rows)
        if not shape_ok:
            got_cols = {len(row) for row in rows if is_row(row)}
            cols = str(got_cols.pop()) if len(got_cols) == 1 and all(is_row(x) for x in rows) else "?"
            raise r.fail(f"{field}.weights", f"expected {n_out}×{n_in}, got {len(rows)}×{cols}")
        weights = np.empty((n_out, n_in))
        for i, row in enumerate(rows):
            if isinstance(row, np.ndarray):  # a row of plain numbers, read by numpy
                weights[i] = r.finite(row, f"{field}.weights[{i}]")
                continue
            if all(type(item) is float or type(item) is int for item in row):  # fast path: plain numbers
                try:
                    weights[i] = row
                    if np.all(np.isfinite(weights[i])):
                        continue
                except OverflowError:
                    pass
            for j, item in enumerate(row):  # expressions, or a fault to name precisely
                weights[i, j], text = r.value(item, f"{field}.weights[{i}][{j}]")
                if text is not None:
                    weight_text[(i, j)] = text
    r.fits(weights, dtype, f"{field}.weights")

    bias_text: dict[int, str] = {}
    bias = None
    if spec.get("bias") is not None:
        bias, texts = r.vector(spec["bias"], f"{field}.bias", n_out, dtype)
        bias_text = {i: t for i, t in enumerate(texts) if t is not None}
    # No copy when the precision is float64, and a float32 copy replaces the float64 one at once (a drawn layer
    # may be 32 MiB); frozen here, so DenseLayer adopts it rather than keeping a copy of its own.
    weights = weights.astype(dtype, copy=False)
    if weights.base is None:
        weights.setflags(write=False)
    return DenseLayer(weights, None if bias is None else bias.astype(dtype, copy=False), activation, params,
                      weight_text, bias_text)


def _check_budget(r: _Reader, raw_layers: list[Any], n_in: int) -> None:
    """Refuse a network over the layer or parameter budget from its sizes, before any weight is read or drawn."""
    if len(raw_layers) > MAX_LAYERS:
        raise r.fail("layers", f"holds {len(raw_layers)} layers; a network may have at most {MAX_LAYERS}")
    sizes, biases = [n_in], []
    for index, raw in enumerate(raw_layers):
        spec = r.obj(raw, f"layers[{index}]", _LAYER_KEYS, {"size", "activation", "weights"})
        sizes.append(r.size(spec["size"], f"layers[{index}].size"))
        biases.append(spec.get("bias") is not None)
    total = count_parameters(sizes, biases)
    if total > MAX_PARAMETERS:
        raise r.fail("layers", f"the network would hold {total:,} weights and biases; "
                               f"a network may hold at most {MAX_PARAMETERS:,}")
    drawn = sum(sizes[i] * sizes[i + 1] for i, raw in enumerate(raw_layers) if isinstance(raw.get("weights"), dict))
    if drawn > MAX_DRAWN_WEIGHTS:
        raise r.fail("layers", f"asks for {drawn:,} weights drawn by an initialiser; a file may ask for at most "
                               f"{MAX_DRAWN_WEIGHTS:,} (a file costs what its size allows: save a larger network "
                               f"with its weights written out)")


def text_cells(value: Any) -> Iterator[str]:
    """The strings (typed expressions) in a vector or a list of rows as parsed, whatever else it holds."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item
            elif isinstance(item, list):
                yield from (cell for cell in item if isinstance(cell, str))


def _expression_cells(top: dict[str, Any], raw_layers: list[Any] | np.ndarray) -> Iterator[str]:
    """The text cells where numbers go (weights, biases, inputs, targets), found before any is evaluated."""
    for raw in raw_layers:
        if isinstance(raw, dict):
            yield from text_cells(raw.get("weights"))
            yield from text_cells(raw.get("bias"))
    current = top.get("current")
    if isinstance(current, dict):
        yield from text_cells(current.get("input"))
        yield from text_cells(current.get("target"))
    samples = top.get("samples")
    for sample in samples if isinstance(samples, list) else ():
        if isinstance(sample, dict):
            yield from text_cells(sample.get("input"))
            yield from text_cells(sample.get("target"))


def _check_expressions(r: _Reader, top: dict[str, Any], raw_layers: list[Any] | np.ndarray) -> None:
    """Refuse a file whose expressions pass MAX_EXPRESSION_CHARACTERS, before any is evaluated.

    Each costs a few microseconds a character in the safe parser (benchmarks/bench_load.py), so the budget
    bounds how long a file takes to load. A text met again is not evaluated again (_Reader.value), so each
    distinct text counts once; plain numbers written as text do not count, as in a paste."""
    total = expression_characters(set(_expression_cells(top, raw_layers)))
    if total > MAX_EXPRESSION_CHARACTERS:
        raise r.fail("", f"holds {total:,} characters of expressions (each distinct one counted once); a file "
                         f"may hold at most {MAX_EXPRESSION_CHARACTERS:,} (plain numbers do not count)")


def _read_labels(r: _Reader, value: Any, field: str, size: int) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(r.string(v, f"{field}[{i}]") for i, v in enumerate(r.list(value, field, size)))


def project_from_json(data: Any, source: str = "") -> Project:
    """Validate parsed JSON and build the Project; raises NetworkFileError."""
    r = _Reader(source)
    top = r.obj(data, "", _TOP_KEYS, {"format", "version", "input", "layers"})
    if not isinstance(top["format"], str) or top["format"] != FORMAT:  # (an array would compare item by item)
        raise r.fail("format", f"expected {FORMAT!r}, got {r.show(top['format'])}")
    version = top["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise r.fail("version", f"expected a whole number ≥ 1, got {r.show(version)}")
    if version > VERSION:
        raise UnsupportedVersionError(
            f"version {r.show(version)} was written by a newer nnstudio; this one reads up to version {VERSION}",
            "version", source)

    dtype = FLOAT_TYPES[r.choice(top.get("precision", "float64"), "precision", list(FLOAT_TYPES))]

    inp = r.obj(top["input"], "input", {"size", "labels", "image"}, {"size"})
    n_in = r.size(inp["size"], "input.size")
    image = None
    if inp.get("image") is not None:
        dims = r.list(inp["image"], "input.image", 2)
        h, w = (r.size(d, f"input.image[{i}]") for i, d in enumerate(dims))
        if h * w != n_in:
            raise r.fail("input.image", f"{h}×{w} does not hold input.size = {n_in} values")
        image = (h, w)

    raw_layers = r.list(top["layers"], "layers")
    _check_budget(r, raw_layers, n_in)
    _check_expressions(r, top, raw_layers)
    layers = []
    previous = n_in
    for index, raw in enumerate(raw_layers):
        layer = _read_layer(r, raw, index, previous, dtype)
        layers.append(layer)
        previous = layer.n_out
    network = Network(n_in, tuple(layers))
    n_out = network.output_size

    out = r.obj(top.get("output", {}), "output", {"labels"})
    loss = r.choice(top.get("loss", "mse"), "loss", sorted(LOSSES))
    opt_raw = r.obj(top.get("optimizer", {}), "optimizer", _OPTIMIZER_KEYS)
    opt: dict[str, Any] = {}
    for key, value in opt_raw.items():
        opt[key] = (r.choice(value, "optimizer.name", list(OPTIMIZERS)) if key == "name"
                    else r.number(value, f"optimizer.{key}", minimum=0.0))

    current = r.obj(top.get("current", {}), "current", {"input", "target"})
    x, x_text = r.vector(current["input"], "current.input", n_in, dtype) if "input" in current else (None, ())
    # `"target": null` is "no target yet" (Project.target_known); a file without the field keeps its old
    # meaning, a target of zeros that counts.
    target_known = current.get("target", ()) is not None
    y, y_text = (r.vector(current["target"], "current.target", n_out, dtype) if current.get("target") is not None
                 else (None, ()))

    samples = []
    raw_samples = r.list(top.get("samples", []), "samples")
    if len(raw_samples) > MAX_FILE_SAMPLES:
        raise r.fail("samples", f"holds {len(raw_samples):,} samples; a file may hold at most {MAX_FILE_SAMPLES:,}")
    if len(raw_samples) * (n_in + n_out) > MAX_SAMPLE_VALUES:
        raise r.fail("samples", f"{len(raw_samples):,} samples of {n_in} inputs and {n_out} targets hold "
                                f"{len(raw_samples) * (n_in + n_out):,} numbers; a file may hold at most "
                                f"{MAX_SAMPLE_VALUES:,}")
    for i, raw in enumerate(raw_samples):
        s = r.obj(raw, f"samples[{i}]", {"name", "input", "target"}, {"input", "target"})
        sx, sx_text = r.vector(s["input"], f"samples[{i}].input", n_in, dtype)
        sy, sy_text = r.vector(s["target"], f"samples[{i}].target", n_out, dtype)
        samples.append(Sample(r.string(s.get("name", f"sample {i + 1}"), f"samples[{i}].name"),
                              sx, sy, sx_text, sy_text))

    normalisation = None
    if top.get("normalisation") is not None:
        raw_norm = r.obj(top["normalisation"], "normalisation", {"kind", "offset", "scale"}, {"kind", "offset", "scale"})
        kind = r.choice(raw_norm["kind"], "normalisation.kind", list(NORMALISATION_KINDS))
        offset = [r.number(v, f"normalisation.offset[{i}]") for i, v in
                  enumerate(r.list(raw_norm["offset"], "normalisation.offset", n_in))]
        scale = [r.number(v, f"normalisation.scale[{i}]") for i, v in
                 enumerate(r.list(raw_norm["scale"], "normalisation.scale", n_in))]
        if any(v <= 0 for v in scale):
            raise r.fail("normalisation.scale", "every scale must be above 0")
        normalisation = {"kind": kind, "offset": offset, "scale": scale}

    raw_runs = r.list(top.get("runs", []), "runs")
    if len(raw_runs) > MAX_RUNS:  # refused, not cut: a file nnstudio writes never holds more
        raise r.fail("runs", f"holds {len(raw_runs):,} runs; a file may hold at most {MAX_RUNS}")
    runs = []
    for i, raw_run in enumerate(raw_runs):
        try:
            runs.append(run_from_json(raw_run, f"runs[{i}]"))
        except RunFieldError as error:
            raise r.fail(error.field, error.reason) from None

    layout_raw = r.obj(top.get("layout", {}), "layout", {"columns"})
    columns = []
    if "columns" in layout_raw:
        for i, pos in enumerate(r.list(layout_raw["columns"], "layout.columns", len(layers) + 1)):
            px, py = r.list(pos, f"layout.columns[{i}]", 2)
            columns.append((r.number(px, f"layout.columns[{i}][0]"), r.number(py, f"layout.columns[{i}][1]")))

    try:
        return Project(
            network=network,
            loss=loss,
            optimizer=OptimizerConfig(**opt),
            input=x,
            target=y,
            input_text=x_text,
            target_text=y_text,
            target_known=target_known,
            samples=tuple(samples),
            input_labels=_read_labels(r, inp.get("labels"), "input.labels", n_in),
            output_labels=_read_labels(r, out.get("labels"), "output.labels", n_out),
            input_image=image,
            layout=tuple(columns),
            name=r.string(top.get("name", ""), "name"),
            description=r.string(top.get("description", ""), "description"),
            normalisation=normalisation,
            runs=tuple(runs),
        )
    except NetworkFileError:
        raise
    except NNStudioError as error:  # a rule checked by the core, e.g. precision of values
        raise NetworkFileError(str(error), "", source) from None


def loads(data: bytes | str, source: str = "") -> Project:
    """Read a project from the bytes (or text) of a `.nnstudio` file."""
    owned = [data.encode("utf-8") if isinstance(data, str) else data]
    return project_from_json(_parse_owned(owned, source), source)


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read a `.nnstudio` file; raises NetworkFileError naming the file on any fault. The bytes read are
    handed over to the parser, which drops them once they are parsed."""
    source = Path(path).name or str(path)
    return project_from_json(_parse_owned([read_capped(path, MAX_FILE_BYTES, NetworkFileError, "network file")],
                                          source), source)


# ----------------------------------------------------------------------------- writing


def _cell(value: float, text: str | None) -> float | str:
    return text if text is not None else float(value)


def layer_to_json(layer: DenseLayer) -> dict[str, Any]:
    """One layer as the file writes it: size, activation, params, weights and bias, typed text kept."""
    entry: dict[str, Any] = {"size": layer.n_out, "activation": layer.activation}
    if layer.params:
        entry["params"] = dict(layer.params)
    entry["weights"] = [
        [_cell(layer.weights[i, j], layer.weight_text.get((i, j))) for j in range(layer.n_in)]
        for i in range(layer.n_out)
    ]
    entry["bias"] = None if layer.bias is None else [
        _cell(layer.bias[i], layer.bias_text.get(i)) for i in range(layer.n_out)
    ]
    return entry


def project_to_json(project: Project) -> dict[str, Any]:
    """The JSON object for `project` (plain lists, numbers and text)."""
    net = project.network
    layers = [layer_to_json(layer) for layer in net.layers]

    def vector(values: np.ndarray, texts: tuple[str | None, ...]) -> list[float | str]:
        return [_cell(v, t) for v, t in zip(values.tolist(), texts)]

    inp: dict[str, Any] = {"size": net.input_size}
    if project.input_labels:
        inp["labels"] = list(project.input_labels)
    if project.input_image is not None:
        inp["image"] = list(project.input_image)
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "name": project.name,
        "description": project.description,
        "precision": str(net.dtype),
        "input": inp,
        "layers": layers,
        "output": {"labels": list(project.output_labels)} if project.output_labels else {},
        "loss": project.loss,
        "optimizer": {k: getattr(project.optimizer, k) for k in sorted(_OPTIMIZER_KEYS)},
        "current": {
            "input": vector(project.input, project.input_text),
            "target": vector(project.target, project.target_text) if project.target_known else None,
        },
        "samples": [
            {"name": s.name, "input": vector(s.input, s.input_text), "target": vector(s.target, s.target_text)}
            for s in project.samples
        ],
    }
    if project.layout:
        data["layout"] = {"columns": [list(p) for p in project.layout]}
    if project.runs:
        data["runs"] = [run_to_json(run) for run in project.runs]
    if project.normalisation is not None:
        norm = project.normalisation
        data["normalisation"] = {"kind": norm["kind"], "offset": norm["offset"].tolist(),
                                 "scale": norm["scale"].tolist()}
    return data


def _format(value: Any, indent: int) -> str:
    """JSON text where a list of plain values (a matrix row, a vector) stays on one line."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad} {json.dumps(k, ensure_ascii=False)}: {_format(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [f"{pad} {_format(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def dumps(project: Project) -> str:
    """The text of a `.nnstudio` file: indented, one matrix row per line, floats exact."""
    return _format(project_to_json(project), 0) + "\n"


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write `project` to `path` atomically (temp file in the same folder, then rename).

    A file nnstudio could not open again (over the size budget) is refused, not written; so is a target
    that is not a regular file or a new name (a FIFO, device, socket, folder or symbolic link), before
    the text is made.
    """
    check_target(path)
    data = dumps(project).encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise NetworkFileError(f"would be {describe_bytes(len(data))}; a network file may be at most "
                               f"{describe_bytes(MAX_FILE_BYTES)} (save the weights as .npz instead)", "", str(path))
    atomic_write(path, data)
