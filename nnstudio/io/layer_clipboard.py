"""One layer as text on the clipboard, so Ctrl+C / Ctrl+V can move it between networks and files.

    {"format": "nnstudio.layer", "version": 1, "inputs": 2,
     "size": 3, "activation": "relu", "weights": [[1, 0], ["1/sqrt(2)", "1/sqrt(2)"], [0, 1]],
     "bias": ["-1/sqrt(2)", "-1/sqrt(2)", "-1/sqrt(2)"]}

The layer is written and read exactly as a layer of a `.nnstudio` file (typed text kept), by the
same checks: pasted text is as untrusted as an opened file, so every field is validated, the size
and parameter budgets apply before anything is allocated, and a fault is named by its field.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from nnstudio.core.limits import MAX_PARAMETERS, MAX_SIZE
from nnstudio.core.network import DenseLayer
from nnstudio.core.paste_budget import (LAYER_OVERHEAD_CHARACTERS, PasteTooLargeError, check_expression_characters,
                                       check_paste_size)
from nnstudio.io.errors import NetworkFileError
from nnstudio.io.field_reader import _Reader, text_cells
from nnstudio.io.layer_json import _read_layer, layer_to_json
from nnstudio.io.network_file import _parse_json

FORMAT = "nnstudio.layer"
VERSION = 1
SOURCE = "the clipboard"


def layer_to_text(layer: DenseLayer) -> str:
    """The layer as clipboard JSON (rows of W on one line each, like the file)."""
    data = {"format": FORMAT, "version": VERSION, "inputs": layer.n_in, **layer_to_json(layer)}
    lines = ["{"]
    items = list(data.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if key == "weights":
            rows = ",\n".join("    " + json.dumps(row) for row in value)
            lines.append(f'  "weights": [\n{rows}\n  ]{comma}')
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def layer_cells(inputs: int | None = None) -> int:
    """The most weights and biases a pasted layer may hold: up to MAX_SIZE neurons of `inputs` inputs and a
    bias each (any input count when None), within the parameter budget."""
    return MAX_PARAMETERS if inputs is None else min(MAX_SIZE * (inputs + 1), MAX_PARAMETERS)


def layer_from_text(text: str, dtype: np.dtype, inputs: int | None = None) -> DenseLayer:
    """The layer in clipboard text; raises NetworkFileError naming what is wrong. `inputs`: the neurons of
    the column it is pasted after, which bounds the text's length (core/paste_budget.py), checked on the raw
    length before any of it is parsed."""
    target = "a layer" if inputs is None else f"a layer after {inputs} neuron{'s' if inputs != 1 else ''}"
    try:
        check_paste_size(len(text), layer_cells(inputs), target, LAYER_OVERHEAD_CHARACTERS)
    except PasteTooLargeError as error:
        raise NetworkFileError(str(error).removeprefix(f"{SOURCE} "), "", SOURCE) from None  # "the clipboard: holds …"
    data: Any = _parse_json(text.encode("utf-8"), SOURCE)
    r = _Reader(SOURCE)
    # Say first what kind of text this is. (isinstance first: a long list of numbers is read as a numpy array,
    # which compares item by item.)
    if isinstance(data, dict) and not (isinstance(data.get("format"), str) and data["format"] == FORMAT):
        raise r.fail("format", f"expected {FORMAT!r} (a layer copied with Ctrl+C), got {r.show(data.get('format'))}")
    top = r.obj(data, "", {"format", "version", "inputs", "size", "activation", "params", "weights", "bias"},
                {"format", "version", "inputs", "size", "activation", "weights"})
    if not isinstance(top["version"], int) or top["version"] != VERSION:
        raise r.fail("version", f"expected {VERSION}, got {r.show(top['version'])}")
    n_in = r.size(top["inputs"], "inputs")
    n_out = r.size(top["size"], "size")
    if n_in * n_out + n_out > MAX_PARAMETERS:
        raise r.fail("size", f"{n_out}×{n_in} weights are more than the {MAX_PARAMETERS:,} a network may hold")
    layer = {key: value for key, value in top.items() if key not in ("format", "version", "inputs")}
    try:  # the expressions' characters, counted before any is evaluated (the paste's expression budget)
        check_expression_characters([*text_cells(layer.get("weights")), *text_cells(layer.get("bias"))], target)
    except PasteTooLargeError as error:
        raise NetworkFileError(str(error), "", SOURCE) from None
    try:
        return _read_layer(r, layer, 0, n_in, np.dtype(dtype))
    except NetworkFileError as error:  # the file's "layers[0].weights" is this text's "weights"
        raise NetworkFileError(error.reason, error.field.removeprefix("layers[0]").lstrip("."), SOURCE) from None
