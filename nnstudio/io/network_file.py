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

The checks every field is read through are field_reader.py's; one layer's JSON, which the clipboard
shares, is layer_json.py's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.losses import LOSSES
from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.network import FLOAT_TYPES, MAX_SIZE
from nnstudio.core.paste_budget import expression_characters
from nnstudio.core.optim import OPTIMIZERS, OptimizerConfig
from nnstudio.core.runs import MAX_CURVE_POINTS, RunFieldError, run_from_json, run_to_json
from nnstudio.core.project import NORMALISATION_KINDS, DataChoice, DataChoiceError, Project, Sample
from nnstudio.atomic import atomic_write, check_target
from nnstudio.io.errors import NetworkFileError, UnsupportedVersionError
from nnstudio.io.field_reader import _Reader, text_cells
from nnstudio.io.layer_json import _cell, layer_to_json
from nnstudio.io.network_layers import SPATIAL_VERSION, check_layers, read_input, read_network
from nnstudio.io.spatial_layer_json import spatial_layer_to_json
from nnstudio.core.limits import (MAX_ACTIVATIONS, MAX_EXPRESSION_CHARACTERS, MAX_FILE_SAMPLES, MAX_LAYERS,
                                  MAX_PARAMETERS, MAX_RUN_ROWS, MAX_RUNS, MAX_SAMPLE_VALUES, NETWORK_FILE_BYTES,
                                  READ_MEMORY_FACTOR, READ_MEMORY_OVERHEAD, describe_bytes)
from nnstudio.io.bounded_json import JsonBudget, read_json
from nnstudio.io.reading import read_capped

FORMAT = "nnstudio.network"
#: The newest version this release reads. It writes version 1 for a network of dense layers only, so that every
#: older release still opens it, and version 2 (network_layers.SPATIAL_VERSION) where maps need it.
VERSION = 2
SUFFIX = ".nnstudio"
MAX_FILE_BYTES = NETWORK_FILE_BYTES

_TOP_KEYS = {
    "format", "version", "name", "description", "precision", "input", "layers", "output",
    "loss", "optimizer", "current", "samples", "layout", "normalisation", "runs", "training_data",
}
_DATA_KEYS = {"dataset", "folder", "test_fraction"}
_OPTIMIZER_KEYS = {"name", "learning_rate", "momentum", "beta1", "beta2", "epsilon", "l2"}
#: The most numbers a valid file holds in lists: weights, kernels and biases, samples, the current input and
#: target and the normalisation (maps of up to MAX_ACTIVATIONS values each), the layout and input shape, and the
#: runs' rows, curves and sizes. More is refused unread.
MAX_FILE_NUMBERS = (MAX_PARAMETERS + MAX_SAMPLE_VALUES + 4 * MAX_ACTIVATIONS + 2 * (MAX_LAYERS + 1) + 3
                    + MAX_RUNS * (6 * MAX_RUN_ROWS + 2 * MAX_CURVE_POINTS + MAX_LAYERS + 1))
