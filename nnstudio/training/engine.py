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
(`train_columns`), as in the textbook's z = W·a. Every hidden activation block
carries a row of ones under it, so the next layer's bias is the last column of
the product — added by the same matrix product, and its gradient comes out of
the same weight-gradient product. The data's own block has no such row (copying
each sample with a 1 after it cost more than the bias): z of the first layer
starts as b, the product adds W·x, and b −= Σ δ apart. With plain SGD the weight update is one BLAS call
(W −= a_prev·δᵀ; every product goes through `blas.py`).

For sparse data (`ColumnBatches` decides) the first layer's inputs come in two
parts: the often-nonzero ones as a dense block, and for the rest only their
nonzero values per sample (`rare_inputs.py`), the bias's ones among them. The
first layer's rows of [Wᵀ; b] are stored in the same order (`order_inputs`): the
dense block goes through BLAS with the leading rows, the listed values through a
sparse product with the remaining rows, forward and in the update alike. Only
multiplications by exact zeros are left out (their ∂L/∂w = δ·0 = 0), so the
result is the same for every optimiser. On the MNIST sample that is 343 dense
rows and ~8 listed values per image instead of 785 rows.

Tests compare it with `core.backward`, with a hand-written per-sample loop and
with a hand-written mini-batch loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.losses import get_loss
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.training.blas import RELEASE_GIL_FROM, gemm
from nnstudio.training.rare_inputs import RareInputs, add_outer_products, add_products


@dataclass
class _ColumnBuffers:
    """Preallocated arrays for one batch size in the column layout (features × samples).

    With rare inputs the first layer's blocks are Fortran-ordered (each sample's values
    contiguous), the layout the rare-input products add into; BLAS reads either layout.
    """

    z: list[np.ndarray]
    a: list[np.ndarray]          # hidden layers: (neurons + 1) × B, last row ones
    delta: list[np.ndarray]
    mask: list[np.ndarray]


