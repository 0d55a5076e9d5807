"""One dense layer as JSON, read field by field and written: a layer of a `.nnstudio` file (network_file.py)
and a layer on the clipboard (layer_clipboard.py) are the same text, read by the same checks.

Weights are written out (rows of numbers or of typed expressions, the text kept) or asked of a seeded
initialiser (`{"init": "he", "seed": 1}`); either way the layer is checked against the size it is said
to have and the precision it is read at before it is built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnstudio.core.activations import ACTIVATIONS, ParameterError, get_activation
from nnstudio.core.errors import NNStudioError
from nnstudio.core.init import INITIALISERS, initial_weights
from nnstudio.core.network import DenseLayer
from nnstudio.io.field_reader import _Reader

_LAYER_KEYS = {"type", "size", "activation", "params", "weights", "bias"}  # "type": "dense" may be said


def read_initialiser(r: _Reader, raw: Any, field: str) -> tuple[str, np.random.Generator, dict[str, float]]:
    """`{"init": "he", "seed": 1, "params": {…}}` read by field: the initialiser's name, a generator seeded as
    the file says (0 when it says none) and its parameters. A convolution's kernel is asked of one the same way
    (spatial_layer_json.py)."""
    init = r.obj(raw, field, {"init", "seed", "params"}, {"init"})
    name = r.choice(init["init"], f"{field}.init", sorted(INITIALISERS))
    seed = init.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise r.fail(f"{field}.seed", f"expected a whole number ≥ 0, got {r.kind(seed)}")
    extra = r.obj(init.get("params", {}), f"{field}.params", set(INITIALISERS[name].defaults))
    return name, np.random.default_rng(seed), {k: r.number(v, f"{field}.params.{k}") for k, v in extra.items()}


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
        name, rng, values = read_initialiser(r, raw_w, f"{field}.weights")
        try:
            weights = initial_weights((n_out, n_in), name, rng, values)
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
