"""The loss of a batch laid out one sample per column (outputs × B), and δ of the output layer, as the core
defines them (core/losses.py, core/trace.py), for the fast conv engine.

δ carries the batch's 1/B, as the core's does, so the products of the way back sum over the batch:

    softmax + cross-entropy, one-hot targets      δ = (ŷ − y)/B, the loss −ln ŷ_class read off ŷ
    softmax + cross-entropy, other targets        δ = (ŷ·Σy − y)/B
    sigmoid + binary cross-entropy                δ = (ŷ − y)/B
    any other closed form the core writes out     the core's, transposed
    everything else                               ∂L/∂ŷ (the core's) through g′ (in_place_rules.through_activation)

With plain SGD the engine asks δ times the learning rate (`scale`): the whole way back is linear in δ, so every
update then comes out already multiplied by it. The same rules as FastMLP's (engine.py), written for a block
whose output may be maps (a network may end in a convolution or a pooling, read flat in (C, H, W) order).
"""

from __future__ import annotations

import numpy as np

from nnstudio.core.activations import Params
from nnstudio.core.losses import Loss, one_hot_rows
from nnstudio.training.in_place_rules import through_activation


class ColumnLoss:
    """One run's loss against its output layer's activation; `one_hot` is said once by `expect` (None: each batch
    is looked at)."""

    def __init__(self, rule: Loss, activation: str, params: Params, dtype: np.dtype) -> None:
        self.rule, self.activation, self.params = rule, activation, params
        self.softmax_ce = rule.is_fused_with(activation) and activation == "softmax"
        self.sigmoid_bce = rule.is_fused_with(activation) and activation == "sigmoid" and rule.name == "bce"
        self.one_hot: bool | None = None
        self.tiny = float(np.finfo(dtype).tiny)

    def expect(self, y: np.ndarray) -> None:
        """Refuse targets (samples × outputs) the loss cannot take, by name; note whether every row is one-hot."""
        self.rule.check_targets(y)
        self.one_hot = bool(np.all(one_hot_rows(y, axis=-1)))

    def _read_off(self, y: np.ndarray) -> bool:
        """Softmax + cross-entropy with one-hot target columns: the loss read off ŷ, δ = ŷ − y."""
        if not self.softmax_ce:
            return False
        return self.one_hot if self.one_hot is not None else bool(np.all(one_hot_rows(y, axis=0)))

    def step(self, a: np.ndarray, z: np.ndarray, y: np.ndarray, out: np.ndarray, mask: np.ndarray | None,
             scale: float) -> float:
        """The batch's mean loss; δ of the output layer times `scale` written into `out` (a, z, y, out: outputs × B;
        `mask`: ReLU scratch)."""
        batch = a.shape[1]
        if self._read_off(y):
            picked = np.einsum("ij,ij->j", a, y)
            np.log(np.maximum(picked, self.tiny, out=picked), out=picked)
            value = -float(picked.sum()) / batch + 0.0  # + 0.0: a perfect batch's loss is 0, not −0
            np.subtract(a, y, out=out)
            out *= scale / batch
            return value
        value = self.rule.evaluate(a.T, y.T, z.T, self.activation)
        if self.sigmoid_bce:
            np.subtract(a, y, out=out)
            out *= scale / batch
        elif self.softmax_ce:  # soft, multi-label or all-zero targets
            np.multiply(a, y.sum(axis=0, keepdims=True), out=out)
            out -= y
            out *= scale / batch
        else:
            closed = self.rule.output_delta(a.T, y.T, self.activation)
            if closed is not None:
                np.multiply(closed.T, scale, out=out)
            else:
                grad_a = self.rule.grad(a.T, self.rule.targets(y.T, a.T)).T.astype(a.dtype, copy=False)
                through_activation(self.activation, self.params, z, a, mask, grad_a, out)  # type: ignore[arg-type]
                out *= scale
        return value
