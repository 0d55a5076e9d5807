"""Which of an ONNX graph's outputs is the network's: pass 2 of the importer (onnx_import.py).

Converters write more than the network. The one output that holds float numbers is kept (a ZipMap's
input stands for the ZipMap, which only pairs each probability with its class), a predicted-class
branch beside it (ArgMax, ArrayFeatureExtractor, …) is left out and said so, the class names found on
the way become output labels, and scikit-learn's two-class [1 − p, p] (Sub, Concat) is read as the one
sigmoid output p it is made from. Where no output, or more than one, could be the network's, the
refusal names the tensor to keep and the `onnx.utils.extract_model` call that keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnstudio.interop.model_metadata import MAX_LABEL_CHARS
from nnstudio.interop.onnx_reading import (
    _BOOL,
    _FLOAT_TYPES,
    _INT32,
    _INT64,
    _STRING,
    ML_DOMAIN,
    _attribute,
    _Graph,
    _needed,
    _ops,
    _producer,
    _refuse,
    _small_array,
    _tensor_shape,
)

MAX_CLASSES = 10_000      # class labels read as output labels (a layer that wide is far over any use)
# Operators of a predicted-class branch: an output computed through one is a label, not the network's values.
LABEL_OPS = frozenset({"ArgMax", "ArgMin", "ArrayFeatureExtractor", "TopK", "LabelEncoder", "CategoryMapper"})


@dataclass
class _Output:
    """The tensor read as the network's output, what was left out to get it, and the class names found."""

    tensor: str
    notes: list[str] = field(default_factory=list)
    classes: tuple[str, ...] = ()
    two_class: object = None  # the Concat of [1 − p, p], when that was read as p


