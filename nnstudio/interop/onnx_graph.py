"""The rules an ONNX graph keeps before the importer reads a node of it, each refused by field.

Why a pass of its own: the importer's passes (onnx_import.py) look a node up by the names it reads
and trust what they find. A corrupt or hostile file breaks that trust in ways no single pass sees —
a Relu that reads its own output, a Gemm whose `alpha` is a string, a node with no output, an
operator of a domain nobody defines, an element type numbered 999 — and each would surface as an
internal error deep in a pass, or worse, be read as something it is not. These are the rules of
onnx's own checker (inputs defined before use, one writer per name, operators and attributes as
their schema declares), said with the node's index, operator and name and the field at fault:

    model.onnx: graph.node[3] (Gemm "fc1").attribute alpha: expected a float, got a string

The schemas come from the installed onnx (`onnx.defs`), looked up at the opset the model imports, so
what a converter may legitimately write is what is accepted. `check_read_nodes` adds the rules for the
nodes the network is read from: every element type a number (a Cast to STRING is no activation).
"""

from __future__ import annotations

from nnstudio.core.errors import shorten
from nnstudio.io.errors import NetworkFileError

# The domains nnstudio reads operators from: ONNX's ('' and its alias 'ai.onnx') and ONNX-ML's.
DOMAINS = {"": "", "ai.onnx": "", "ai.onnx.ml": "ai.onnx.ml"}
MAX_OPSET = 1_000  # far above any opset ONNX has (28 in 2025); onnx.defs takes a C int
# TensorProto element types that hold numbers (bool counts: a comparison's result is cast back to float).
NUMERIC = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16})  # FLOAT … INT64, BOOL, FLOAT16, DOUBLE, UINT32/64, BF16
_FIELDS = {  # AttributeProto.type → the field holding its value
    1: "f", 2: "i", 3: "s", 4: "t", 5: "g", 11: "sparse_tensor", 13: "tp",
    6: "floats", 7: "ints", 8: "strings", 9: "tensors", 10: "graphs", 12: "sparse_tensors", 14: "type_protos",
}
_SINGULAR = ("f", "i", "s", "t", "g", "sparse_tensor", "tp")
_KINDS = {  # how a message names each attribute type
    0: "an attribute of no type", 1: "a float", 2: "an integer", 3: "a string", 4: "a tensor", 5: "a graph",
    11: "a sparse tensor", 13: "a type", 6: "a list of floats", 7: "a list of integers", 8: "a list of strings",
    9: "a list of tensors", 10: "a list of graphs", 12: "a list of sparse tensors", 14: "a list of types",
}


def node_field(index: int, node) -> str:  # type: ignore[no-untyped-def]
    """`graph.node[3] (Gemm "fc1")`: where a message points, the name cut to stay one short line."""
    name = f' "{shorten(node.name, 40)}"' if node.name else ""
    return f"graph.node[{index}] ({shorten(node.op_type, 40)}{name})"


def type_name(code: int) -> str:
    """An element type's ONNX name (FLOAT, STRING), or its number when ONNX defines none (999)."""
    from onnx import TensorProto

    try:
        return str(TensorProto.DataType.Name(code))
    except ValueError:
        return f"number {code}"


def _known_type(code: int) -> bool:
    from onnx import TensorProto

    return code in TensorProto.DataType.values()


