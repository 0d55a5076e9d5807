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

from nnstudio.core.limits import MAX_PARAMETERS
from nnstudio.core.network import DenseLayer
from nnstudio.io.network_file import NetworkFileError, _parse_json, _read_layer, _Reader, layer_to_json

FORMAT = "nnstudio.layer"
VERSION = 1
SOURCE = "the clipboard"
# A pasted layer's text: a 4096 × 2048 layer of full-precision numbers fits.
MAX_TEXT_CHARACTERS = 256 * 2**20


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


def layer_from_text(text: str, dtype: np.dtype) -> DenseLayer:
    """The layer in clipboard text; raises NetworkFileError naming what is wrong."""
    if len(text) > MAX_TEXT_CHARACTERS:
        raise NetworkFileError(f"holds {len(text):,} characters; a pasted layer may hold at most "
                               f"{MAX_TEXT_CHARACTERS:,}", "", SOURCE)
    data: Any = _parse_json(text.encode("utf-8"), SOURCE)
    r = _Reader(SOURCE)
    if isinstance(data, dict) and data.get("format") != FORMAT:  # say first what kind of text this is
        raise r.fail("format", f"expected {FORMAT!r} (a layer copied with Ctrl+C), got {r.show(data.get('format'))}")
    top = r.obj(data, "", {"format", "version", "inputs", "size", "activation", "params", "weights", "bias"},
                {"format", "version", "inputs", "size", "activation", "weights"})
    if top["version"] != VERSION:
        raise r.fail("version", f"expected {VERSION}, got {r.show(top['version'])}")
    n_in = r.size(top["inputs"], "inputs")
    n_out = r.size(top["size"], "size")
    if n_in * n_out + n_out > MAX_PARAMETERS:
        raise r.fail("size", f"{n_out}×{n_in} weights are more than the {MAX_PARAMETERS:,} a network may hold")
    layer = {key: value for key, value in top.items() if key not in ("format", "version", "inputs")}
    try:
        return _read_layer(r, layer, 0, n_in, np.dtype(dtype))
    except NetworkFileError as error:  # the file's "layers[0].weights" is this text's "weights"
        raise NetworkFileError(error.reason, error.field.removeprefix("layers[0]").lstrip("."), SOURCE) from None
