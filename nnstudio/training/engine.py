"""FastMLP: the training arithmetic of `core.trace` and `core.optim`, done in place for speed.

The core builds new immutable arrays on every call, which is right for stepping
through one sample and wrong for sixty thousand. This engine keeps the
parameters as contiguous arrays (float32 by default), preallocates every buffer
for the batch size, uses outer products (not (n,1)@(1,m) matmuls) at batch 1,
and for plain SGD folds the learning rate into δ so each weight matrix is
touched once per step. The maths is the textbook's, as in `core.trace`:

    z = a_prev·Wᵀ + b,  a = g(z)
    δ_L = (ŷ − y)/B for softmax+CE and sigmoid+BCE, else g′(z) ∘ ∂L/∂ŷ
    δ_l = (δ_{l+1}·W_{l+1}) ∘ g′(z_l)        — computed before any W changes
    ∂L/∂W = δᵀ·a_prev,  ∂L/∂b = Σ_batch δ

Storage: each W is kept transposed, as WT (inputs × neurons), contiguous. Then
the two large products of a step, a_prev·WT and a_prevᵀ·δ, are the layouts
BLAS runs fastest, and at batch 1 the weights of one input are one contiguous
row: the update touches only the rows of inputs that are not zero (most MNIST
pixels and about half of ReLU outputs are exactly zero; their ∂L/∂w = δ·0 = 0).

Tests compare it with `core.backward` and with a hand-written per-sample loop.
"""

from __future__ import annotations

import math

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.losses import get_loss
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OptimizerConfig


