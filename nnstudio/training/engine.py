"""FastMLP: the training arithmetic of `core.trace` and `core.optim`, done in place for speed.

The core builds new immutable arrays on every call, which is right for stepping
through one sample and wrong for sixty thousand. This engine keeps the
parameters as contiguous arrays (float32 by default), preallocates every buffer
for the batch size, and for plain SGD folds the learning rate into δ so each
weight matrix is touched once per step. The maths is the textbook's, as in
`core.trace`:

    z = W·a_prev + b,  a = g(z)
    δ_L = (ŷ − y)/B for softmax+CE and sigmoid+BCE, else g′(z) ∘ ∂L/∂ŷ
    δ_l = (W_{l+1}ᵀ·δ_{l+1}) ∘ g′(z_l)        — computed before any W changes
    ∂L/∂W = δ·a_prevᵀ,  ∂L/∂b = Σ_batch δ

Storage: each layer is one array `WTb` of (inputs [+ 1] × neurons): Wᵀ with the
bias as an extra last row. `WT` and `b` are views of it.

Every batch, batch 1 included, is laid out one sample per column
(`train_columns`), as in the textbook's z = W·a. Every activation block carries
a row of ones under it, so the bias is the last column of the product — added
by the same matrix product, and its gradient comes out of the same
weight-gradient product. With plain SGD the weight update is one BLAS call
(W −= a_prev·δᵀ; every product goes through `blas.py`), and when the
caller says which inputs are nonzero somewhere in the batch, the first layer
works only on those rows of W (about 19 % of MNIST's 784 pixels at batch 1,
58 % at batch 32, 67 % at batch 128): the products skip multiplications by
exact zeros (their ∂L/∂w = δ·0 = 0), nothing else changes. When the inputs
come most-often-nonzero first (`order_inputs`, as `ColumnBatches` lays sparse
data out), those rows are nearly the first ones already: the few beyond are
swapped with zero rows in place (W and x alike) and swapped back after the
update, so the products read the leading rows as they stand. Otherwise (few
rows, scattered: batch 1) the nonzero rows are copied out and back.

Tests compare it with `core.backward`, with a hand-written per-sample loop and
with a hand-written mini-batch loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.losses import get_loss
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.training.blas import gemm

# Working on the nonzero inputs only pays while they are clearly fewer than all.
SPARSE_ENOUGH = 0.85
# Swap the nonzero rows that lie beyond the leading ones into place while they are at most
# this fraction of the rows used; more (batch 1's scattered pixels), copy the rows out instead.
SWAP_AT_MOST = 0.25
# ... and only while copying would move at least this many numbers (rows × (neurons + batch)):
# a swap is a dozen numpy calls, more than copying batch 1's ~150 short rows costs.
SWAP_FROM = 1 << 16


@dataclass
class _ColumnBuffers:
    """Preallocated arrays for one batch size in the column layout (features × samples)."""

    z: list[np.ndarray]
    a: list[np.ndarray]          # hidden layers: (neurons + 1) × B, last row ones
    delta: list[np.ndarray]
    mask: list[np.ndarray]
    inputs: np.ndarray           # gathered nonzero input rows (+ the ones row); or rows swapped out
    first_rows: np.ndarray       # the matching rows of the first layer's WTb; or rows swapped out


class FastMLP:
    """Parameters and buffers of a dense network; `train_step` / `train_columns` do a whole step."""

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
        self.n_in = [layer.n_in for layer in network.layers]
        self.n_out = [layer.n_out for layer in network.layers]
        self.has_bias = [layer.has_bias for layer in network.layers]
        # rows of WTb a product uses: the inputs, plus the bias row if the layer has one
        self.rows = [layer.n_in + int(layer.has_bias) for layer in network.layers]
        # Always copies (never views of the network's read-only arrays): the engine trains its own.
        self.WTb: list[np.ndarray] = []
        for layer, rows in zip(network.layers, self.rows):
            wtb = np.empty((rows, layer.n_out), self.dtype)
            wtb[:layer.n_in] = layer.weights.T
            if layer.has_bias:
                wtb[-1] = layer.bias
            self.WTb.append(wtb)
        self.WT = [wtb[:n] for wtb, n in zip(self.WTb, self.n_in)]
        self.b = [wtb[n] if bias else None for wtb, n, bias in zip(self.WTb, self.n_in, self.has_bias)]
        # The first layer's input rows are stored in this order (None: the inputs' own);
        # `_input_home[i]` is the row that holds input i.
        self.input_order: np.ndarray | None = None
        self._input_home: np.ndarray | None = None
        self.fused = self.loss.is_fused_with(self.activations[-1])
        self.plain_sgd = optimizer.name == "sgd" and optimizer.l2 == 0
        self._columns: dict[int, _ColumnBuffers] = {}
        self._tiny = float(np.finfo(self.dtype).tiny)
        self.step_count = 0
        # gradients (for optimisers other than plain SGD) and optimiser memory, made on first use
        self._grads: list[np.ndarray] | None = None
        self._m: list[np.ndarray] | None = None
        self._v: list[np.ndarray] | None = None

    def order_inputs(self, order: np.ndarray) -> None:
        """Store the first layer's weights for input `order[r]` in row r; from now on the input
        rows given to `train_columns` must come in the same order (the row of ones stays last).
        Results (`to_network`, `predict`, `train_step`) keep the inputs' own order."""
        order = np.asarray(order, dtype=np.intp)
        if sorted(order.tolist()) != list(range(self.n_in[0])):
            raise ValueError(f"an input order must list each of the {self.n_in[0]} inputs once")
        self.WT[0][...] = self._first_weights()[order]
        self.input_order, self._input_home = order, np.argsort(order)

    def _first_weights(self) -> np.ndarray:
        """The first layer's Wᵀ with rows in the inputs' own order (a copy if stored reordered)."""
        return self.WT[0] if self._input_home is None else self.WT[0][self._input_home]

    @property
    def skips_zero_inputs(self) -> bool:
        """Whether `train_columns` can use a list of nonzero inputs (plain SGD only: momentum and
        Adam move every weight each step, gradient or not)."""
        return self.plain_sgd

    # ------------------------------------------------------------------ activations (samples are columns)

    def _activate(self, index: int, z: np.ndarray, a: np.ndarray) -> None:
        """a = g(z) for a block of columns."""
        name = self.activations[index]
        if name == "relu":
            np.maximum(z, 0, out=a)
        elif name == "identity":
            if a is not z:
                a[...] = z
        elif name == "sigmoid":
            np.multiply(z, 0.5, out=a)
            np.tanh(a, out=a)
            a += 1
            a *= 0.5
        elif name == "tanh":
            np.tanh(z, out=a)
        elif name == "softmax":
            np.subtract(z, z.max(axis=0, keepdims=True), out=a)
            np.exp(a, out=a)
            a /= a.sum(axis=0, keepdims=True)
        else:  # the core's activations take one sample per row
            a[...] = get_activation(name)(z.T, self.params[index]).T

    def _through_activation(self, index: int, z: np.ndarray, a: np.ndarray, mask: np.ndarray,
                            grad_a: np.ndarray, out: np.ndarray) -> None:
        """out = ∂L/∂z from ∂L/∂a through g of layer `index` (out may be grad_a itself)."""
        name = self.activations[index]
        if name == "relu":
            np.greater(z, 0, out=mask)  # ReLU′(0) = 0
            np.multiply(grad_a, mask, out=out)
        elif name == "identity":
            out[...] = grad_a
        elif name == "sigmoid":
            np.multiply(grad_a, a, out=out)
            out *= 1 - a
        elif name == "tanh":
            np.multiply(grad_a, 1 - a * a, out=out)
        else:
            out[...] = get_activation(name).backward(z.T, a.T, grad_a.T, self.params[index]).T

    # ------------------------------------------------------------------ loss and output δ

    def _loss(self, a: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
        """Mean loss of the last forward pass.

        Softmax + cross-entropy with one-hot y: −ln(ŷ_class), read off the softmax output
        (clipped at the smallest normal float, so never inf); otherwise the core's loss.
        """
        last = len(self.WTb) - 1
        if self.fused and self.activations[last] == "softmax":
            p = np.einsum("ij,ij->j", a, y)
            np.maximum(p, self._tiny, out=p)
            np.log(p, out=p)
            return -float(p.sum()) / len(p)
        return self.loss.evaluate(a.T, y.T, z.T, self.activations[last])

    def _output_delta(self, a: np.ndarray, z: np.ndarray, y: np.ndarray, mask: np.ndarray, out: np.ndarray,
                      scale: float) -> None:
        """δ of the output layer times `scale` (the learning rate for plain SGD, else 1)."""
        if self.fused:
            np.subtract(a, y, out=out)
            out *= scale / a.shape[1]
            return
        grad_a = self.loss.grad(a.T, self.loss.targets(y.T, a.T)).T
        self._through_activation(len(self.WTb) - 1, z, a, mask, grad_a.astype(self.dtype, copy=False), out)
        out *= scale

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One step on one sample (vectors) or on a batch given as rows. Returns the loss."""
        x, y = np.atleast_2d(x), np.atleast_2d(y)
        columns = np.ones((self.n_in[0] + 1, x.shape[0]), self.dtype)
        columns[:-1] = x.T if self.input_order is None else x[:, self.input_order].T
        return self.train_columns(columns, np.ascontiguousarray(y.T, dtype=self.dtype))

    # ------------------------------------------------------------------ mini-batches (columns)

    def _column_buffers(self, batch: int) -> _ColumnBuffers:
        if batch not in self._columns:
            last = len(self.WTb) - 1
            a = [np.ones((n + (index < last), batch), self.dtype) for index, n in enumerate(self.n_out)]
            # ReLU and identity need no z of their own (ReLU′ reads a > 0, the same as z > 0):
            # one block less to keep in cache
            z = [block[:n] if name in ("relu", "identity") else np.empty((n, batch), self.dtype)
                 for block, n, name in zip(a, self.n_out, self.activations)]
            self._columns[batch] = _ColumnBuffers(
                z=z,
                a=a,
                delta=[np.empty((n, batch), self.dtype) for n in self.n_out],
                mask=[np.empty((n, batch), bool) for n in self.n_out],
                inputs=np.empty((self.rows[0], batch), self.dtype),
                first_rows=np.empty_like(self.WTb[0]),
            )
        return self._columns[batch]

    def train_columns(self, x: np.ndarray, y: np.ndarray, nonzero: np.ndarray | None = None) -> float:
        """One step on a batch laid out one sample per column. Returns the mean loss.

        x: (inputs + 1) × B, C-contiguous, the last row all ones; y: outputs × B.
        nonzero: optional sorted indices of the rows of x that are not zero in some sample of the
        batch, the row of ones included; with plain SGD the first layer then only reads and
        updates those rows of [Wᵀ; b]. Rows of x may be exchanged while the step runs; x is as
        it was given when the step returns.
        """
        batch = x.shape[1]
        buf = self._column_buffers(batch)
        rows0 = self.rows[0]
        compact = nonzero is not None and self.plain_sgd and len(nonzero) < SPARSE_ENOUGH * self.n_in[0]
        gathered = swapped = None
        if compact:
            used = nonzero
            if len(used) and used[-1] == self.n_in[0] and not self.has_bias[0]:
                used = used[:-1]  # the ones row feeds only a bias
            elif (not len(used) or used[-1] != self.n_in[0]) and self.has_bias[0]:
                used = np.append(used, self.n_in[0])
            compact = len(used) > 0  # no bias and a batch of zeros: nothing to skip to
        if compact:
            m = len(used)
            # few enough rows beyond the first m to swap in ⟺ the k-th listed row lies among the first m
            k = m - int(SWAP_AT_MOST * m)
            if used[k - 1] < m and m * (self.n_out[0] + batch) >= SWAP_FROM and x.flags.writeable:
                inside = int(np.searchsorted(used, m))  # listed rows among the first m
                present = np.zeros(m, bool)
                present[used[:inside]] = True
                holes = np.flatnonzero(~present)  # zero rows among the first m; as many as the rows beyond
                swapped = (np.concatenate((holes, used[inside:])), np.concatenate((used[inside:], holes)))
                self._swap_rows(x, *swapped, buf)
                inputs, first = x[:m], self.WTb[0][:m]
            else:
                gathered = used
                inputs, first = buf.inputs[:m], buf.first_rows[:m]
                np.take(x, used, axis=0, out=inputs, mode="clip")  # "clip": no hidden copy, indices are valid
                np.take(self.WTb[0], used, axis=0, out=first, mode="clip")
        else:
            inputs, first = x[:rows0], self.WTb[0]
        try:
            loss = self._step(inputs, first, y, buf)
        finally:
            if swapped is not None:
                self._swap_rows(x, *swapped, buf)  # a swap undoes itself: rows home, x as it was given
        if gathered is not None:
            self.WTb[0][gathered] = first
        self.step_count += 1
        return loss

    def _swap_rows(self, x: np.ndarray, rows: np.ndarray, sources: np.ndarray, buf: _ColumnBuffers) -> None:
        """Rows `rows` of the first layer's [Wᵀ; b] and of x get rows `sources` (a list of pairs
        exchanged both ways, so doing it twice puts everything back)."""
        count = len(rows)
        if not count:
            return
        for matrix, moving in ((self.WTb[0], buf.first_rows[:count]), (x, buf.inputs[:count])):
            np.take(matrix, sources, axis=0, out=moving, mode="clip")
            matrix[rows] = moving

    def _step(self, inputs: np.ndarray, first: np.ndarray, y: np.ndarray, buf: _ColumnBuffers) -> float:
        """Forward, backward and update, with `first` the first layer's rows that `inputs` feed."""
        last = len(self.WTb) - 1
        # forward: z = [W b]·[a_prev; 1]
        a_prev = inputs
        for index in range(last + 1):
            weights = first if index == 0 else self.WTb[index]
            if index > 0:
                a_prev = buf.a[index - 1][:self.rows[index]]
            z, a = buf.z[index], buf.a[index][:self.n_out[index]]
            gemm(z, weights.T, a_prev)
            self._activate(index, z, a)
        output = buf.a[last]
        loss = self._loss(output, y, buf.z[last])
        scale = self.config.learning_rate if self.plain_sgd else 1.0
        self._output_delta(output, buf.z[last], y, buf.mask[last], buf.delta[last], scale)
        # backward: every δ, with W as it is before any update
        for index in range(last, 0, -1):
            below = buf.delta[index - 1]
            gemm(below, self.WT[index], buf.delta[index])
            self._through_activation(index - 1, buf.z[index - 1], buf.a[index - 1][:self.n_out[index - 1]],
                                     buf.mask[index - 1], below, below)
        # update
        if self.plain_sgd:
            for index in range(last + 1):
                a_prev = inputs if index == 0 else buf.a[index - 1][:self.rows[index]]
                gemm(first if index == 0 else self.WTb[index], a_prev, buf.delta[index].T, alpha=-1.0, beta=1.0)
        else:
            for index, grad in enumerate(self._gradient_arrays()):
                a_prev = inputs if index == 0 else buf.a[index - 1][:self.rows[index]]
                gemm(grad, a_prev, buf.delta[index].T)
            self._optimiser_update()
        return loss

    # ------------------------------------------------------------------ other optimisers

    def _gradient_arrays(self) -> list[np.ndarray]:
        if self._grads is None:
            self._grads = [np.empty_like(w) for w in self.WTb]
        return self._grads

    def _optimiser_update(self) -> None:
        """SGD with L2, momentum or Adam, in place, on each layer's [Wᵀ; b] at once.

        L2 touches the weight rows only (biases are not regularised). Adam's m̂/(√v̂ + ε) is
        computed as (m/(1−β₁ᵗ)) / (√v/√(1−β₂ᵗ) + ε), the same quantity.
        """
        c = self.config
        grads = self._gradient_arrays()
        if c.l2:
            for grad, wt, n in zip(grads, self.WT, self.n_in):
                grad[:n] += c.l2 * wt
        if self._m is None:
            self._m = [np.zeros_like(p) for p in self.WTb]
            self._v = [np.zeros_like(p) for p in self.WTb]
            self._scratch = [np.empty_like(p) for p in self.WTb]
        t = self.step_count + 1
        for p, g, m, v, tmp in zip(self.WTb, grads, self._m, self._v, self._scratch):  # type: ignore[arg-type]
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
        return all(np.isfinite(w).all() for w in self.WTb)

    def snapshot(self) -> list[np.ndarray]:
        return [w.copy() for w in self.WTb]

    def restore(self, snapshot: list[np.ndarray]) -> None:
        for w, saved in zip(self.WTb, snapshot):
            w[...] = saved

    def to_network(self, dtype: np.dtype | None = None) -> Network:
        """The trained parameters as an immutable Network (in the template's precision by default)."""
        out = dtype or self.template.dtype
        layers = [
            DenseLayer(np.ascontiguousarray(wt.T).astype(out), None if b is None else b.astype(out),
                       layer.activation, layer.params)
            for wt, b, layer in zip([self._first_weights(), *self.WT[1:]], self.b, self.template.layers)
        ]
        return Network(self.template.input_size, tuple(layers))

    def predict(self, x: np.ndarray, batch: int = 1024) -> np.ndarray:
        """Outputs for many inputs, in chunks, without touching the training buffers."""
        outputs = []
        weights = [self._first_weights(), *self.WT[1:]]
        for start in range(0, len(x), batch):
            a = np.asarray(x[start:start + batch], dtype=self.dtype)
            for index, (wt, b) in enumerate(zip(weights, self.b)):
                z = a @ wt
                if b is not None:
                    z += b
                a = get_activation(self.activations[index])(z, self.params[index])
            outputs.append(a)
        return np.concatenate(outputs) if outputs else np.zeros((0, self.WT[-1].shape[1]), self.dtype)