#: The most lists a valid file holds: per layer its weights, their rows and its bias; per convolution its kernel's
#: lists (a k×k grid under MIN_NUMBERS values is left to json, a list a row and one around: two a value at most,
#: for 1×1 kernels); per sample its input and target; per run its rows, curve points and sizes; and the few lists
#: beside (labels, layout, input shape, …).
MAX_FILE_LISTS = (MAX_LAYERS * (MAX_SIZE + 2) + 2 * MAX_PARAMETERS + 2 * MAX_FILE_SAMPLES
                  + MAX_RUNS * (MAX_RUN_ROWS + MAX_CURVE_POINTS + 3) + (MAX_LAYERS + 1) + 17)


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
    _check_format(r, top, source)
    dtype = FLOAT_TYPES[r.choice(top.get("precision", "float64"), "precision", list(FLOAT_TYPES))]
    inp = r.obj(top["input"], "input", {"size", "labels", "image", "shape"}, {"size"})
    n_in, input_shape = read_input(r, inp, top["version"])
    image = _read_image(r, inp, n_in)
    raw_layers = r.list(top["layers"], "layers")
    geometries = check_layers(r, raw_layers, n_in, input_shape, top["version"])
    _check_expressions(r, top, raw_layers)
    network = read_network(r, raw_layers, geometries, n_in, input_shape, dtype)
    n_out = network.output_size
    out = r.obj(top.get("output", {}), "output", {"labels"})
    loss = r.choice(top.get("loss", "mse"), "loss", sorted(LOSSES))
    opt = _read_optimizer(r, top)
    x, x_text, y, y_text, target_known = _read_current(r, top, n_in, n_out, dtype)
    samples = _read_samples(r, top, n_in, n_out, dtype)
    normalisation = _read_normalisation(r, top, n_in)
    runs = _read_runs(r, top)
    training_data = _read_training_data(r, top)
    columns = _read_layout(r, top, len(network.layers))
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
            training_data=training_data,
        )
    except NetworkFileError:
        raise
    except NNStudioError as error:  # a rule checked by the core, e.g. precision of values
        raise NetworkFileError(str(error), "", source) from None


