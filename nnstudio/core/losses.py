"""Losses L(ŷ, y), each with its gradient, averaged over a batch.

Conventions (DEVELOPERS.md): MSE per sample is ½Σ(y − ŷ)², so ∂L/∂ŷ = −(y − ŷ).
A batch loss is the mean of the per-sample losses, so every per-sample gradient
is divided by the batch size B.

Softmax + categorical cross-entropy and sigmoid + binary cross-entropy are fused:
δ = ∂L/∂z = (ŷ − y)/B directly, and the loss value is computed from the logits z
(log-sum-exp, softplus), so no log(0) ever yields inf or NaN. Without the fused
pair, probabilities are clipped away from 0 and 1 before any log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from nnstudio.core.errors import ShapeError, UnknownNameError


def _batch_size(a: np.ndarray) -> int:
    return 1 if a.ndim == 1 else a.shape[0]


def _eps(a: np.ndarray) -> float:
    """Machine epsilon of a's precision: p is clipped to [ε, 1 − ε], both representable."""
    return float(np.finfo(a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64).eps)


def one_hot(indices: np.ndarray, classes: int, dtype: np.dtype = np.dtype(np.float64)) -> np.ndarray:
    """Class indices (shape () or (B,)) to one-hot rows (shape (classes,) or (B, classes))."""
    idx = np.asarray(indices)
    if idx.size and (not np.all(np.equal(np.mod(idx, 1), 0)) or idx.min() < 0 or idx.max() >= classes):
        raise ShapeError(f"class indices must be whole numbers in 0…{classes - 1}, got {idx.tolist()}")
    out = np.zeros(idx.shape + (classes,), dtype=dtype)
    np.put_along_axis(out, idx.astype(np.intp)[..., None], 1.0, axis=-1)
    return out


def _mse_value(a: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(0.5 * (y - a) ** 2) / _batch_size(a))


def _mse_grad(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -(y - a) / _batch_size(a)


def _bce_value(a: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(a, _eps(a), 1.0 - _eps(a))
    return float(-np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p)) / _batch_size(a))


def _bce_grad(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    p = np.clip(a, _eps(a), 1.0 - _eps(a))
    return (p - y) / (p * (1.0 - p)) / _batch_size(a)


def _bce_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    # −[y log σ(z) + (1−y) log(1−σ(z))] = max(z,0) − z·y + log(1 + e^−|z|)
    return float(np.sum(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))) / _batch_size(z))


def _cce_value(a: np.ndarray, y: np.ndarray) -> float:
    return float(-np.sum(y * np.log(np.clip(a, _eps(a), 1.0))) / _batch_size(a))


def _cce_grad(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -y / np.clip(a, _eps(a), 1.0) / _batch_size(a)


def _cce_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    shifted = z - np.max(z, axis=-1, keepdims=True)
    log_softmax = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    return float(-np.sum(y * log_softmax) / _batch_size(z))


def _fused_delta(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (a - y) / _batch_size(a)


@dataclass(frozen=True)
class Loss:
    """A loss: its value, ∂L/∂ŷ, and (for fused pairs) the activation it fuses with.

    `sparse` losses take class indices as targets; `targets()` turns them into
    one-hot rows so every other function sees dense targets.
    """

    name: str
    label: str
    value: Callable[[np.ndarray, np.ndarray], float]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]
    fused_activation: str | None = None
    value_from_logits: Callable[[np.ndarray, np.ndarray], float] | None = None
    sparse: bool = False
    formula: str = ""

    def targets(self, y: np.ndarray, output: np.ndarray) -> np.ndarray:
        """Dense targets shaped like `output` (one-hot for sparse losses)."""
        y = np.asarray(y)
        if self.sparse:
            expected = output.shape[:-1]
            if y.shape != expected:
                raise ShapeError(f"{self.name} targets: expected class indices of shape {expected}, got {y.shape}")
            return one_hot(y, output.shape[-1], output.dtype)
        if y.shape != output.shape:
            raise ShapeError(f"{self.name} targets: expected shape {output.shape}, got {y.shape}")
        return y.astype(output.dtype, copy=False)

    def is_fused_with(self, activation: str) -> bool:
        return self.fused_activation is not None and activation == self.fused_activation

    def evaluate(self, a: np.ndarray, y: np.ndarray, z: np.ndarray | None = None, activation: str = "") -> float:
        """Mean loss over the batch; from the logits z when fused (stable)."""
        dense = self.targets(y, a)
        if z is not None and self.value_from_logits is not None and self.is_fused_with(activation):
            return self.value_from_logits(z, dense)
        return self.value(a, dense)

    def output_delta(self, a: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray | None:
        """δ = ŷ − y (÷B) for a fused pair, else None (the caller goes through g′)."""
        if self.is_fused_with(activation):
            return _fused_delta(a, self.targets(y, a))
        return None


_LIST = [
    Loss("mse", "Mean squared error", _mse_value, _mse_grad, formula="L = ½Σ(y − ŷ)²; ∂L/∂ŷ = −(y − ŷ)"),
    Loss(
        "bce",
        "Binary cross-entropy",
        _bce_value,
        _bce_grad,
        fused_activation="sigmoid",
        value_from_logits=_bce_from_logits,
        formula="L = −Σ[y ln ŷ + (1 − y) ln(1 − ŷ)]",
    ),
    Loss(
        "cce",
        "Categorical cross-entropy",
        _cce_value,
        _cce_grad,
        fused_activation="softmax",
        value_from_logits=_cce_from_logits,
        formula="L = −Σ y ln ŷ (one-hot y)",
    ),
    Loss(
        "sparse_cce",
        "Sparse categorical cross-entropy",
        _cce_value,
        _cce_grad,
        fused_activation="softmax",
        value_from_logits=_cce_from_logits,
        sparse=True,
        formula="L = −ln ŷ_class",
    ),
]

LOSSES: dict[str, Loss] = {loss.name: loss for loss in _LIST}
ALIASES = {"cross_entropy": "cce", "categorical_crossentropy": "cce", "binary_crossentropy": "bce"}


def get_loss(name: str) -> Loss:
    """The registered loss called `name` (or one of its aliases)."""
    try:
        return LOSSES[ALIASES.get(name, name)]
    except KeyError:
        raise UnknownNameError("loss", str(name), sorted(LOSSES)) from None
