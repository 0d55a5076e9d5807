"""Losses L(ŷ, y), each with its gradient, averaged over a batch; which outputs and targets each takes.

Conventions (DEVELOPERS.md): MSE per sample is ½Σ(y − ŷ)², so ∂L/∂ŷ = −(y − ŷ).
A batch loss is the mean of the per-sample losses, so every per-sample gradient
is divided by the batch size B.

Where the output activation allows, δ = ∂L/∂z is written in closed form and the loss
value computed from the logits z (log-sum-exp, softplus), so no log(0) ever yields inf
or NaN. Each closed form is the true ∂L/∂z for every target the loss accepts, not only
for one-hot ones:

    softmax + categorical cross-entropy   δ = (ŷ·Σy − y)/B   (ŷ − y only when Σy = 1)
    sigmoid + binary cross-entropy        δ = (ŷ − y)/B
    sigmoid + categorical cross-entropy   δ = −y∘(1 − ŷ)/B

Every other accepted pair goes through ∂L/∂ŷ and g′ (softmax: its full Jacobian), with
probabilities clipped away from 0 and 1 before any log. What is refused, and why, is
decided here (`Loss.check`) and tabulated in docs/losses.md: the cross-entropies need
outputs that are probabilities, binary cross-entropy targets in [0, 1], categorical
cross-entropy targets that are not negative, and sparse categorical cross-entropy one
class per sample. A refusal is a LossError naming the loss and what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from nnstudio.core.errors import LossError, ShapeError, UnknownNameError, shorten


def _batch_size(a: np.ndarray) -> int:
    return 1 if a.ndim == 1 else a.shape[0]


def _eps(a: np.ndarray) -> float:
    """Machine epsilon of a's precision: p is clipped to [ε, 1 − ε], both representable."""
    return float(np.finfo(a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64).eps)


def _show(value: float) -> str:
    """A target as a message quotes it: 6 significant digits, a typographic minus."""
    return f"{float(value):g}".replace("-", "−")


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
    # −[y log σ(z) + (1−y) log(1−σ(z))] = max(z,0) − z·y + log(1 + e^−|z|), for every real y
    return float(np.sum(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))) / _batch_size(z))


def _cce_value(a: np.ndarray, y: np.ndarray) -> float:
    return float(-np.sum(y * np.log(np.clip(a, _eps(a), 1.0))) / _batch_size(a))


