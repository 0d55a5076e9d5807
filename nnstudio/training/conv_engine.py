"""FastConv: the core's training arithmetic for networks with maps (convolution, pooling), done in place for speed.

The loop (loop.py `make_engine`) trains a network whose `is_spatial` is true with this engine; CoreEngine
(core_engine.py) stays the exact, readable reference it is held to (tests/training/test_conv_engine.py: every
activation, stride, padding, pooling and loss, both precisions, through whole epochs of the loop). The maths is
the core's (core/conv.py, core/trace.py, core/optim.py), the work laid out the way FastMLP lays out a dense step:

- Every block is one sample per column, maps (C, H, W, B) (conv_ops.py); buffers, im2col's columns and every
  view a step copies through are made once, for the run's batch size (conv_layers.py), and a step only fills
  them. A shorter batch (an epoch's last) runs in the same buffers: its inputs first, the columns past them
  zeroed, and δ = 0 there, so they add exact zeros to every ∂P; `predict` reads its chunks the same way.
- Each trainable layer is one parameter matrix P with the bias as its last column (conv_layers.py), so a layer's
  forward is one product and its ∂P one more; the first layer sends no signal back (nothing reads it).
- Every P is a view into one flat array, every ∂P into another. Plain SGD folds the learning rate into the output
  δ (column_loss.py; the way back is linear in δ), so its update is one subtraction of the flat ∂P; momentum,
  Adam and L2 take the rules of in_place_rules.py, the core's formulas (L2 on kernels and weights only), once
  over the flat arrays. P changes only after the whole way back, so every signal comes from P as it was.
- Max pooling after a ReLU takes the ReLU in, both ways, at the pooled size (conv_layers.py `absorbs_relu`).

Products: numpy's matmul into the buffers (out=), not blas.py's prepared calls. A convolution's products are
skinny — LeNet's first is (6 × 26)·(26 × 25,088) at batch 32 — and numpy's own OpenBLAS (0.3.31 in numpy 2.4)
ran them about twice as fast as scipy's (0.3.30), which blas.py calls: 214 against 515 µs for that one, 235
against 452 for the second convolution's (16 × 151)·(151 × 3,200), 1.1 against 1.9 ms at batch 128 (best of
runs, 1 thread). blas.py's other reasons hold here too: every product of this engine goes to the one library
(its dense layers' as well), so two libraries' idle threads never spin against each other; numpy's matmul
releases the GIL while it runs (so a window beside a run keeps its share, as with blas.py's); and what numpy
cannot do, accumulate into P (β = 1), costs one pass over the flat ∂P, LeNet's 61,706 values, per step.

An update that would make a parameter infinite or NaN is reported with the core's words (`refused`; apply_update
refuses it by name): the loop then ends the run on the last finite parameters, as it does for CoreEngine. Working
memory for a batch is checked before anything is allocated, by the core's count (core_engine.check_batch_memory)
and by this engine's own (conv_layers.training_bytes: it keeps every convolution's columns, the core one at a time).
Precision: the run's (float32 unless asked), as FastMLP's; `to_network` gives the network's own back.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from nnstudio.core.activations import ParameterError, get_activation
from nnstudio.core.limits import STEP_MEMORY_BYTES, describe_bytes
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.core.step_memory import StepMemoryError, describe_network, samples_within_budget
from nnstudio.training.column_loss import ColumnLoss
from nnstudio.training.conv_layers import PoolStep, block, make_step, training_bytes
from nnstudio.training.core_engine import check_batch_memory, run_loss
from nnstudio.training.in_place_rules import activate, through_activation, update_in_place

PREDICT_CHUNK_AT_LEAST = 64  # samples a prediction takes at a time, at least (if the core's count allows)


def _parameter_matrix(layer: DenseLayer | object, dtype: np.dtype) -> np.ndarray | None:
    """P = [W | b] (a kernel flattened to its rows (K, C·k·k)), a new contiguous array; None for pooling."""
    main, bias = layer.parameters()  # type: ignore[attr-defined]
    if main is None:
        return None
    rows = np.asarray(main).reshape(main.shape[0], -1)
    return np.ascontiguousarray(rows if bias is None else np.hstack([rows, np.asarray(bias)[:, None]]), dtype)


def _check_fast_memory(network: Network, batch: int, dtype: np.dtype, optimizer: str) -> None:
    """Refuse by name, before anything is made, a batch whose buffers (conv_layers.training_bytes) pass the step
    budget, as the core's count refuses one (core_engine.check_batch_memory)."""
    moments = {"sgd": 0, "momentum": 1}.get(optimizer, 2)
    needed = training_bytes(network.layers, network.input_size, batch, dtype, moments)
    if needed > STEP_MEMORY_BYTES:
        raise StepMemoryError(
            f"a training step of batch {batch} through {describe_network(network)} would need about "
            f"{describe_bytes(needed)} of working memory (its buffers, laid out once for speed); a step may use "
            f"at most {describe_bytes(STEP_MEMORY_BYTES)}; choose a smaller batch size")