class FastMLP:
    """Parameters and buffers of a dense network; `train_step` / `train_columns` do a whole step."""

    def __init__(self, network: Network, loss: str, optimizer: OptimizerConfig, dtype: str = "float32",
                 release_gil_from: int = RELEASE_GIL_FROM) -> None:
        """`release_gil_from`: products of at least this many multiply-adds let other Python
        threads run meanwhile (see `blas.gemm`)."""
        if not network.layers:
            raise ValueError("the network has no layers to train")
        self.dtype = np.dtype(dtype)
        self.release_gil_from = release_gil_from
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
        self._columns: dict[tuple[int, bool], _ColumnBuffers] = {}  # by (batch size, rare inputs)
        self._tiny = float(np.finfo(self.dtype).tiny)
        self.step_count = 0
        # gradients (for optimisers other than plain SGD) and optimiser memory, made on first use
        self._grads: list[np.ndarray] | None = None
        self._m: list[np.ndarray] | None = None
        self._v: list[np.ndarray] | None = None

    def set_learning_rate(self, rate: float) -> None:
        """The learning rate from the next step on (a schedule changes it between epochs)."""
        self.config = replace(self.config, learning_rate=float(rate))

    def order_inputs(self, order: np.ndarray) -> None:
        """Store the first layer's weights for input `order[r]` in row r; from now on the input
        rows given to `train_columns` must come in the same order (the row of ones stays last;
        with rare inputs, their row numbers count on from the dense block's). Results
        (`to_network`, `predict`, `train_step`) keep the inputs' own order."""
        order = np.asarray(order, dtype=np.intp)
        if sorted(order.tolist()) != list(range(self.n_in[0])):
            raise ValueError(f"an input order must list each of the {self.n_in[0]} inputs once")
        self.WT[0][...] = self._first_weights()[order]
        self.input_order, self._input_home = order, np.argsort(order)

    def _first_weights(self) -> np.ndarray:
        """The first layer's Wᵀ with rows in the inputs' own order (a copy if stored reordered)."""
        return self.WT[0] if self._input_home is None else self.WT[0][self._input_home]

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

    def _column_buffers(self, batch: int, split: bool) -> _ColumnBuffers:
        key = (batch, split)
        if key not in self._columns:
            # each activation block as the next layer reads it: with a row of ones if that layer has a bias
            heights = [*self.rows[1:], self.n_out[-1]]
            orders = ["F" if split and index == 0 else "C" for index in range(len(heights))]
            a = [np.ones((rows, batch), self.dtype, order=order) for rows, order in zip(heights, orders)]
            # ReLU and identity need no z of their own (ReLU′ reads a > 0, the same as z > 0):
            # one block less to keep in cache. Not so for a split first layer: the sparse
            # products add into a z whose samples are contiguous, so it is a block of its own.
            z = [block[:n] if name in ("relu", "identity") and order == "C" else
                 np.empty((n, batch), self.dtype, order=order)
                 for block, n, name, order in zip(a, self.n_out, self.activations, orders)]
            delta = [np.empty((n, batch), self.dtype, order=order) for n, order in zip(self.n_out, orders)]
            mask = [np.empty((n, batch), bool, order=order) for n, order in zip(self.n_out, orders)]
            self._columns[key] = _ColumnBuffers(z=z, a=a, delta=delta, mask=mask)
        return self._columns[key]

    def train_columns(self, x: np.ndarray, y: np.ndarray, rare: RareInputs | None = None) -> float:
        """One step on a batch laid out one sample per column. Returns the mean loss.

        x: (inputs + 1) × B, contiguous in either order, the last row all ones — or just the inputs × B,
        and the first layer's bias is added apart (z starts as b, then the product adds W·x; b −= Σδ);
        y: outputs × B. Or, with
        `rare`: x holds the first rows of the inputs (in the engine's input order) and `rare` the
        nonzero values of the rest, the bias's ones among them, which the first layer multiplies
        as a sparse matrix with its remaining rows of [Wᵀ; b].
        """
        if rare is None and len(x) < self.n_in[0]:
            raise ValueError(f"{len(x)} input rows are fewer than the first layer's {self.n_in[0]} inputs")
        if rare is not None and len(x) + rare.rows != self.rows[0]:
            raise ValueError(f"{len(x)} dense and {rare.rows} listed input rows do not make the first layer's "
                             f"{self.rows[0]}")
        if rare is not None and rare.samples != x.shape[1]:  # the sparse loops would write past z
            raise ValueError(f"listed inputs for {rare.samples} samples in a batch of {x.shape[1]}")
        buf = self._column_buffers(x.shape[1], rare is not None)
        loss = self._step(x if len(x) == self.n_in[0] else x[:self.rows[0]], y, buf, rare)
        self.step_count += 1
        return loss

    def _step(self, inputs: np.ndarray, y: np.ndarray, buf: _ColumnBuffers, rare: RareInputs | None) -> float:
        """Forward, backward and update; the first layer's rows past len(inputs) are fed by `rare`."""
        last = len(self.WTb) - 1
        dense = len(inputs)
        # the first layer's bias added apart: inputs without a row of ones under them
        bias_apart = rare is None and dense < self.rows[0]
        # forward: z = [W b]·[a_prev; 1]
        a_prev = inputs
        for index in range(last + 1):
            weights = self.WTb[index][:dense] if index == 0 else self.WTb[index]
            if index > 0:
                a_prev = buf.a[index - 1][:self.rows[index]]
            z, a = buf.z[index], buf.a[index][:self.n_out[index]]
            if index == 0 and bias_apart:
                z[...] = self.b[0][:, None]
            gemm(z, weights.T, a_prev, beta=1.0 if index == 0 and bias_apart else 0.0,
                 release_gil_from=self.release_gil_from)
            if index == 0 and rare is not None:
                add_products(z.T, rare, self.WTb[0][dense:])
            self._activate(index, z, a)
        output = buf.a[last]
        loss = self._loss(output, y, buf.z[last])
        scale = self.config.learning_rate if self.plain_sgd else 1.0
        self._output_delta(output, buf.z[last], y, buf.mask[last], buf.delta[last], scale)
        # backward: every δ, with W as it is before any update
        for index in range(last, 0, -1):
            below = buf.delta[index - 1]
            gemm(below, self.WT[index], buf.delta[index], release_gil_from=self.release_gil_from)
            self._through_activation(index - 1, buf.z[index - 1], buf.a[index - 1][:self.n_out[index - 1]],
                                     buf.mask[index - 1], below, below)
        # update: with plain SGD W −= a_prev·(lr·δ)ᵀ in place; else gradients, then the optimiser
        plain = self.plain_sgd
        targets = self.WTb if plain else self._gradient_arrays()
        for index, target in enumerate(targets):
            a_prev = inputs if index == 0 else buf.a[index - 1][:self.rows[index]]
            if index == 0 and rare is not None:
                if not plain:
                    target[dense:] = 0
                add_outer_products(target[dense:], rare, buf.delta[0].T, rare.negated if plain else rare.values)
                target = target[:dense]
            elif index == 0 and bias_apart:  # ∂L/∂b = Σ_batch δ (with plain SGD: b −= Σ lr·δ)
                sums = buf.delta[0].sum(axis=1)
                if plain:
                    target[dense] -= sums
                else:
                    target[dense] = sums
                target = target[:dense]
            gemm(target, a_prev, buf.delta[index].T, alpha=-1.0 if plain else 1.0, beta=1.0 if plain else 0.0,
                 release_gil_from=self.release_gil_from)
        if not plain:
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