def _class_names(values) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Class labels as output labels: numbers as written, text decoded (cut to the labels' limit)."""
    names = []
    for value in values:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        names.append(text[:MAX_LABEL_CHARS])
    return tuple(names)


def _classes_of(node, g: _Graph) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The class names a ZipMap pairs the probabilities with, or an ArrayFeatureExtractor picks the label from."""
    if node.op_type == "ZipMap":
        for name in ("classlabels_strings", "classlabels_int64s"):
            values = _attribute(node, name, None)
            if isinstance(values, list) and values and len(values) <= MAX_CLASSES:
                return _class_names(values)
        return ()
    tensor = g.initializers.get(node.input[0]) if node.input else None
    if tensor is None or int(np.prod(_tensor_shape(tensor), dtype=object)) > MAX_CLASSES:
        return ()
    if tensor.data_type == _STRING:
        return _class_names(tensor.string_data)
    values = _small_array(tensor, MAX_CLASSES) if tensor.data_type in (_INT32, _INT64) else None
    return () if values is None else _class_names(values.reshape(-1).tolist())


def _is_label(g: _Graph, output, branch: list) -> bool:  # type: ignore[no-untyped-def]
    """An output that names a class (an integer or text tensor, or one computed through an ArgMax)."""
    declared = output.type.tensor_type.elem_type if output.type.HasField("tensor_type") else 0
    kind = declared or g.types.get(output.name, 0)
    return any(node.op_type in LABEL_OPS for node in branch) or kind in (_INT32, _INT64, _STRING, _BOOL)


def _extract_hint(g: _Graph, tensor: str, file: str) -> str:
    """The onnx call that keeps `tensor` as the model's only output."""
    inputs = [i.name for i in g.graph.input if i.name not in g.initializers]  # type: ignore[attr-defined]
    return f"onnx.utils.extract_model({Path(g.source).name!r}, {file!r}, {inputs!r}, [{tensor!r}])"


def _choose_output(g: _Graph) -> _Output:
    """The one graph output a dense network gives; a predicted-class output beside it is left out (and said
    so), a ZipMap read through. Refused when none, or more than one, could be the network's."""
    kept: list[tuple[str, str, object]] = []  # (graph output, tensor read, ZipMap or None)
    left: list[tuple[str, list, bool]] = []   # (graph output, its nodes, whether it is a label)
    for output in g.graph.output:  # type: ignore[attr-defined]
        producer = _producer(g, output.name)
        if producer is not None and producer.op_type == "ZipMap" and producer.domain == ML_DOMAIN and producer.input:
            kept.append((output.name, producer.input[0], producer))
            continue
        branch = _needed(g, output.name)
        declared = output.type.tensor_type.elem_type if output.type.HasField("tensor_type") else 0
        label = _is_label(g, output, branch)
        if not label and (declared or g.types.get(output.name, 0)) in _FLOAT_TYPES:
            kept.append((output.name, output.name, None))
        else:
            left.append((output.name, branch, label))
    if len(kept) > 1:
        names = ", ".join(repr(name) for name, _, _ in kept)
        raise _refuse(f"has {len(kept)} outputs a dense network could give ({names}); keep the one to import, "
                      f"e.g. {_extract_hint(g, kept[0][1], 'one_output.onnx')}, and import that file", "graph",
                      g.source)
    if not kept:
        _refuse_without_values(g, left)
    name, tensor, zipmap = kept[0]
    chosen = _Output(tensor)
    if zipmap is not None:
        chosen.classes = _classes_of(zipmap, g)
        chosen.notes.append(f"read output {name!r} before its ZipMap (which only pairs each probability with "
                            f"its class), as the tensor {tensor!r}")
    for other, branch, label in left:
        own = _needed(g, other, besides=tensor)
        if label:
            chosen.notes.append(f"left out output {other!r}, the predicted class ({_ops(own)}): it is the "
                                "class of the largest probability")
            extractor = next((node for node in branch if node.op_type == "ArrayFeatureExtractor"), None)
            if not chosen.classes and extractor is not None:
                chosen.classes = _classes_of(extractor, g)
        else:
            chosen.notes.append(f"left out output {other!r} ({_ops(own)}), which holds no float numbers")
    return _two_class(g, chosen)


def _refuse_without_values(g: _Graph, left: list) -> None:
    """No output holds the network's numbers: say where the probabilities are, when a label is chosen from them."""
    for name, branch, label in left:
        chooser = next((node for node in branch if node.op_type in ("ArgMax", "ArgMin")), None)
        if label and chooser is not None and chooser.input:
            only = "its only output" if len(left) == 1 else "its output"
            own = _ops(_needed(g, name, besides=chooser.input[0]))
            raise _refuse(f"{only} {name!r} is the predicted class ({own}), not the numbers a network "
                          f"computes; the probabilities it is chosen from are the tensor {chooser.input[0]!r}: "
                          f"keep that as the output, e.g. {_extract_hint(g, chooser.input[0], 'probabilities.onnx')}"
                          ", and import that file (or convert the model again with its probabilities as an output: "
                          "skl2onnx writes both by default)", "graph", g.source)
    names = ", ".join(repr(name) for name, _, _ in left) or "none"
    raise _refuse(f"no output is a tensor of float numbers (outputs: {names}); a dense network's output is one",
                  "graph", g.source)


def _is_one(g: _Graph, name: str) -> bool:
    """Whether `name` is the constant 1 (an initializer or a Constant node of one value)."""
    tensor = g.initializers.get(name)
    if tensor is None:
        producer = _producer(g, name)
        if producer is None or producer.op_type != "Constant":
            return False
        tensor = _attribute(producer, "value", None)
        if tensor is None or not hasattr(tensor, "dims"):
            return False
    values = _small_array(tensor, 1)
    return values is not None and values.size == 1 and values.dtype.kind == "f" and float(values.reshape(-1)[0]) == 1.0


def _two_class(g: _Graph, chosen: _Output) -> _Output:
    """scikit-learn's two-class output [1 − p, p] (Sub, Concat) read as p: the network's one sigmoid output,
    the probability of the second class. Nothing is invented (a second column's weights, a softmax): the
    file's network is read as trained, and nnstudio's bce loss and 0/1 targets take p as it is."""
    concat = _producer(g, chosen.tensor)
    if concat is None or concat.op_type != "Concat" or len(concat.input) != 2 or \
            _attribute(concat, "axis", None) not in (1, -1):
        return chosen
    complement, p = concat.input
    sub = _producer(g, complement)
    if sub is None or sub.op_type != "Sub" or len(sub.input) != 2 or sub.input[1] != p or not _is_one(g, sub.input[0]):
        return chosen
    named = f" of class {chosen.classes[1]!r}" if len(chosen.classes) == 2 else ""
    chosen.notes.append(f"read the two-class form [1 − p, p] ({_ops([sub, concat])}) as one sigmoid output p, the "
                        f"probability{named}; 1 − p is left out")
    chosen.tensor, chosen.two_class = p, concat
    if len(chosen.classes) == 2:
        chosen.classes = chosen.classes[1:]
    return chosen