class FastMLP:
    """Parameters and buffers of a dense network; `train_step` does forward, backward and update."""

    def __init__(self, network: Network, loss: str, optimizer: OptimizerConfig, dtype: str = "float32") -> None:
        if not network.layers:
            raise ValueError("the network has no layers to train")
        self.dtype = np.dtype(dtype)
        self.template = network
        rule = get_loss(loss)
        self.loss = get_loss("cce") if rule.sparse else rule  # the engine is always fed one-hot rows
        self.config = optimizer
        self.activations = [layer.activation for layer in network.layers]
        self.params = [dict(layer.params) for layer in network.layers]
        # Always copies (never views of the network's read-only arrays): the engine trains its own.
        self.WT = [np.array(layer.weights.T, dtype=self.dtype, order="C", copy=True) for layer in network.layers]
        self.b = [None if layer.bias is None else np.array(layer.bias, dtype=self.dtype, copy=True)
                  for layer in network.layers]
        last = self.activations[-1]
        self.fused = self.loss.is_fused_with(last)
        self._buffers: dict[tuple[int, int], tuple] = {}
        self._tiny = float(np.finfo(self.dtype).tiny)
        self.step_count = 0
        # optimiser memory (momentum velocity, Adam moments), allocated on first use
        self._m: list[np.ndarray | None] | None = None
        self._v: list[np.ndarray | None] | None = None

    # ------------------------------------------------------------------ buffers

    def _use_buffers(self, x: np.ndarray) -> None:
        """Buffers for this input's shape (a vector, or a batch of B rows), made once and kept."""
        key = (x.ndim, x.shape[0] if x.ndim == 2 else 1)
        if key not in self._buffers:
            shape = (lambda n: (n,)) if x.ndim == 1 else (lambda n: (key[1], n))
            self._buffers[key] = (
                [np.empty(shape(w.shape[1]), self.dtype) for w in self.WT],
                [np.empty(shape(w.shape[1]), self.dtype) for w in self.WT],
                [np.empty(shape(w.shape[1]), self.dtype) for w in self.WT],
                [np.empty(shape(w.shape[1]), bool) for w in self.WT],
            )
            if not hasattr(self, "gWT"):
                self.gWT = [np.empty_like(w) for w in self.WT]
                self.gb = [None if b is None else np.empty_like(b) for b in self.b]
        self.z, self.a, self.delta, self.mask = self._buffers[key]

    # ------------------------------------------------------------------ forward

    def _activate(self, index: int) -> None:
        name = self.activations[index]
        z, a = self.z[index], self.a[index]
        if name == "relu":
            np.maximum(z, 0, out=a)
        elif name == "identity":
            a[...] = z
        elif name == "sigmoid":
            np.multiply(z, 0.5, out=a)
            np.tanh(a, out=a)
            a += 1
            a *= 0.5
        elif name == "tanh":
            np.tanh(z, out=a)
        elif name == "softmax":
            if z.ndim == 1:
                np.subtract(z, z.max(), out=a)
                np.exp(a, out=a)
                a /= a.sum()
            else:
                np.subtract(z, z.max(axis=1, keepdims=True), out=a)
                np.exp(a, out=a)
                a /= a.sum(axis=1, keepdims=True)
        else:
            a[...] = get_activation(name)(z, self.params[index])

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Fill z and a for input x ((n,) at batch 1, else (B, n)); returns the output."""
        self._use_buffers(x)
        a_prev = x
        for index, (wt, b) in enumerate(zip(self.WT, self.b)):
            z = self.z[index]
            np.matmul(a_prev, wt, out=z)
            if b is not None:
                z += b
            self._activate(index)
            a_prev = self.a[index]
        return a_prev

    # ------------------------------------------------------------------ loss and δ

    def loss_value(self, y: np.ndarray) -> float:
        """Mean loss of the last forward pass.

        Softmax + cross-entropy with one-hot y: −ln(ŷ_class), read off the softmax output
        (clipped at the smallest normal float, so never inf); otherwise the core's loss.
        """
        last = len(self.WT) - 1
        a = self.a[last]
        if self.fused and self.activations[last] == "softmax":
            if a.ndim == 1:
                return -math.log(max(float(a @ y), self._tiny))
            p = np.einsum("ij,ij->i", a, y)
            np.maximum(p, self._tiny, out=p)
            np.log(p, out=p)
            return -float(p.mean())
        return self.loss.evaluate(a, y, self.z[last], self.activations[last])

    def _output_delta(self, y: np.ndarray, scale: float) -> None:
        """δ of the output layer times `scale` (the learning rate for plain SGD, else 1)."""
        last = len(self.WT) - 1
        a, delta = self.a[last], self.delta[last]
        batch = 1 if a.ndim == 1 else a.shape[0]
        if self.fused:
            np.subtract(a, y, out=delta)
            delta *= scale / batch
            return
        grad_a = self.loss.grad(a, self.loss.targets(y, a)).astype(self.dtype, copy=False)
        self._through_activation(last, grad_a, delta)
        delta *= scale

    def _through_activation(self, index: int, grad_a: np.ndarray, out: np.ndarray) -> None:
        """out = ∂L/∂z from ∂L/∂a through g of layer `index` (softmax through its Jacobian)."""
        name = self.activations[index]
        z, a = self.z[index], self.a[index]
        if name == "relu":
            np.greater(z, 0, out=self.mask[index])
            np.multiply(grad_a, self.mask[index], out=out)
        elif name == "identity":
            out[...] = grad_a
        elif name == "sigmoid":
            np.multiply(grad_a, a, out=out)
            out *= 1 - a
        elif name == "tanh":
            np.multiply(grad_a, 1 - a * a, out=out)  # out may be grad_a itself
        else:
            activation = get_activation(name)
            out[...] = activation.backward(z, a, grad_a, self.params[index])

    # ------------------------------------------------------------------ one step

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward, loss, backward (all gradients), then update every parameter. Returns the loss."""
        config = self.config
        plain_sgd = config.name == "sgd" and config.l2 == 0
        self.forward(x)
        loss = self.loss_value(y)
        self._output_delta(y, config.learning_rate if plain_sgd else 1.0)
        if x.ndim == 1 and plain_sgd:
            self._sgd_vector_step(x)
        else:
            self._gradients(x)
            if plain_sgd:
                for wt, g, b, gb in zip(self.WT, self.gWT, self.b, self.gb):
                    wt -= g
                    if b is not None:
                        b -= gb
            else:
                self._optimiser_update()
        self.step_count += 1
        return loss

    def _gradients(self, x: np.ndarray) -> None:
        """Every ∂L/∂W (as ∂L/∂WT = a_prevᵀ·δ) and ∂L/∂b, layer by layer from the output back."""
        for index in range(len(self.WT) - 1, -1, -1):
            delta = self.delta[index]
            a_prev = x if index == 0 else self.a[index - 1]
            if x.ndim == 1:
                np.multiply.outer(a_prev, delta, out=self.gWT[index])
                if self.gb[index] is not None:
                    self.gb[index][...] = delta
            else:
                np.matmul(a_prev.T, delta, out=self.gWT[index])
                if self.gb[index] is not None:
                    delta.sum(axis=0, out=self.gb[index])
            if index > 0:  # the signal back, with W as it is before any update
                below = self.delta[index - 1]
                np.matmul(delta, self.WT[index].T, out=below)
                self._through_activation(index - 1, below, below)

    def _sgd_vector_step(self, x: np.ndarray) -> None:
        """Batch 1, plain SGD (δ already carries the learning rate).

        First every δ (with the old W), then each W loses δ·a_prevᵀ, written as rows of WT:
        only the rows of inputs that are not zero change, since their gradient is δ·0 = 0.
        """
        for index in range(len(self.WT) - 1, 0, -1):
            below = self.delta[index - 1]
            np.matmul(self.WT[index], self.delta[index], out=below)
            self._through_activation(index - 1, below, below)
        for index, (wt, b) in enumerate(zip(self.WT, self.b)):
            delta = self.delta[index]
            a_prev = x if index == 0 else self.a[index - 1]
            active = np.flatnonzero(a_prev)
            if 2 * len(active) < len(a_prev):
                wt[active] -= np.multiply.outer(a_prev[active], delta)
            else:
                np.multiply.outer(a_prev, delta, out=self.gWT[index])
                wt -= self.gWT[index]
            if b is not None:
                b -= delta

    def _optimiser_update(self) -> None:
        """SGD with L2, momentum or Adam, in place, with one scratch buffer per parameter.

        Adam's m̂/(√v̂ + ε) is computed as (m/(1−β₁ᵗ)) / (√v/√(1−β₂ᵗ) + ε), the same quantity.
        """
        c = self.config
        params = [p for pair in zip(self.WT, self.b) for p in pair]
        grads = [g for pair in zip(self.gWT, self.gb) for g in pair]
        if c.l2:
            for index, wt in enumerate(self.WT):
                self.gWT[index] += c.l2 * wt
        if self._m is None:
            self._m = [None if p is None else np.zeros_like(p) for p in params]
            self._v = [None if p is None else np.zeros_like(p) for p in params]
            self._scratch = [None if p is None else np.empty_like(p) for p in params]
        t = self.step_count + 1
        for p, g, m, v, tmp in zip(params, grads, self._m, self._v, self._scratch):  # type: ignore[arg-type]
            if p is None:
                continue
            if c.name == "sgd":
                np.multiply(g, c.learning_rate, out=tmp)
                p -= tmp
            elif c.name == "momentum":
                m *= c.momentum
                np.multiply(g, c.learning_rate, out=tmp)
                m -= tmp
                p += m
            else:
                m *= c.beta1
                np.multiply(g, 1 - c.beta1, out=tmp)
                m += tmp
                v *= c.beta2
                np.multiply(g, g, out=tmp)
                tmp *= 1 - c.beta2
                v += tmp
                np.sqrt(v, out=tmp)
                tmp *= 1 / math.sqrt(1 - c.beta2**t)
                tmp += c.epsilon
                np.divide(m, tmp, out=tmp)
                tmp *= c.learning_rate / (1 - c.beta1**t)
                p -= tmp

    # ------------------------------------------------------------------ results

    def finite(self) -> bool:
        return all(np.isfinite(w).all() for w in self.WT) and all(b is None or np.isfinite(b).all() for b in self.b)

    def snapshot(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        return [(w.copy(), None if b is None else b.copy()) for w, b in zip(self.WT, self.b)]

    def restore(self, snapshot: list[tuple[np.ndarray, np.ndarray | None]]) -> None:
        for index, (w, b) in enumerate(snapshot):
            self.WT[index][...] = w
            if b is not None:
                self.b[index][...] = b  # type: ignore[index]

    def to_network(self, dtype: np.dtype | None = None) -> Network:
        """The trained parameters as an immutable Network (in the template's precision by default)."""
        out = dtype or self.template.dtype
        layers = [
            DenseLayer(np.ascontiguousarray(wt.T).astype(out), None if b is None else b.astype(out),
                       layer.activation, layer.params)
            for wt, b, layer in zip(self.WT, self.b, self.template.layers)
        ]
        return Network(self.template.input_size, tuple(layers))

    def predict(self, x: np.ndarray, batch: int = 1024) -> np.ndarray:
        """Outputs for many inputs, in chunks, without touching the training buffers."""
        outputs = []
        for start in range(0, len(x), batch):
            a = np.asarray(x[start:start + batch], dtype=self.dtype)
            for index, (wt, b) in enumerate(zip(self.WT, self.b)):
                z = a @ wt
                if b is not None:
                    z += b
                a = get_activation(self.activations[index])(z, self.params[index])
            outputs.append(a)
        return np.concatenate(outputs) if outputs else np.zeros((0, self.WT[-1].shape[1]), self.dtype)
