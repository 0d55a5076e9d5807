"""The input normalisation a network carries: x′ = (x − offset)/scale, in the network's precision.

One rule for every path that evaluates a network — the window (the document, the step plan),
`nnstudio eval` and `step`, `eval --dataset`, and every export (ONNX's Sub and Div, the PyTorch and
NumPy scripts) — so they agree bit for bit up to the first layer: the offset and scale are first
rounded to the network's precision, as an exported model stores them, then x − offset and the
division are computed in that precision. The input a person types, draws or picks is raw; the
network sees x′.

Here in the core (which imports nothing above it) so the step plan can use it; `data.dataset.
Normalisation` (fitting the statistics on a dataset) calls these.
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.errors import ShapeError


def rounded(offset: np.ndarray, scale: np.ndarray, dtype: np.dtype | str) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale in `dtype`. Refused (ShapeError) when rounding would break them: an offset
    beyond the dtype's range, or a scale that becomes 0 or infinite there (float32 holds neither 1e-50
    nor 1e300), which would turn every input into inf or NaN without a word."""
    kind = np.dtype(dtype)
    original = {"offset": np.asarray(offset, dtype=np.float64), "scale": np.asarray(scale, dtype=np.float64)}
    with np.errstate(over="ignore", under="ignore"):
        cast = {name: values.astype(kind) for name, values in original.items()}
    for name, ok in (("offset", np.isfinite(cast["offset"])),
                     ("scale", np.isfinite(cast["scale"]) & (cast["scale"] > 0))):
        if not np.all(ok):
            index = int(np.argmin(ok))
            raise ShapeError(f"normalisation.{name}[{index}] = {original[name][index]:.6g} becomes "
                             f"{cast[name][index]:g} in {kind.name}; it needs float64")
    return cast["offset"], cast["scale"]


def normalised(x: np.ndarray, offset: np.ndarray, scale: np.ndarray, dtype: np.dtype | str) -> np.ndarray:
    """The network's input for raw `x` (one sample or rows of samples): (x − offset)/scale in `dtype`."""
    x = np.asarray(x).astype(dtype, copy=False)
    if x.shape[-1] != np.shape(offset)[0]:
        raise ShapeError(f"normalisation is for {np.shape(offset)[0]} features, data has {x.shape[-1]}")
    kept_offset, kept_scale = rounded(offset, scale, dtype)
    return (x - kept_offset) / kept_scale


def network_input(x: np.ndarray, normalisation: dict | None, dtype: np.dtype | str) -> np.ndarray:
    """What a network with `normalisation` (Project.normalisation, or None) sees for raw `x`. Without a
    normalisation, `x` itself: the numbers are not touched."""
    if normalisation is None:
        return np.asarray(x)
    return normalised(x, normalisation["offset"], normalisation["scale"], dtype)
