"""The input normalisation an ONNX graph computes before its first layer, as nnstudio's (x − offset)/scale.

Converters put a scikit-learn StandardScaler, or a hand-written (x − mean)/std, in front of the network as
an ONNX-ML Scaler or as Sub, Add, Div, Mul by constants (onnx_layers.py finds those nodes). Each is composed
onto the map so far, so any order of them becomes one offset and one scale per input, kept with the
network as Project.normalisation. What has no such form (a factor of 0, a negative scale) is refused with
the way to write the same network.
"""

from __future__ import annotations

import numpy as np

from nnstudio.interop.onnx_reading import (
    _array,
    _attribute,
    _check_initializer,
    _describe,
    _Graph,
    _refuse,
    _tensor_shape,
)

IMPORTED_KIND = "imported"  # Project.normalisation's kind for one read from a graph


def _operand(node, g: _Graph, inputs: int, maps: tuple | None = None) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A normalisation node's constant, one value per input (one value stands for all). For an input of maps
    (C, H, W) it is any shape that broadcasts to them — one per value (C, H, W), one per channel (C, 1, 1), one —
    read per value in (C, H, W) order, as the network reads its input."""
    name = next(n for n in node.input if n in g.initializers)
    tensor = g.initializers[name]
    _check_initializer(tensor, g.source)
    shape = _tensor_shape(tensor)
    if maps is not None:
        batch = (1, *maps)
        try:
            fits = np.broadcast_shapes(shape, batch) == batch
        except ValueError:
            fits = False
        if not fits:
            raise _refuse(f"its constant {name!r} has shape {shape}, which does not broadcast to the input's maps "
                          f"{maps}", _describe(node), g.source)
        return np.broadcast_to(_array(tensor, g.source).astype(np.float64), batch).reshape(-1)
    count = shape[-1] if shape else 1
    if count not in (1, inputs) or len(shape) > 2 or any(d != 1 for d in shape[:-1]):
        raise _refuse(f"its constant {name!r} has shape {_tensor_shape(tensor)}; an input normalisation has one "
                      f"value, or one per input ({inputs})", _describe(node), g.source)
    return np.broadcast_to(_array(tensor, g.source).astype(np.float64).reshape(-1), (inputs,))


def _scaler_values(node, name: str, default: float, inputs: int, source: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A Scaler's offset or scale attribute, one value per input."""
    values = _attribute(node, name, None)
    if values is None or (isinstance(values, (list, tuple)) and not values):
        return np.full(inputs, default)
    if not isinstance(values, (list, tuple)) or len(values) not in (1, inputs) or \
            not all(isinstance(v, (int, float)) for v in values):
        raise _refuse(f"its {name} holds {len(values) if isinstance(values, (list, tuple)) else 'no'} numbers; "
                      f"a Scaler has one, or one per input ({inputs})", _describe(node), source)
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (inputs,))


def _refuse_zero(node, what: str, values: np.ndarray, source: str) -> None:  # type: ignore[no-untyped-def]
    """A multiplier or divisor of 0 has no (x − offset)/scale form: say which input and what computes the same."""
    if np.any(values == 0):
        index = int(np.argmin(values != 0))
        raise _refuse(f"its {what}[{index}] is 0, which sends input {index + 1} to one value whatever it is; "
                      "nnstudio's normalisation (x − offset)/scale has no such form. The same network: give that "
                      "input a scale of 1 here and 0 weights in the first layer", _describe(node), source)


def _normalisation(steps: list, inputs: int, g: _Graph, maps: tuple | None = None) -> tuple[dict | None, str | None]:
    """The normalisation the nodes before the first layer compute, as Project.normalisation (x − offset)/scale,
    and a note naming them. Each node composes onto the map so far, y = (x − o)/s:
    y − c = (x − o − c·s)/s, y/d = (x − o)/(s·d), and a Scaler's (y − offset)·scale is Sub then Mul."""
    if not steps:
        return None, None
    offset, scale = np.zeros(inputs), np.ones(inputs)
    for node in steps:
        if node.op_type == "Scaler":
            shift = _scaler_values(node, "offset", 0.0, inputs, g.source)
            factor = _scaler_values(node, "scale", 1.0, inputs, g.source)
            _refuse_zero(node, "scale", factor, g.source)
            offset, scale = offset + shift * scale, scale / factor
            continue
        values = _operand(node, g, inputs, maps)
        if node.op_type == "Sub":
            offset = offset + values * scale
        elif node.op_type == "Add":
            offset = offset - values * scale
        else:
            _refuse_zero(node, "divisor" if node.op_type == "Div" else "factor", values, g.source)
            scale = scale * values if node.op_type == "Div" else scale / values
    where = ", ".join(_describe(node) for node in steps)
    if not (np.all(np.isfinite(offset)) and np.all(np.isfinite(scale))):
        raise _refuse("the input normalisation they compute is not finite", where, g.source)
    if np.any(scale < 0):
        index = int(np.argmax(scale < 0))
        raise _refuse(f"the input normalisation they compute has a negative scale for input {index + 1} "
                      f"({scale[index]:.6g}); nnstudio's scales are above 0. The same network: a positive scale "
                      "here and that input's weights in the first layer negated", where, g.source)
    if np.all(offset == 0) and np.all(scale == 1):
        return None, None
    return ({"kind": IMPORTED_KIND, "offset": offset, "scale": scale},
            f"read {where} as the input normalisation (x − offset)/scale, kept with the network")
