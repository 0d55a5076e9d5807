"""How `nnstudio step` writes its per-edge values (∂L/∂W and the updated W): bounded unless asked for.

Why: a 289-byte file may declare 2048-2048-2048. Its step computes in under a second, but printing
∂L/∂W and the new W of 8.4 million edges made 157 MB of text (228 MB as JSON) through Python lists
and strings: 10–18 s and over 1 GB for numbers nobody reads on a terminal. So a network of more than
PRINTED_WEIGHTS weights shows each such matrix as its shape only (`--out` saves the updated
network; `--all-weights` prints every value), and when they are printed they are written one row at
a time, never built as one string or one list.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

import numpy as np

from nnstudio.core.network import Network

#: Weights (all layers together) up to which `step` prints ∂L/∂W and the updated W of every edge:
#: mnist-mlp's 101,632 are printed (≈ 4 MB of text), 2048-2048-2048's 8,388,608 are summarised.
PRINTED_WEIGHTS = 2**18


def weight_count(network: Network) -> int:
    """Weights and kernel values (no biases) of every layer: a dense layer's n_in·n_out, a convolution's K·C·k·k."""
    return sum(int(main.size) for main, _ in (layer.parameters() for layer in network.layers) if main is not None)


def omitted_note(network: Network) -> str | None:
    """Why the per-edge matrices (and kernels) are left out for `network`, or None when they are printed."""
    count = weight_count(network)
    if count <= PRINTED_WEIGHTS:
        return None
    what = "∂L/∂W and the updated W" if not network.is_spatial else "∂L/∂W, ∂L/∂K and the updated W and K"
    return (f"{what} of {count:,} weights are not printed (more than {PRINTED_WEIGHTS:,}): "
            "--all-weights prints them, --out FILE saves the updated network")


def clean(array: np.ndarray) -> np.ndarray:
    """As float64 with −0.0 made 0.0 (a zero prints "0", JSON would write "-0.0")."""
    return np.asarray(array, dtype=float) + 0.0


def write_matrix(out: TextIO, label: str, array: np.ndarray, digits: int) -> None:
    """`label` and the matrix as `_fmt` in cli_eval_step.py prints it ("[a, b],\\n       [c, d]]"), a row at a time."""
    values = clean(array)
    last = len(values) - 1
    for index, row in enumerate(values):
        start = label + "[" if index == 0 else "       "
        end = "]\n" if index == last else ",\n"
        out.write(start + "[" + ", ".join(f"{v:.{digits}g}" for v in row) + "]" + end)
    if last < 0:
        out.write(label + "[]\n")


def write_json(value: Any, out: TextIO) -> None:
    """`value` as `json.dumps` writes it, with numpy arrays written a row at a time (−0.0 as 0.0)."""
    if isinstance(value, dict):
        out.write("{")
        for index, (key, item) in enumerate(value.items()):
            out.write((", " if index else "") + json.dumps(key) + ": ")
            write_json(item, out)
        out.write("}")
    elif isinstance(value, (list, tuple)):
        out.write("[")
        for index, item in enumerate(value):
            if index:
                out.write(", ")
            write_json(item, out)
        out.write("]")
    elif isinstance(value, np.ndarray) and value.ndim == 2:
        out.write("[")
        for index, row in enumerate(clean(value)):
            out.write((", " if index else "") + json.dumps(row.tolist()))
        out.write("]")
    elif isinstance(value, np.ndarray):
        out.write(json.dumps(clean(value).tolist()))
    else:
        out.write(json.dumps(value))
