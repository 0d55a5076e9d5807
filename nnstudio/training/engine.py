"""FastMLP: the training arithmetic of `core.trace` and `core.optim`, done in place for speed.

The core builds new immutable arrays on every call, which is right for stepping
through one sample and wrong for sixty thousand. This engine keeps the
parameters as contiguous arrays (float32 by default), preallocates every buffer
for the batch size, and for plain SGD folds the learning rate into δ so each
weight matrix is touched once per step. The maths is the textbook's, as in
`core.trace`:

    z = W·a_prev + b,  a = g(z)
    δ_L = (ŷ − y)/B for softmax+CE with one-hot rows and for sigmoid+BCE, (ŷ·Σy − y)/B for
          softmax+CE with other rows (soft, multi-label, all-zero), else the core's closed
          form or g′(z) ∘ ∂L/∂ŷ — the true ∂L/∂z for every target the loss accepts
    δ_l = (W_{l+1}ᵀ·δ_{l+1}) ∘ g′(z_l)        — from W_{l+1} before it changes
    ∂L/∂W = δ·a_prevᵀ,  ∂L/∂b = Σ_batch δ

Storage: each layer's W is one C-ordered array of neurons × inputs, as the textbook
writes it, and its bias a vector of its own. (W was stored transposed, inputs ×
neurons, with the bias as an extra row fed by a row of ones. The textbook's
orientation makes z = W·a 1.4–1.9× faster for wide layers in both OpenBLAS and MKL —
784 inputs into 1,024 neurons at batch 32: 1,222 against 716 µs, measured — and no
slower at 128 neurons; the bias apart costs a broadcast copy and a matrix-vector product δ·1 per layer.)

Every batch, batch 1 included, is laid out one sample per column (`train_columns`),
as in the textbook's z = W·a: z starts as b and the product adds W·a_prev
(BLAS's β = 1); with plain SGD the weight update is one BLAS call, W −= (lr·δ)·a_prevᵀ,
and b −= Σ lr·δ (every product goes through `blas.py`). Each W_l is updated as soon as
δ_{l−1} has been computed from it, while it is still in cache; the result is the same
as updating every W after the whole backward pass, since nothing later reads W_l.

For sparse data (`ColumnBatches` decides) the first layer's inputs come in two
parts: the often-nonzero ones as a dense block, and for the rest only their
nonzero values per sample (`rare_inputs.py`), a 1 for the bias among them. The
first layer is then stored in two blocks (`split_inputs`): W's columns for the
dense inputs (neurons × dense, through BLAS), and the rare inputs' weights with the
bias after them, one row per input (the layout the sparse products read and write),
forward and in the update alike. Only multiplications by exact zeros are left out
(their ∂L/∂w = δ·0 = 0), so the result is the same for every optimiser. On the
MNIST sample that is 343 dense inputs and ~8 listed values per image instead of 784.

The activations and optimisers as written in place are in `in_place_rules.py`, where each parameter
array lives in `parameter_layout.py`. Tests compare the engine with `core.backward` + `core.apply_update`
for every optimiser and activation (tests/training/test_engine_matches_core.py), with a hand-written
per-sample loop and with a hand-written mini-batch loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from nnstudio.core.activations import ParameterError, get_activation
from nnstudio.core.losses import get_loss, one_hot_rows
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.training.blas import RELEASE_GIL_FROM, Product
from nnstudio.training.in_place_rules import activate, through_activation, update_in_place
from nnstudio.training.parameter_layout import Layers, lay_out
from nnstudio.training.rare_inputs import RareInputs, add_outer_products, add_products


@dataclass
class _ColumnBuffers:
    """Preallocated arrays for one batch size in the column layout (features × samples).

    A split first layer's blocks are Fortran-ordered (each sample's values contiguous), the
    layout the rare-input products add into; BLAS reads either layout.
    """

    z: list[np.ndarray]
    a: list[np.ndarray]
    delta: list[np.ndarray]
    mask: list[np.ndarray]
    ones: np.ndarray  # B × 1: Σ_batch δ = δ·1, the bias gradient, as a matrix-vector product


@dataclass(frozen=True)
class _StepProducts:
    """A step's BLAS products for one batch shape, prepared once (see `blas.Product`): per layer the
    forward z (+)= W·a_prev, the signal back δ_{i−1} = W_iᵀ·δ_i (None for the first layer) and the
    update or gradient of W from δ·a_prevᵀ, and of b from δ·1 (None: no bias, or listed with the rare
    inputs). The first layer's inputs move each step and are given at the call."""

    forward: list[Product]
    backward: list[Product | None]
    update: list[Product]
    bias: list[Callable[[], None] | None]


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
        rule.check_output(network.layers[-1].activation)  # cross-entropy after ReLU: refused by name, now
        self.loss = get_loss("cce") if rule.sparse else rule  # the engine is always fed one-hot rows
        self.config = optimizer
        self.activations = [layer.activation for layer in network.layers]
        self.params = [dict(layer.params) for layer in network.layers]
        for number, (name, params) in enumerate(zip(self.activations, self.params), start=1):
            try:  # a float64 network's ELU α = 1e300 trained in float32 would make every loss NaN: refused now
                get_activation(name).check_fits(params, self.dtype)
            except ParameterError as error:
                raise ParameterError(name, error.key, f"{error.reason} (layer {number}; training in "
                                                      f"{self.dtype})") from None
        self.n_in = [layer.n_in for layer in network.layers]
        self.n_out = [layer.n_out for layer in network.layers]
        self.has_bias = [layer.has_bias for layer in network.layers]
        # inputs a layer multiplies, plus one for its bias (what a split first layer's two parts add up to)
        self.rows = [layer.n_in + int(layer.has_bias) for layer in network.layers]
        # The first layer's inputs are stored in this order (None: the inputs' own);
        # `_input_home[i]` is the column that holds input i.
        self.input_order: np.ndarray | None = None
        self._input_home: np.ndarray | None = None
        # Always copies (never views of the network's read-only arrays): the engine trains its own.
        self._lay_out([(np.array(layer.weights, self.dtype), None if layer.bias is None else
                        np.array(layer.bias, self.dtype)) for layer in network.layers], None)
        self.fused = self.loss.is_fused_with(self.activations[-1])
        # Softmax + cross-entropy reads the loss off ŷ and takes δ = ŷ − y only for one-hot target rows
        # (Σy = 1); `expect_targets` says once whether a run's targets all are. None: each batch is looked at.
        self.one_hot: bool | None = None
        self.plain_sgd = optimizer.name == "sgd" and optimizer.l2 == 0
        self._columns: dict[tuple[int, bool], _ColumnBuffers] = {}  # by (batch size, split)
        self._tiny = float(np.finfo(self.dtype).tiny)
        self.step_count = 0
        # gradients (for optimisers other than plain SGD) and optimiser memory, made on first use
        self._grads: list[np.ndarray] | None = None
        self._m: list[np.ndarray] | None = None
        self._v: list[np.ndarray] | None = None
        self._scratch: list[np.ndarray] | None = None

    def expect_targets(self, y: np.ndarray) -> None:
        """Check a run's targets (samples × outputs) once, before it starts: those the loss refuses raise
        LossError by name (binary cross-entropy of −1), and whether every row is one-hot is noted, so
        the steps of a classifier keep their fast path without looking at each batch."""
        self.loss.check_targets(y)
        self.one_hot = bool(np.all(one_hot_rows(y, axis=-1)))

    def set_learning_rate(self, rate: float) -> None:
        """The learning rate from the next step on (a schedule changes it between epochs)."""
        self.config = replace(self.config, learning_rate=float(rate))

    # ------------------------------------------------------------------ storage

    def _lay_out(self, layers: Layers, split: int | None) -> None:
        """Store (W, b) per layer (the first layer's columns in the engine's input order) as
        `arrays`, its first layer in two blocks when `split` gives a number of dense inputs."""
        self.arrays, self._layout = lay_out(layers, split, self.dtype)
        # prepared products point into the arrays they were made with: new arrays, new products
        self._products: dict[tuple[tuple[int, ...], tuple[int, ...], bool], _StepProducts] = {}
        layout = self._layout
        self.W = [self.arrays[index] for index in layout.weights]
        self.b = [None if index is None else self.arrays[index] for index in layout.biases]
        self.rare_W = None if layout.rare is None else self.arrays[layout.rare]
        if layout.rare is not None and self.has_bias[0]:
            self.b[0] = self.rare_W[-1]

    def split_inputs(self, dense: int | None) -> None:
        """Store the first layer in two blocks for `dense` dense inputs and the rest listed (see
        `train_columns`), or in one (None). Parameters and optimiser memory keep their values."""
        if dense == self._layout.split:
            return
        memory = [None if m is None else self._layout.layers_of(m) for m in (self._m, self._v)]
        # no copies needed: the old arrays are dropped, and lay_out makes new ones where the blocks change
        self._lay_out(self._layout.layers_of(self.arrays), dense)
        self._m, self._v = [None if m is None else lay_out(m, dense, self.dtype)[0] for m in memory]
        self._grads = self._scratch = None

    def order_inputs(self, order: np.ndarray) -> None:
        """Store the first layer's weights for input `order[r]` in column r; from now on the input
        rows given to `train_columns` must come in the same order (with rare inputs, their row
        numbers count on from the dense block's). Results (`to_network`, `predict`, `train_step`)
        keep the inputs' own order."""
        order = np.asarray(order, dtype=np.intp)
        if sorted(order.tolist()) != list(range(self.n_in[0])):
            raise ValueError(f"an input order must list each of the {self.n_in[0]} inputs once")
        split = self._layout.split
        self.split_inputs(None)
        self.W[0][...] = self._own_order_layers()[0][0][:, order]
        self.input_order, self._input_home = order, np.argsort(order)
        self.split_inputs(split)

    # ------------------------------------------------------------------ loss and output δ

    def _one_hot_softmax(self, y: np.ndarray) -> bool:
        """True for softmax + cross-entropy with one-hot target columns (told by `expect_targets`, or seen)."""
        if not (self.fused and self.activations[-1] == "softmax"):
            return False
        return self.one_hot if self.one_hot is not None else bool(np.all(one_hot_rows(y, axis=0)))

    def _loss(self, a: np.ndarray, y: np.ndarray, z: np.ndarray, one_hot: bool) -> float:
        """Mean loss of the last forward pass.

        Softmax + cross-entropy with one-hot y: −ln(ŷ_class), read off the softmax output
        (clipped at the smallest normal float, so never inf); otherwise the core's loss.
        """
        last = len(self.W) - 1
        if one_hot:
            p = np.einsum("ij,ij->j", a, y)
            np.maximum(p, self._tiny, out=p)
            np.log(p, out=p)
            return -float(p.sum()) / len(p) + 0.0  # + 0.0: a perfect batch's loss is 0, not −0
        return self.loss.evaluate(a.T, y.T, z.T, self.activations[last])

    def _output_delta(self, a: np.ndarray, z: np.ndarray, y: np.ndarray, mask: np.ndarray, out: np.ndarray,
                      scale: float, one_hot: bool) -> None:
        """δ of the output layer times `scale` (the learning rate for plain SGD, else 1)."""
        name = self.activations[-1]
        if one_hot or self.fused and name == "sigmoid" and self.loss.name == "bce":
            np.subtract(a, y, out=out)  # the textbook's ŷ − y, exact here
            out *= scale / a.shape[1]
            return
        if self.fused and name == "softmax":  # soft, multi-label or all-zero rows: δ = ŷ·Σy − y
            np.multiply(a, y.sum(axis=0, keepdims=True), out=out)
            out -= y
            out *= scale / a.shape[1]
            return
        closed = self.loss.output_delta(a.T, y.T, name)  # sigmoid + cce: the core's −y(1 − ŷ)/B
        if closed is not None:
            np.multiply(closed.T, scale, out=out)
            return
        grad_a = self.loss.grad(a.T, self.loss.targets(y.T, a.T)).T
        through_activation(name, self.params[-1], z, a, mask, grad_a.astype(self.dtype, copy=False), out)
        out *= scale

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One step on one sample (vectors) or on a batch given as rows. Returns the loss."""
        x, y = np.atleast_2d(x), np.atleast_2d(y)
        columns = np.ascontiguousarray((x if self.input_order is None else x[:, self.input_order]).T, self.dtype)
        return self.train_columns(columns, np.ascontiguousarray(y.T, dtype=self.dtype))

    # ------------------------------------------------------------------ mini-batches (columns)

    def _column_buffers(self, batch: int, split: bool) -> _ColumnBuffers:
        key = (batch, split)
        if key not in self._columns:
            orders = ["F" if split and index == 0 else "C" for index in range(len(self.n_out))]
            a = [np.empty((n, batch), self.dtype, order=order) for n, order in zip(self.n_out, orders)]
            # ReLU and identity need no z of their own (ReLU′ reads a > 0, the same as z > 0):
            # one block less to keep in cache.
            z = [block if name in ("relu", "identity") else np.empty_like(block)
                 for block, name in zip(a, self.activations)]
            delta = [np.empty_like(block) for block in a]
            mask = [np.empty(block.shape, bool, order=order) for block, order in zip(a, orders)]
            self._columns[key] = _ColumnBuffers(z=z, a=a, delta=delta, mask=mask,
                                                ones=np.ones((batch, 1), self.dtype))
        return self._columns[key]

    def train_columns(self, x: np.ndarray, y: np.ndarray, rare: RareInputs | None = None) -> float:
        """One step on a batch laid out one sample per column. Returns the mean loss.

        x: inputs × B (in the engine's input order; rows past the inputs, such as a row of ones,
        are ignored), contiguous in either order; y: outputs × B. Or, with `rare`: x holds the
        first rows of the inputs and `rare` the nonzero values of the rest, the bias's ones among
        them, which the first layer multiplies as a sparse matrix (its storage is split to match,
        `split_inputs`, the first time).
        """
        if rare is None and len(x) < self.n_in[0]:
            raise ValueError(f"{len(x)} input rows are fewer than the first layer's {self.n_in[0]} inputs")
        if rare is not None and len(x) + rare.rows != self.rows[0]:
            raise ValueError(f"{len(x)} dense and {rare.rows} listed input rows do not make the first layer's "
                             f"{self.rows[0]}")
        if rare is not None and rare.samples != x.shape[1]:  # the sparse loops would write past z
            raise ValueError(f"listed inputs for {rare.samples} samples in a batch of {x.shape[1]}")
        self.split_inputs(None if rare is None else len(x))
        if len(x) > self.n_in[0] and rare is None:
            x = x[:self.n_in[0]] if x.flags.c_contiguous else np.ascontiguousarray(x[:self.n_in[0]])
        loss = self._step(x, y, self._column_buffers(x.shape[1], rare is not None), rare)
        self.step_count += 1
        return loss

    def _step_products(self, inputs: np.ndarray, buf: _ColumnBuffers, rare: RareInputs | None,
                       target: list[np.ndarray]) -> _StepProducts:
        """This batch shape's products (made on first use; `_lay_out` forgets them)."""
        key = (inputs.shape, inputs.strides, rare is not None)
        products = self._products.get(key)
        if products is None:
            last = len(self.W) - 1
            release = self.release_gil_from
            plain = self.plain_sgd
            layout = self._layout
            forward, backward, update, bias = [], [], [], []
            for index in range(last + 1):
                a_prev = inputs if index == 0 else buf.a[index - 1]
                adds_to_bias = self.b[index] is not None and not (index == 0 and rare is not None)
                forward.append(Product(buf.z[index], self.W[index], a_prev, beta=1.0 if adds_to_bias else 0.0,
                                       release_gil_from=release))
                backward.append(None if index == 0 else
                                Product(buf.delta[index - 1], self.W[index].T, buf.delta[index],
                                        release_gil_from=release))
                update.append(Product(target[layout.weights[index]], buf.delta[index], a_prev.T,
                                      alpha=-1.0 if plain else 1.0, beta=1.0 if plain else 0.0,
                                      release_gil_from=release))
                bias.append(None if layout.biases[index] is None else
                            self._bias_update(target[layout.biases[index]], buf.delta[index], buf.ones))
            products = self._products[key] = _StepProducts(forward, backward, update, bias)
        return products

    def _bias_update(self, bias: np.ndarray, delta: np.ndarray, ones: np.ndarray) -> Callable[[], None]:
        """b −= Σ_batch (lr·δ) with plain SGD, else the gradient b ← Σ_batch δ, as a call made once.

        Σ_batch δ is δ·1, one matrix-vector product: numpy's row sums of a C-ordered δ took 7.7 µs for
        128 × 32, the product 1.0 (10.9 against 1.4 for 256 × 32; 48 against 9 for 1,024 × 128), the
        subtraction included. At batch 1 the sum is δ itself, and a numpy subtraction beats a BLAS call.
        """
        if delta.shape[1] == 1:
            flat = delta.reshape(-1)
            return partial(np.subtract, bias, flat, out=bias) if self.plain_sgd else partial(np.copyto, bias, flat)
        return Product(bias[:, None], delta, ones, alpha=-1.0 if self.plain_sgd else 1.0,
                       beta=1.0 if self.plain_sgd else 0.0, release_gil_from=self.release_gil_from)

    def _step(self, inputs: np.ndarray, y: np.ndarray, buf: _ColumnBuffers, rare: RareInputs | None) -> float:
        """Forward, backward and update; a split first layer's listed inputs come in `rare`."""
        last = len(self.W) - 1
        plain = self.plain_sgd
        target = self.arrays if plain else self._gradient_arrays()
        products = self._step_products(inputs, buf, rare, target)
        # forward: z = W·a_prev + b (z starts as b; the product adds W·a_prev)
        for index in range(last + 1):
            z = buf.z[index]
            bias = self.b[index]
            listed = index == 0 and rare is not None
            if bias is not None and not listed:
                z[...] = bias[:, None]
            if index == 0:
                products.forward[0](b=inputs)
                if listed:
                    add_products(z.T, rare, self.rare_W)
            else:
                products.forward[index]()
            activate(self.activations[index], self.params[index], z, buf.a[index])
        output = buf.a[last]
        one_hot = self._one_hot_softmax(y)
        loss = self._loss(output, y, buf.z[last], one_hot)
        self._output_delta(output, buf.z[last], y, buf.mask[last], buf.delta[last],
                           self.config.learning_rate if plain else 1.0, one_hot)
        # backward, each layer's W updated (or its gradient written) right after δ below it is computed from W
        # as it was: W is then still in cache (a rank-B update of a cold W ran 1.5–2× slower, MKL worst). Every
        # δ still comes from W before any update: δ_{i−1} needs W_i only, and W_i changes after it.
        for index in range(last, 0, -1):
            below = buf.delta[index - 1]
            products.backward[index]()  # type: ignore[misc]
            self._update_layer(index, products, buf, target, plain, rare, inputs)
            through_activation(self.activations[index - 1], self.params[index - 1], buf.z[index - 1], buf.a[index - 1],
                               buf.mask[index - 1], below, below)
        self._update_layer(0, products, buf, target, plain, rare, inputs)
        if not plain:
            self._optimiser_update()
        return loss

    def _update_layer(self, index: int, products: _StepProducts, buf: _ColumnBuffers, target: list[np.ndarray],
                      plain: bool, rare: RareInputs | None, inputs: np.ndarray) -> None:
        """With plain SGD W −= (lr·δ)·a_prevᵀ and b −= Σ lr·δ in place; else their gradients into `target`."""
        if index == 0 and rare is not None:
            block = target[self._layout.rare]
            if not plain:
                block[...] = 0
            add_outer_products(block, rare, buf.delta[0].T, rare.negated if plain else rare.values)
        elif products.bias[index] is not None:
            products.bias[index]()  # type: ignore[misc]
        if index == 0:
            products.update[0](b=inputs.T)
        else:
            products.update[index]()

    # ------------------------------------------------------------------ other optimisers

    def _gradient_arrays(self) -> list[np.ndarray]:
        if self._grads is None:
            self._grads = [np.empty_like(array) for array in self.arrays]
            self._products.clear()  # any made before wrote into other arrays
        return self._grads

    def _optimiser_update(self) -> None:
        """SGD with L2, momentum or Adam, in place, on every parameter array (`in_place_rules.py`).

        L2 touches the weights only (biases are not regularised). The optimiser's memory is made on first use.
        """
        c = self.config
        grads = self._gradient_arrays()
        if c.l2:
            for grad, weights in zip(self._layout.weight_parts(grads), self._layout.weight_parts(self.arrays)):
                grad += c.l2 * weights
        if self._m is None:
            self._m = [np.zeros_like(p) for p in self.arrays]
            self._v = [np.zeros_like(p) for p in self.arrays]
        if self._scratch is None:  # split_inputs drops it when the arrays change shape
            self._scratch = [np.empty_like(p) for p in self.arrays]
        update_in_place(c, self.step_count + 1, self.arrays, grads, self._m, self._v,  # type: ignore[arg-type]
                        self._scratch)

    # ------------------------------------------------------------------ results

    def finite(self) -> bool:
        return all(np.isfinite(array).all() for array in self.arrays)

    def snapshot(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """A copy of (W, b) per layer, for `restore` (whichever way the first layer is stored then)."""
        return [(w.copy(), None if b is None else b.copy()) for w, b in self._layout.layers_of(self.arrays)]

    def restore(self, snapshot: list[tuple[np.ndarray, np.ndarray | None]]) -> None:
        for array, saved in zip(self.arrays, lay_out(snapshot, self._layout.split, self.dtype)[0], strict=True):
            array[...] = saved

    def to_network(self, dtype: np.dtype | None = None) -> Network:
        """The trained parameters as an immutable Network (in the template's precision by default)."""
        out = dtype or self.template.dtype
        layers = [
            DenseLayer(w.astype(out), None if b is None else b.astype(out), layer.activation, layer.params)
            for (w, b), layer in zip(self._own_order_layers(), self.template.layers)
        ]
        return Network(self.template.input_size, tuple(layers))

    def _own_order_layers(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(W, b) per layer, the first layer's columns in the inputs' own order."""
        layers = self._layout.layers_of(self.arrays)
        if self._input_home is not None:
            layers[0] = (layers[0][0][:, self._input_home], layers[0][1])
        return layers

    def predict(self, x: np.ndarray, batch: int = 1024) -> np.ndarray:
        """Outputs for many inputs, in chunks, without touching the training buffers."""
        outputs = []
        layers = self._own_order_layers()
        for start in range(0, len(x), batch):
            a = np.asarray(x[start:start + batch], dtype=self.dtype)
            for index, (w, b) in enumerate(layers):
                z = a @ w.T
                if b is not None:
                    z += b
                a = get_activation(self.activations[index])(z, self.params[index])
            outputs.append(a)
        return np.concatenate(outputs) if outputs else np.zeros((0, self.n_out[-1]), self.dtype)