def _check_format(r: _Reader, top: dict[str, Any], source: str) -> None:
    """The format's name, and a version this nnstudio reads (a newer one refused by name)."""
    if not isinstance(top["format"], str) or top["format"] != FORMAT:  # (an array would compare item by item)
        raise r.fail("format", f"expected {FORMAT!r}, got {r.show(top['format'])}")
    version = top["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise r.fail("version", f"expected a whole number ≥ 1, got {r.show(version)}")
    if version > VERSION:
        raise UnsupportedVersionError(
            f"version {r.show(version)} was written by a newer nnstudio; this one reads up to version {VERSION}",
            "version", source)


def _read_image(r: _Reader, inp: dict[str, Any], n_in: int) -> tuple[int, int] | None:
    """The input's image shape (rows, columns), which must hold exactly its values; None when not an image."""
    if inp.get("image") is None:
        return None
    dims = r.list(inp["image"], "input.image", 2)
    h, w = (r.size(d, f"input.image[{i}]") for i, d in enumerate(dims))
    if h * w != n_in:
        raise r.fail("input.image", f"{h}×{w} does not hold input.size = {n_in} values")
    return (h, w)


def _read_optimizer(r: _Reader, top: dict[str, Any]) -> dict[str, Any]:
    """The optimiser's settings as OptimizerConfig takes them: its name and numbers ≥ 0."""
    opt_raw = r.obj(top.get("optimizer", {}), "optimizer", _OPTIMIZER_KEYS)
    opt: dict[str, Any] = {}
    for key, value in opt_raw.items():
        opt[key] = (r.choice(value, "optimizer.name", list(OPTIMIZERS)) if key == "name"
                    else r.number(value, f"optimizer.{key}", minimum=0.0))
    return opt


def _read_current(r: _Reader, top: dict[str, Any], n_in: int, n_out: int, dtype: np.dtype) -> tuple[
        np.ndarray | None, tuple[str | None, ...], np.ndarray | None, tuple[str | None, ...], bool]:
    """The input and target shown now, their typed text, and whether the target is known."""
    current = r.obj(top.get("current", {}), "current", {"input", "target"})
    x, x_text = r.vector(current["input"], "current.input", n_in, dtype) if "input" in current else (None, ())
    # `"target": null` is "no target yet" (Project.target_known); a file without the field keeps its old
    # meaning, a target of zeros that counts.
    target_known = current.get("target", ()) is not None
    y, y_text = (r.vector(current["target"], "current.target", n_out, dtype) if current.get("target") is not None
                 else (None, ()))
    return x, x_text, y, y_text, target_known


def _read_samples(r: _Reader, top: dict[str, Any], n_in: int, n_out: int, dtype: np.dtype) -> list[Sample]:
    """The named samples, their count and their numbers refused over the file's budgets before any is read."""
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
    return samples


def _read_normalisation(r: _Reader, top: dict[str, Any], n_in: int) -> dict[str, Any] | None:
    """The input normalisation (x − offset)/scale, one offset and one scale above 0 per input; None when none."""
    if top.get("normalisation") is None:
        return None
    raw_norm = r.obj(top["normalisation"], "normalisation", {"kind", "offset", "scale"}, {"kind", "offset", "scale"})
    kind = r.choice(raw_norm["kind"], "normalisation.kind", list(NORMALISATION_KINDS))
    offset = [r.number(v, f"normalisation.offset[{i}]") for i, v in
              enumerate(r.list(raw_norm["offset"], "normalisation.offset", n_in))]
    scale = [r.number(v, f"normalisation.scale[{i}]") for i, v in
             enumerate(r.list(raw_norm["scale"], "normalisation.scale", n_in))]
    if any(v <= 0 for v in scale):
        raise r.fail("normalisation.scale", "every scale must be above 0")
    return {"kind": kind, "offset": offset, "scale": scale}


def _read_runs(r: _Reader, top: dict[str, Any]) -> list[Any]:
    """The past training runs (core/runs.py reads each), refused over MAX_RUNS."""
    raw_runs = r.list(top.get("runs", []), "runs")
    if len(raw_runs) > MAX_RUNS:  # refused, not cut: a file nnstudio writes never holds more
        raise r.fail("runs", f"holds {len(raw_runs):,} runs; a file may hold at most {MAX_RUNS}")
    runs = []
    for i, raw_run in enumerate(raw_runs):
        try:
            runs.append(run_from_json(raw_run, f"runs[{i}]"))
        except RunFieldError as error:
            raise r.fail(error.field, error.reason) from None
    return runs


def _read_training_data(r: _Reader, top: dict[str, Any]) -> DataChoice | None:
    """The data the network trains on (core/project.py's DataChoice checks each field); None when not saved."""
    if top.get("training_data") is None:
        return None
    raw = r.obj(top["training_data"], "training_data", _DATA_KEYS, {"dataset"})
    dataset = r.string(raw["dataset"], "training_data.dataset")
    folder = r.string(raw.get("folder", ""), "training_data.folder")
    fraction = r.number(raw.get("test_fraction", 0.25), "training_data.test_fraction")
    try:
        return DataChoice(dataset, folder, fraction)
    except DataChoiceError as error:
        raise r.fail(f"training_data.{error.field}", error.reason) from None


def _read_layout(r: _Reader, top: dict[str, Any], layers: int) -> list[tuple[float, float]]:
    """Where each column of neurons was placed on the canvas (input first); empty when not saved."""
    layout_raw = r.obj(top.get("layout", {}), "layout", {"columns"})
    columns = []
    if "columns" in layout_raw:
        for i, pos in enumerate(r.list(layout_raw["columns"], "layout.columns", layers + 1)):
            px, py = r.list(pos, f"layout.columns[{i}]", 2)
            columns.append((r.number(px, f"layout.columns[{i}][0]"), r.number(py, f"layout.columns[{i}][1]")))
    return columns


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


def project_to_json(project: Project) -> dict[str, Any]:
    """The JSON object for `project` (plain lists, numbers and text)."""
    net = project.network
    layers = [spatial_layer_to_json(layer) if is_spatial(layer) else layer_to_json(layer) for layer in net.layers]

    def vector(values: np.ndarray, texts: tuple[str | None, ...]) -> list[float | str]:
        return [_cell(v, t) for v, t in zip(values.tolist(), texts)]

    inp: dict[str, Any] = {"size": net.input_size}
    if net.input_shape is not None:
        inp["shape"] = list(net.input_shape)
    if project.input_labels:
        inp["labels"] = list(project.input_labels)
    if project.input_image is not None:
        inp["image"] = list(project.input_image)
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": SPATIAL_VERSION if net.is_spatial or net.input_shape is not None else 1,
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
    if project.training_data is not None:
        choice = project.training_data
        data["training_data"] = {"dataset": choice.dataset, **({"folder": choice.folder} if choice.folder else {}),
                                 "test_fraction": choice.test_fraction}
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
