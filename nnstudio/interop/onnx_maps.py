"""What one Conv, MaxPool or AveragePool node of an ONNX graph computes, as nnstudio's Conv2DLayer or Pool2DLayer:
read from its attributes and its initializers' declared shapes alone (nothing decoded), or refused by attribute.

Why a module of its own: ONNX's convolution and pooling say far more than nnstudio's layers do — groups,
dilations, a padding per side, rectangular kernels, `auto_pad`, rounding up — and each must be either read
as exactly what nnstudio computes or refused naming the node and the attribute, never read as something
near it. What is read:

    Conv          group 1, dilations 1, a square kernel (K, C, k, k) that is an initializer, equal strides,
                  one padding on every side (pads [p, p, p, p]); auto_pad NOTSET or VALID, or SAME_UPPER /
                  SAME_LOWER where the padding they make is that same p on every side
    MaxPool,      a square kernel_shape, equal strides, no padding, ceil_mode 0 (nnstudio rounds down),
    AveragePool   dilations 1; MaxPool's storage_order 0 and its Indices output unread. AveragePool's
                  count_include_pad is read whatever it says: with no padding it changes nothing

The shapes out follow from the core's own arithmetic (spatial_layers.conv_out_shape, pool_out_shape), so a
kernel larger than its padded maps is refused as nnstudio refuses it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nnstudio.core.errors import NNStudioError
from nnstudio.core.spatial_layers import conv_out_shape, pool_out_shape, show_shape
from nnstudio.interop.onnx_reading import _attribute, _check_initializer, _describe, _Graph, _refuse, _tensor_shape

MAP_OPS = {"Conv": "conv", "MaxPool": "max", "AveragePool": "avg"}
SAME_PADS = ("SAME_UPPER", "SAME_LOWER")


@dataclass(frozen=True)
class MapSpec:
    """One layer of maps as read from its node: the initializers it names ("" and None for pooling) and numbers."""

    kind: str                    # "conv", "max" or "avg"
    weights: str
    bias: str | None
    out_shape: tuple[int, int, int]
    stride: int
    pad: int = 0
    size: int = 0                # a pooling window's side


def read_map_node(node, maps: tuple[int, int, int], g: _Graph, used: set[str]) -> MapSpec:  # type: ignore[no-untyped-def]
    """The layer a Conv, MaxPool or AveragePool node reading maps `maps` (C, H, W) computes, or a refusal."""
    if node.op_type == "Conv":
        return _conv(node, maps, g)
    return _pool(node, maps, g, used)


def _where(node, name: str, value: object = None) -> str:  # type: ignore[no-untyped-def]
    """`node 'c1' (operator Conv) attribute group = 2`: the field a refusal names, with the value read there."""
    shown = "" if value is None else f" = {value.decode('ascii', 'replace') if isinstance(value, bytes) else value}"
    return f"{_describe(node)} attribute {name}{shown}"


def _ints(node, name: str, default: list[int] | None, source: str) -> list[int] | None:  # type: ignore[no-untyped-def]
    """A list-of-integers attribute (pads, strides, …), or `default` when the node has none."""
    value = _attribute(node, name, None)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise _refuse(f"expected a list of whole numbers, got {value!r:.40}", _where(node, name), source)
    return [int(v) for v in value]


def _square(node, name: str, default: list[int], source: str) -> int:  # type: ignore[no-untyped-def]
    """A pair for height and width that nnstudio keeps as one number: kernel_shape, strides."""
    values = _ints(node, name, default, source)
    assert values is not None
    if len(values) != 2 or values[0] != values[1] or values[0] < 1:
        what = "a non-square kernel" if name == "kernel_shape" else "unequal or missing values for height and width"
        raise _refuse(f"{what}; nnstudio's {name} is one number ≥ 1 for both sides", _where(node, name, values),
                      source)
    return values[0]


def _ones(node, name: str, source: str) -> None:  # type: ignore[no-untyped-def]
    values = _ints(node, name, [1, 1], source)
    if any(v != 1 for v in values or []):
        raise _refuse("nnstudio reads only dilations of 1 (every kernel value on adjacent pixels)",
                      _where(node, name, values), source)


def _auto_pad(node, source: str) -> str:  # type: ignore[no-untyped-def]
    value = _attribute(node, "auto_pad", b"NOTSET")
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    if text not in ("NOTSET", "VALID", *SAME_PADS):
        raise _refuse("ONNX defines NOTSET, VALID, SAME_UPPER and SAME_LOWER", _where(node, "auto_pad", repr(text[:40])),
                      source)
    return text


def _padding(node, maps: tuple[int, int, int], k: int, stride: int, source: str) -> int:  # type: ignore[no-untyped-def]
    """The one padding nnstudio applies on every side; asymmetric pads, or a SAME padding split unevenly, refused."""
    auto = _auto_pad(node, source)
    if auto == "VALID":
        return 0
    if auto in SAME_PADS:  # ONNX pads so that out = ⌈size/stride⌉, the odd pixel at the end (UPPER) or start (LOWER)
        totals = {max((math.ceil(side / stride) - 1) * stride + k - side, 0) for side in maps[1:]}
        total = totals.pop()
        if totals or total % 2:
            raise _refuse(f"with kernel {k}, stride {stride} over maps {show_shape(maps)} it pads one side "
                          "more than the other; nnstudio pads every side alike. Write the model with explicit "
                          "symmetric pads", _where(node, "auto_pad", auto), source)
        return total // 2
    pads = _ints(node, "pads", [0, 0, 0, 0], source)
    assert pads is not None
    if len(pads) != 4 or len(set(pads)) != 1 or pads[0] < 0:
        raise _refuse("asymmetric padding (begin and end, height and width differ); nnstudio pads "
                      "every side alike, pads [p, p, p, p]", _where(node, "pads", pads), source)
    return pads[0]


def _conv(node, maps: tuple[int, int, int], g: _Graph) -> MapSpec:  # type: ignore[no-untyped-def]
    source, where = g.source, _describe(node)
    if len(node.input) < 2 or node.input[1] not in g.initializers:
        raise _refuse("its kernel (input W) is not an initializer (a constant array)", where, source)
    kernel = g.initializers[node.input[1]]
    _check_initializer(kernel, source)
    dims = _tensor_shape(kernel)
    if len(dims) != 4:
        raise _refuse(f"its kernel {node.input[1]!r} has shape {dims}; a 2-D convolution's is (K, C, k, k)", where,
                      source)
    group = _attribute(node, "group", 1)
    if group != 1:
        raise _refuse("a grouped convolution; nnstudio reads group 1 (every kernel reads every channel)",
                      _where(node, "group", group), source)
    _ones(node, "dilations", source)
    declared = _ints(node, "kernel_shape", list(dims[2:]), source)
    if declared != list(dims[2:]):
        raise _refuse(f"the kernel {node.input[1]!r} is {show_shape(dims)}", _where(node, "kernel_shape", declared),
                      source)
    k = _square(node, "kernel_shape", list(dims[2:]), source)
    if dims[1] != maps[0]:
        raise _refuse(f"its kernel {show_shape(dims)} reads {dims[1]} channel(s) but the maps it reads are "
                      f"{show_shape(maps)}", where, source)
    stride = _square(node, "strides", [1, 1], source)
    pad = _padding(node, maps, k, stride, source)
    bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
    if bias is not None:
        if bias not in g.initializers:
            raise _refuse("its bias (input B) is not an initializer", where, source)
        _check_initializer(g.initializers[bias], source)
        if _tensor_shape(g.initializers[bias]) != (dims[0],):
            raise _refuse(f"its bias {bias!r} has shape {_tensor_shape(g.initializers[bias])}; expected ({dims[0]},), "
                          "one per output channel", where, source)
    return MapSpec("conv", node.input[1], bias, _out(lambda: conv_out_shape(maps, dims[0], k, stride, pad), node, source),
                   stride, pad)


def _pool(node, maps: tuple[int, int, int], g: _Graph, used: set[str]) -> MapSpec:  # type: ignore[no-untyped-def]
    source = g.source
    size = _square(node, "kernel_shape", [], source)
    stride = _square(node, "strides", [1, 1], source)
    _ones(node, "dilations", source)
    pads = _ints(node, "pads", [0, 0, 0, 0], source)
    if any(pads or []):
        raise _refuse("nnstudio's pooling has no padding", _where(node, "pads", pads), source)
    if _padding(node, maps, size, stride, source):
        raise _refuse("pads the maps; nnstudio's pooling has no padding", _where(node, "auto_pad"), source)
    ceil = _attribute(node, "ceil_mode", 0)
    if ceil != 0:
        raise _refuse("rounding the output size up; nnstudio's pooling rounds down (ceil_mode 0)",
                      _where(node, "ceil_mode", ceil), source)
    if node.op_type == "MaxPool":
        order = _attribute(node, "storage_order", 0)
        if order != 0:
            raise _refuse("nnstudio reads storage_order 0 (row major)", _where(node, "storage_order", order),
                          source)
        if len(node.output) > 1 and node.output[1] in used:
            raise _refuse("its Indices output is read; nnstudio's max pooling gives the maxima only", _describe(node),
                          source)
    return MapSpec(MAP_OPS[node.op_type], "", None, _out(lambda: pool_out_shape(maps, size, stride), node, source),
                   stride, 0, size)


def _out(shape, node, source: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """The output maps the core computes for these numbers, its refusal (a kernel larger than the maps) named."""
    try:
        return shape()
    except NNStudioError as error:
        raise _refuse(str(error), _describe(node), source) from None