def _opsets(model, source: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The opset version the model imports for each domain nnstudio reads."""
    versions: dict[str, int] = {}
    for index, opset in enumerate(model.opset_import):
        domain = DOMAINS.get(opset.domain)
        if domain is None:
            continue  # a domain imported but (checked below) never used by a node read here
        if not 1 <= opset.version <= MAX_OPSET:
            raise NetworkFileError(f"version {opset.version} of domain {opset.domain or 'ai.onnx'!r}: no such opset "
                                   f"(ONNX's run from 1)", f"opset_import[{index}]", source)
        versions[domain] = int(opset.version)
    return versions


def _refuse(message: str, where: str, source: str) -> NetworkFileError:
    return NetworkFileError(message, where, source)


def _check_value_info(value, field: str, source: str, numeric: bool) -> None:  # type: ignore[no-untyped-def]
    """A graph input's or output's declared type: a tensor of a known element type, sizes ≥ 0."""
    if not value.type.HasField("tensor_type"):
        if numeric:
            raise _refuse("expected a tensor (of numbers), got another kind of value", field, source)
        return
    tensor = value.type.tensor_type
    if tensor.elem_type and not _known_type(tensor.elem_type):
        raise _refuse(f"element type {type_name(tensor.elem_type)} is none ONNX defines", field, source)
    if numeric and tensor.elem_type not in NUMERIC:
        raise _refuse(f"element type {type_name(tensor.elem_type)}: a network's input is numbers", field, source)
    for axis, dim in enumerate(tensor.shape.dim):
        if dim.HasField("dim_value") and dim.dim_value < 0:
            raise _refuse(f"dimension {axis} is {dim.dim_value}; a size is a whole number ≥ 0 (or a name)", field,
                          source)


def _schema(index: int, node, opsets: dict[str, int], source: str):  # type: ignore[no-untyped-def]
    from onnx import defs

    where = node_field(index, node)
    domain = DOMAINS.get(node.domain)
    if domain is None:
        raise _refuse(f"domain {shorten(node.domain, 40)!r} is not one nnstudio reads ('' or 'ai.onnx' for ONNX, "
                      "'ai.onnx.ml' for ONNX-ML)", where, source)
    if domain not in opsets:
        raise _refuse(f"its domain {domain or 'ai.onnx'!r} is not in the model's opset_import", where, source)
    try:
        return defs.get_schema(node.op_type, opsets[domain], domain)
    except defs.SchemaError:
        raise _refuse(f"operator {shorten(node.op_type, 40)!r} is not in opset {opsets[domain]} of domain "
                      f"{domain or 'ai.onnx'!r}", where, source) from None


def _check_arity(where: str, node, schema, source: str) -> None:  # type: ignore[no-untyped-def]
    from onnx.defs import OpSchema

    optional = OpSchema.FormalParameterOption.Optional
    for kind, names, low, high, formals in (("input", node.input, schema.min_input, schema.max_input, schema.inputs),
                                            ("output", node.output, schema.min_output, schema.max_output,
                                             schema.outputs)):
        if not low <= len(names) <= high:
            takes = f"{low}" if low == high else f"{low} to {high}" if high < 2**31 - 1 else f"at least {low}"
            raise _refuse(f"has {len(names)} {kind}s; {node.op_type} takes {takes}", where, source)
        for position, name in enumerate(names):
            formal = formals[min(position, len(formals) - 1)] if formals else None
            if not name and formal is not None and formal.option != optional:
                raise _refuse(f"its {kind} {position} ({formal.name}) is empty but is not optional", where, source)


def _check_attributes(where: str, node, schema, source: str) -> None:  # type: ignore[no-untyped-def]
    declared = schema.attributes
    seen: set[str] = set()
    for attribute in node.attribute:
        field = f"{where}.attribute {shorten(attribute.name, 40)}"
        if attribute.name in seen:
            raise _refuse("given twice", field, source)
        seen.add(attribute.name)
        expected = declared.get(attribute.name)
        if expected is None:
            raise _refuse(f"{node.op_type} has no such attribute", field, source)
        want = int(expected.type.value)
        if attribute.type != want or want not in _FIELDS:
            got = _KINDS.get(attribute.type, "an attribute of no type ONNX defines")
            raise _refuse(f"expected {_KINDS.get(want, 'another type')}, got {got}", field, source)
        holder = _FIELDS[want]
        others = [name for name in _FIELDS.values() if name != holder and (
            attribute.HasField(name) if name in _SINGULAR else len(getattr(attribute, name)))]
        if others or (holder in _SINGULAR and not attribute.HasField(holder)):
            held = f"a value in its field {others[0]!r}" if others else "no value"
            raise _refuse(f"declares {_KINDS[want]} but holds {held}", field, source)
        if want == 4 and not _known_type(attribute.t.data_type):  # a tensor of an element type ONNX defines
            raise _refuse(f"a tensor of element type {type_name(attribute.t.data_type)}, none ONNX defines",
                          field, source)
        if node.op_type == "Cast" and attribute.name == "to" and not _known_type(attribute.i):
            raise _refuse(f"element type {type_name(attribute.i)} is none ONNX defines", field, source)
    for name, formal in declared.items():
        if formal.required and name not in seen:
            raise _refuse(f"missing: {node.op_type} needs it", f"{where}.attribute {name}", source)


def check_names(model, source: str) -> None:  # type: ignore[no-untyped-def]
    """Every name the import reads is text. protobuf parses a string field that is not UTF-8 and hands it
    over as bytes (upb) or raises when it is read (the pure-Python protobuf), either of which would
    otherwise surface deep in the importer's passes, as a name that matches nothing or cannot be copied."""
    graph = model.graph
    try:
        names = [name for node in graph.node for name in (node.name, node.op_type, node.domain, *node.input,
                                                          *node.output, *(a.name for a in node.attribute))]
        names += [value.name for value in (*graph.input, *graph.output, *graph.initializer)]
        names += [opset.domain for opset in model.opset_import] + [prop.key for prop in model.metadata_props]
    except UnicodeDecodeError:
        names = [b""]
    if not all(isinstance(name, str) for name in names):
        raise _refuse("holds a name that is not UTF-8 text: not a valid ONNX model (corrupt?)", "", source)


def check_graph(model, source: str) -> None:  # type: ignore[no-untyped-def]
    """Refuse, by field, a graph that breaks onnx's rules (see the module's docstring)."""
    graph = model.graph
    opsets = _opsets(model, source)
    defined: dict[str, str] = {}
    for index, tensor in enumerate(graph.initializer):
        field = f"graph.initializer[{index}] {shorten(tensor.name, 40)!r}"
        if not tensor.name:
            raise _refuse("has no name", field, source)
        if tensor.name in defined:
            raise _refuse("given twice", field, source)
        if not _known_type(tensor.data_type):
            raise _refuse(f"element type {type_name(tensor.data_type)} is none ONNX defines", field, source)
        defined[tensor.name] = "an initializer"
    for index, value in enumerate(graph.input):
        field = f"graph.input[{index}] {shorten(value.name, 40)!r}"
        is_initializer = value.name in defined
        _check_value_info(value, field, source, numeric=not is_initializer)
        if not value.name:
            raise _refuse("has no name", field, source)
        if not is_initializer:
            defined[value.name] = "a graph input"
    for index, value in enumerate(graph.output):
        _check_value_info(value, f"graph.output[{index}] {shorten(value.name, 40)!r}", source, numeric=False)
    writer = {}  # every tensor a node writes → the first node writing it (to say "before it is computed")
    for index, node in enumerate(graph.node):
        for name in node.output:
            writer.setdefault(name, index)
    for index, node in enumerate(graph.node):
        where = node_field(index, node)
        schema = _schema(index, node, opsets, source)
        for name in node.input:
            if not name or name in defined:
                continue
            if name in node.output:
                raise _refuse(f"reads its own output {shorten(name, 40)!r}", where, source)
            if name in writer:
                raise _refuse(f"reads {shorten(name, 40)!r} before it is computed (by graph.node[{writer[name]}]); a "
                              "graph's nodes come in order, each after what it reads", where, source)
            raise _refuse(f"reads {shorten(name, 40)!r}, which no node, graph input or initializer gives", where,
                          source)
        _check_arity(where, node, schema, source)
        _check_attributes(where, node, schema, source)
        for name in node.output:
            if name and name in defined:
                raise _refuse(f"writes {shorten(name, 40)!r}, already {defined[name]}: each tensor has one writer",
                              where, source)
            if name:
                defined[name] = f"written by graph.node[{index}]"
    for index, value in enumerate(graph.output):
        if value.name not in defined:
            raise _refuse("no node, graph input or initializer gives it", f"graph.output[{index}] "
                          f"{shorten(value.name, 40)!r}", source)


def check_read_nodes(model, indices, source: str) -> None:  # type: ignore[no-untyped-def]
    """The nodes the network is read from compute numbers: no Cast to text, no text constant, no text
    initializer read (they would be taken for a layer's numbers, or fail deep in the reference evaluator)."""
    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    for index in sorted(indices):
        node = graph.node[index]
        where = node_field(index, node)
        for attribute in node.attribute:
            code = attribute.i if (node.op_type == "Cast" and attribute.name == "to") else \
                attribute.t.data_type if attribute.type == 4 else None
            if code is not None and code not in NUMERIC:
                raise _refuse(f"element type {type_name(code)}: the network's nodes compute numbers",
                              f"{where}.attribute {attribute.name}", source)
            if attribute.type in (3, 8) and node.op_type == "Constant":
                raise _refuse("a text constant: the network's nodes compute numbers",
                              f"{where}.attribute {attribute.name}", source)
        for name in node.input:
            tensor = initializers.get(name)
            if tensor is not None and tensor.data_type not in NUMERIC:
                raise _refuse(f"reads initializer {shorten(name, 40)!r} of element type {type_name(tensor.data_type)}"
                              ": the network's nodes compute numbers", where, source)