def _cce_grad(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -y / np.clip(a, _eps(a), 1.0) / _batch_size(a)


def _cce_from_logits(z: np.ndarray, y: np.ndarray) -> float:
    shifted = z - np.max(z, axis=-1, keepdims=True)
    log_softmax = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    return float(-np.sum(y * log_softmax) / _batch_size(z))


def _cce_from_sigmoid_logits(z: np.ndarray, y: np.ndarray) -> float:
    # −y ln σ(z) = y·softplus(−z) = y·(max(−z, 0) + ln(1 + e^−|z|)): finite where σ(z) rounds to 0
    return float(np.sum(y * (np.maximum(-z, 0.0) + np.log1p(np.exp(-np.abs(z))))) / _batch_size(z))


def _softmax_cce_delta(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂/∂z_i of −Σ_k y_k ln softmax(z)_k = ŷ_i·Σ_k y_k − y_i: the ŷ − y of the textbook needs Σy = 1."""
    return (a * np.sum(y, axis=-1, keepdims=True) - y) / _batch_size(a)


def _sigmoid_bce_delta(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂/∂z of −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = σ(z) − y, for every y."""
    return (a - y) / _batch_size(a)


def _sigmoid_cce_delta(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂/∂z of −y ln σ(z) = −y(1 − σ(z)): the chain rule's −y/ŷ · ŷ(1 − ŷ) without dividing by ŷ."""
    return -y * (1.0 - a) / _batch_size(a)


@dataclass(frozen=True)
class ClosedForm:
    """A loss with one output activation: its value from the logits z, and δ = ∂L/∂z from (ŷ, y)."""

    value_from_logits: Callable[[np.ndarray, np.ndarray], float]
    delta: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _bce_target_problem(y: np.ndarray) -> str | None:
    bad = ~((y >= 0) & (y <= 1))  # so NaN, which no comparison holds for, is outside [0, 1] too
    if np.any(bad):
        return f"target {_show(y[bad].flat[0])} for binary cross-entropy: each target must lie in [0, 1]"
    return None


def _cce_target_problem(y: np.ndarray) -> str | None:
    if np.any(y < 0):
        return (f"target {_show(y[y < 0].flat[0])} for categorical cross-entropy: a target may not be negative "
                "(−y·ln ŷ would then have no minimum)")
    return None


def one_hot_rows(y: np.ndarray, axis: int = -1) -> np.ndarray:
    """For each row along `axis`: one 1 and the rest 0? (Then Σy = 1, and softmax + cross-entropy's δ is
    ŷ − y: the trainer's fast path asks this of a run's targets.)"""
    y = np.asarray(y)
    return np.all((y == 0) | (y == 1), axis=axis) & (np.sum(y, axis=axis) == 1)


def _sparse_target_problem(y: np.ndarray) -> str | None:
    rows = np.atleast_2d(y)
    ok = one_hot_rows(rows)
    if not np.all(ok):
        row = rows[int(np.argmin(ok))]
        shown = shorten("[" + ", ".join(_show(v) for v in row) + "]", 60)
        return (f"target {shown} for sparse categorical cross-entropy: the target must name one class "
                "(one 1, the rest 0); cce takes other targets")
    return None


def _sparse_value_problem(y: np.ndarray) -> str | None:
    bad = (y != 0) & (y != 1)
    if np.any(bad):
        return (f"target {_show(y[bad].flat[0])} for sparse categorical cross-entropy: each target is 0 or 1 "
                "(a 1 names the class)")
    return None


@dataclass(frozen=True)
class Loss:
    """A loss: its value, ∂L/∂ŷ, the output activations it takes and the targets it accepts.

    `sparse` losses take class indices as targets (or one-hot rows); `targets()` turns them
    into one-hot rows so every other function sees dense targets. `outputs` lists the output
    activations the loss is defined for (None: every one); `closed_forms` those among them
    whose δ = ∂L/∂z is written out (the rest go through g′ or the softmax Jacobian).
    """

    name: str
    label: str
    value: Callable[[np.ndarray, np.ndarray], float]
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]
    closed_forms: Mapping[str, ClosedForm] = field(default_factory=dict)
    outputs: tuple[str, ...] | None = None
    why_outputs: str = ""
    target_problem: Callable[[np.ndarray], str | None] = lambda y: None
    value_problem: Callable[[np.ndarray], str | None] = lambda y: None
    sparse: bool = False
    formula: str = ""

    def targets(self, y: np.ndarray, output: np.ndarray) -> np.ndarray:
        """Dense targets shaped like `output` (one-hot for sparse losses, from indices or one-hot rows)."""
        y = np.asarray(y)
        if self.sparse and y.shape != output.shape:
            expected = output.shape[:-1]
            if y.shape != expected:
                raise ShapeError(f"{self.name} targets: expected class indices of shape {expected} "
                                 f"or one-hot rows of shape {output.shape}, got {y.shape}")
            return one_hot(y, output.shape[-1], output.dtype)
        if y.shape != output.shape:
            raise ShapeError(f"{self.name} targets: expected shape {output.shape}, got {y.shape}")
        return y.astype(output.dtype, copy=False)

    def check_output(self, activation: str) -> None:
        """Refuse, by name, an output activation this loss is not defined for (cross-entropy after ReLU)."""
        if self.outputs is not None and activation not in self.outputs:
            raise LossError(f"{self.label.lower()} after a {activation} output layer: {self.why_outputs}")

    def check_targets(self, dense: np.ndarray) -> None:
        """Refuse, by name, targets outside this loss's domain (dense rows, as `targets()` gives)."""
        problem = self.target_problem(np.asarray(dense))
        if problem:
            raise LossError(problem)

    def check_value(self, value: float) -> None:
        """Refuse one typed target value this loss can never take (binary cross-entropy of −1)."""
        problem = self.value_problem(np.asarray([float(value)]))
        if problem:
            raise LossError(problem)

    def check(self, activation: str, dense: np.ndarray) -> None:
        """Both checks, output first: what a step or an evaluation runs before computing anything."""
        self.check_output(activation)
        self.check_targets(dense)

    def is_fused_with(self, activation: str) -> bool:
        """True when δ = ∂L/∂z is written out for this output activation (see `closed_forms`)."""
        return activation in self.closed_forms

    def evaluate(self, a: np.ndarray, y: np.ndarray, z: np.ndarray | None = None, activation: str = "") -> float:
        """Mean loss over the batch; from the logits z when there is a closed form (stable). Never −0."""
        dense = self.targets(y, a)
        closed = self.closed_forms.get(activation)
        if z is not None and closed is not None:
            return closed.value_from_logits(z, dense) + 0.0
        return self.value(a, dense) + 0.0

    def output_delta(self, a: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray | None:
        """δ = ∂L/∂z in closed form for this output activation, else None (the caller goes through g′)."""
        closed = self.closed_forms.get(activation)
        return None if closed is None else closed.delta(a, self.targets(y, a))


_PROBABILITIES = ("softmax", "sigmoid")
_CCE_FORMS = {"softmax": ClosedForm(_cce_from_logits, _softmax_cce_delta),
              "sigmoid": ClosedForm(_cce_from_sigmoid_logits, _sigmoid_cce_delta)}
_CCE_WHY = ("it takes ln ŷ of probabilities, and that activation can give 0, negative values or values above 1; "
            "use softmax (or sigmoid) as the output activation, or the mse loss")

_LIST = [
    Loss("mse", "Mean squared error", _mse_value, _mse_grad, formula="L = ½Σ(y − ŷ)²; ∂L/∂ŷ = −(y − ŷ)"),
    Loss(
        "bce",
        "Binary cross-entropy",
        _bce_value,
        _bce_grad,
        closed_forms={"sigmoid": ClosedForm(_bce_from_logits, _sigmoid_bce_delta)},
        outputs=_PROBABILITIES,
        why_outputs="it takes ln ŷ and ln(1 − ŷ), so every output must lie in (0, 1), which that activation does "
                    "not keep to; use sigmoid (or softmax) as the output activation, or the mse loss",
        target_problem=_bce_target_problem,
        value_problem=_bce_target_problem,
        formula="L = −Σ[y ln ŷ + (1 − y) ln(1 − ŷ)], each y in [0, 1]",
    ),
    Loss(
        "cce",
        "Categorical cross-entropy",
        _cce_value,
        _cce_grad,
        closed_forms=_CCE_FORMS,
        outputs=_PROBABILITIES,
        why_outputs=_CCE_WHY,
        target_problem=_cce_target_problem,
        value_problem=_cce_target_problem,
        formula="L = −Σ y ln ŷ, each y ≥ 0; after softmax δ = ŷ·Σy − y",
    ),
    Loss(
        "sparse_cce",
        "Sparse categorical cross-entropy",
        _cce_value,
        _cce_grad,
        closed_forms=_CCE_FORMS,
        outputs=_PROBABILITIES,
        why_outputs=_CCE_WHY,
        target_problem=_sparse_target_problem,
        value_problem=_sparse_value_problem,
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