def _needs_ones(layer: object) -> int:
    """1 when a layer reads its input with a row of ones after it: a dense layer with a bias (a convolution
    keeps its own row of ones in its columns)."""
    return int(isinstance(layer, DenseLayer) and layer.bias is not None)


class FastConv:
    """Parameters and per-batch-size buffers of a network with maps; the loop's engine interface, as CoreEngine's
    (`train_columns`, `train_step`, `predict`, `snapshot` / `restore`, `to_network`, …)."""

    def __init__(self, network: Network, loss: str, optimizer: OptimizerConfig, dtype: str = "float32",
                 batch: int = 1) -> None:
        """`batch`: the samples a step takes at most, whose working memory is checked here, before any."""
        self.dtype = np.dtype(dtype)
        self.template = network
        self.loss = run_loss(network, loss)
        self.config = optimizer
        for number, layer in enumerate(network.layers, start=1):
            try:  # a float64 network's ELU α = 1e300 trained in float32 would make every loss NaN: refused now
                get_activation(layer.activation).check_fits(layer.params, self.dtype)
            except ParameterError as error:
                raise ParameterError(layer.activation, error.key,
                                     f"{error.reason} (layer {number}; training in {self.dtype})") from None
        self.batch = max(1, int(batch))
        check_batch_memory(network.astype(self.dtype), self.batch, optimizer.name)  # the core's count, and ours:
        _check_fast_memory(network, self.batch, self.dtype, optimizer.name)
        self.layers = network.layers
        # Every P is a view into one flat array, and so is every ∂P: an optimiser's rule is a dozen whole-array
        # operations over all parameters at once, not a dozen per layer (LeNet's 10 arrays: 3× the calls).
        matrices = [_parameter_matrix(layer, self.dtype) for layer in self.layers]
        sizes = [0 if p is None else p.size for p in matrices]
        self.flat = np.concatenate([p.reshape(-1) for p in matrices if p is not None] or [np.zeros(0, self.dtype)])
        self._flat_grads = np.zeros_like(self.flat)
        self.params: list[np.ndarray | None] = []
        self._grads: list[np.ndarray | None] = []
        start = 0
        for p, size in zip(matrices, sizes):
            self.params.append(None if p is None else self.flat[start:start + size].reshape(p.shape))
            self._grads.append(None if p is None else self._flat_grads[start:start + size].reshape(p.shape))
            start += size
        self.arrays = [p for p in self.params if p is not None]
        last = self.layers[-1]
        self.column_loss = ColumnLoss(self.loss, last.activation, last.params, self.dtype)
        self.plain_sgd = optimizer.name == "sgd" and optimizer.l2 == 0
        self._m = np.zeros_like(self.flat) if optimizer.name != "sgd" else None
        self._v = np.zeros_like(self.flat) if optimizer.name == "adam" else None
        self._scratch = np.empty_like(self.flat)
        # The weights' part of each P and of its ∂P (the bias column left out): what L2 acts on.
        self._weight_parts = [(p[:, :p.shape[1] - int(layer.bias is not None)],
                               g[:, :p.shape[1] - int(layer.bias is not None)])
                              for layer, p, g in zip(self.layers, self.params, self._grads) if p is not None]
        self._steps: dict[int, tuple[np.ndarray, list]] = {}  # batch size → (input block, layer steps)
        self._trained: set[int] = set()  # batch sizes whose backward buffers exist
        self.step_count = 0
        self.refused: str | None = None

    @property
    def one_hot(self) -> bool | None:
        return self.column_loss.one_hot

    def expect_targets(self, y: np.ndarray) -> None:
        """Refuse, before the run starts, targets (samples × outputs) the loss cannot take (LossError by name)."""
        self.column_loss.expect(y)

    def set_learning_rate(self, rate: float) -> None:
        """The learning rate from the next step on; the optimiser's memory is kept."""
        self.config = replace(self.config, learning_rate=float(rate))

    # ------------------------------------------------------------------ buffers

    def _layer_steps(self, batch: int, training: bool) -> tuple[np.ndarray, list]:
        """The input block and each layer's step for `batch` samples, made on first use (with the backward
        buffers when `training`)."""
        made = self._steps.get(batch)
        if made is None:
            layers = self.layers
            source = block(self.template.input_size, _needs_ones(layers[0]), batch, self.dtype)
            steps, current = [], source
            for index, layer in enumerate(layers):
                extra = _needs_ones(layers[index + 1]) if index + 1 < len(layers) else 0
                step = make_step(layer, current, extra, batch, self.dtype, self.params[index])
                if isinstance(step, PoolStep) and layer.kind == "max" and index and \
                        layers[index - 1].activation == "relu":  # (a pooling's activation is "identity")
                    step.absorb_relu()
                steps.append(step)
                current = step.a_full
            made = self._steps[batch] = (source, steps)
        if training and batch not in self._trained:
            self._prepare_backward(made[1])
            self._trained.add(batch)
        return made

    def _prepare_backward(self, steps: list) -> None:
        for index, step in enumerate(steps):
            below = steps[index - 1].delta_full if index else None  # made just before: steps go in order
            step.prepare_backward(self._grads[index], below)

    # ------------------------------------------------------------------ a step

    def train_columns(self, x: np.ndarray, y: np.ndarray, rare: object = None) -> float:
        """One step on a batch laid out one sample per column (inputs × B, in (C, H, W) order; rows past the
        inputs ignored; y outputs × B), as `ColumnBatches` gives it. Returns the mean loss."""
        if rare is not None:
            raise ValueError("a network with maps reads its inputs whole; listed (rare) inputs are for dense ones")
        n_in = self.template.input_size
        if len(x) < n_in:
            raise ValueError(f"{len(x)} input rows are fewer than the network's {n_in} inputs")
        samples = x.shape[1]
        source, steps = self._layer_steps(max(samples, self.batch), training=True)
        self._take(source, x[:n_in])
        self._forward(steps)
        last = steps[-1]
        plain = self.plain_sgd
        real = slice(0, samples)  # the columns past them (a short batch in the buffers of a full one) send δ = 0
        loss = self.column_loss.step(last.a[:, real], last.z[:, real], y, last.delta[:, real],
                                     None if last.mask is None else last.mask[:, real],
                                     self.config.learning_rate if plain else 1.0)
        last.delta[:, samples:] = 0
        if not math.isfinite(loss):  # nothing changes; the loop ends the run on the last finite parameters
            return loss
        self._backward(steps)
        if plain:  # δ carried the learning rate: P −= lr·∂P, every layer in one pass
            np.subtract(self.flat, self._flat_grads, out=self.flat)
        else:
            self._optimiser_update()
        self.refused = self._refusal()
        if self.refused is not None:
            return math.nan
        self.step_count += 1
        return loss

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One step on one sample (vectors) or a batch given as rows; returns its mean loss."""
        x, y = np.atleast_2d(x), np.atleast_2d(y)
        return self.train_columns(np.asarray(x, self.dtype).T, np.ascontiguousarray(y.T, dtype=self.dtype))

    def _forward(self, steps: list) -> None:
        """Every layer's forward and activation; a ReLU that the max pooling above absorbs is left to it."""
        for index, step in enumerate(steps):
            step.forward()
            if isinstance(step, PoolStep) or index + 1 < len(steps) and steps[index + 1].absorbs_relu:
                continue
            layer = step.layer
            activate(layer.activation, layer.params, step.z, step.a)

    def _backward(self, steps: list) -> None:
        """From the output δ down: each layer's signal (from P before it changes), its update or gradient, then
        the layer below's activation′ (unless pooling took ReLU′ in, or the layer below is pooling)."""
        for index in range(len(steps) - 1, 0, -1):
            step, below = steps[index], steps[index - 1]
            step.backward()
            if isinstance(below, PoolStep) or step.absorbs_relu:
                continue
            layer = below.layer
            if layer.activation != "identity":
                through_activation(layer.activation, layer.params, below.z, below.a, below.mask, below.delta,
                                   below.delta)
        steps[0].backward()

    def _optimiser_update(self) -> None:
        """SGD with L2, momentum or Adam on all parameters at once, in place (in_place_rules.py: the core's
        formulas; L2 on kernels and weights, not biases)."""
        c = self.config
        if c.l2:
            for p, g in self._weight_parts:
                g += c.l2 * p
        update_in_place(c, self.step_count + 1, [self.flat], [self._flat_grads], [self._m], [self._v],  # type: ignore
                        [self._scratch])

    def _refusal(self) -> str | None:
        """The core's message when this step made a parameter infinite or NaN (apply_update would have refused
        it), naming the first as the core does: layer by layer, the kernel or weights before the bias."""
        if math.isfinite(float(np.add.reduce(self.flat))):
            return None  # a finite sum: every value finite (the cheap test first; a sum can overflow alone)
        for number, layer in enumerate(self.layers, start=1):
            p = self.params[number - 1]
            if p is None:
                continue
            parts = [(layer.symbol, p[:, :p.shape[1] - int(layer.bias is not None)])]
            if layer.bias is not None:
                parts.append(("b", p[:, -1]))
            for symbol, values in parts:
                if not np.all(np.isfinite(values)):
                    return (f"the update would make {symbol}{number} infinite or NaN (learning rate "
                            f"{self.config.learning_rate:g} with these gradients overflows {self.dtype}); "
                            "nothing was changed")
        return None

    # ------------------------------------------------------------------ results

    def finite(self) -> bool:
        return bool(np.isfinite(self.flat).all())

    def snapshot(self) -> np.ndarray:
        """A copy of every parameter, for `restore`."""
        return self.flat.copy()

    def restore(self, snapshot: np.ndarray) -> None:
        """Back to a snapshot's parameters (in place: every layer's buffers keep pointing at them); the
        optimiser's memory is kept, as FastMLP keeps its own."""
        self.flat[...] = snapshot

    def to_network(self, dtype: np.dtype | None = None) -> Network:
        """The trained parameters as a Network, in the given network's precision by default."""
        out = np.dtype(dtype or self.template.dtype)
        layers = []
        for layer, p in zip(self.layers, self.params):
            if p is None:
                layers.append(layer)
                continue
            main, bias = layer.parameters()
            weights = p[:, :main.size // main.shape[0]].reshape(main.shape).astype(out)
            layers.append(layer.with_parameters(weights, None if bias is None else p[:, -1].astype(out)))
        return self.template.with_layers(layers)

    def predict(self, x: np.ndarray, batch: int = 1024) -> np.ndarray:
        """Outputs for many inputs (rows), through the engine's own forward pass, in chunks of the training
        batch's size (its buffers, no new ones), or of PREDICT_CHUNK_AT_LEAST samples where the core's count
        of an evaluation allows (a run of batch 1 would otherwise predict one sample at a time)."""
        budget = samples_within_budget(self.template.astype(self.dtype))
        chunk = max(self.batch, min(batch, PREDICT_CHUNK_AT_LEAST, budget))
        outputs = []
        for start in range(0, len(x), chunk):
            part = np.asarray(x[start:start + chunk], self.dtype)
            source, steps = self._layer_steps(chunk, training=False)
            self._take(source, part.T)
            self._forward(steps)
            outputs.append(steps[-1].a[:, :len(part)].T.copy())
        return np.concatenate(outputs) if outputs else np.zeros((0, self.template.output_size), self.dtype)

    @staticmethod
    def _take(source: np.ndarray, x: np.ndarray) -> None:
        """Copy a batch's inputs (inputs × samples, either order: one transposing copy for the loop's sample-major
        block) into the input block; the columns a short batch leaves are zeroed, so they compute finite
        numbers that nothing reads."""
        samples = x.shape[1]
        np.copyto(source[:len(x), :samples], x)
        if samples < source.shape[1]:
            source[:len(x), samples:] = 0
