"""A network's parameters in 16 hex digits: the fingerprint that says whether two runs started alike.

A run record keeps the print of the parameters it started from and of those it ended with
(core/runs.py `RunStart`, `RunRecord.end_fingerprint`), so "continued from run 1" and "the same start as
run 2" can be worked out and checked rather than trusted: two starts are the same when their prints are.

The print is the first 16 hex digits of sha256 over the layer sizes and, layer by layer, each weight matrix
or kernel (with its shape) and bias in row-major order (a pooling layer, which has none, marks its place) as little-endian float64. float64 holds every float32 exactly, so a network and
its float32 → float64 copy print alike; the typed text, activations and names are not parameters and do not
count. Equal parameters give an equal print; one bit changed in any weight or bias gives another (64 bits:
a chance collision among a file's 64 runs is about 1 in 10^17).
"""

from __future__ import annotations

import hashlib

import numpy as np

from nnstudio.core.network import Network

PRINT_DIGITS = 16
_LAYOUT = np.dtype("<f8")


def parameter_print(network: Network) -> str:
    """The fingerprint of `network`'s weights and biases (16 lowercase hex digits)."""
    digest = hashlib.sha256(b"nnstudio parameters 1\0")
    digest.update(np.asarray(network.sizes, dtype="<i8").tobytes())
    for layer in network.layers:
        main, _ = layer.parameters()
        if main is None:  # pooling: no parameters; its place is marked so layers cannot shift unseen
            digest.update(b"P")
            continue
        # A dense layer's W as always (prints kept in files stay true); a kernel with its (K, C, k, k) shape.
        digest.update(b"W" if main.ndim == 2 else b"K" + np.asarray(main.shape, dtype="<i8").tobytes())
        digest.update(np.ascontiguousarray(main, dtype=_LAYOUT).tobytes())
        # A layer without bias and one with zeros differ: "b" marks a bias that is there.
        digest.update(b"-" if layer.bias is None else b"b" + np.ascontiguousarray(layer.bias, dtype=_LAYOUT).tobytes())
    return digest.hexdigest()[:PRINT_DIGITS]


def is_print(text: object) -> bool:
    """Whether `text` has the form of a print (16 lowercase hex digits), as a file's field must."""
    return isinstance(text, str) and len(text) == PRINT_DIGITS and all(c in "0123456789abcdef" for c in text)
