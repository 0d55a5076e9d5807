"""CoreEngine: training through the core's exact path, for networks with maps (convolution and pooling).

The loop (loop.py) picks it for a network whose `is_spatial` is true; a dense network keeps FastMLP
(engine.py), bit for bit. Issue 33 asks training to give the core's numbers while the fast path for maps is
built (the next issue), so every step here is the core's own, readable step and nothing else:

    trace = forward(network, x)                          # core/trace.py: every z and a, maps flat per sample
    grads = backward(network, trace, y, loss)            # every δ, ∂L/∂kernel, ∂L/∂W, ∂L/∂b, before any change
    network, state = apply_update(network, grads, optimiser, state)   # core/optim.py, pure

The optimiser's state (momentum's velocity, Adam's two moments and its step count t) is the core's
`OptimizerState`, carried from one step to the next as the core expects; a schedule's new learning rate
(`set_learning_rate`) applies from the next step, the state kept.

The batch mean is the one FastMLP takes: the loop hands B samples, the core takes them as B rows, its loss is
the mean over them and its δ carries the 1/B (trace.py), as FastMLP's δ = (ŷ − y)/B does; so both engines
take the same step for the same batch (tests/training/test_conv_training.py checks this against the core's
own steps and against PyTorch autograd).

Precision: the run's (TrainingConfig.dtype, float32 unless asked), as FastMLP's, not always float64. The core
computes in its network's precision, so the network is cast once to the run's: a float32 run's maps, δ and
updates are float32 throughout, and a float64 run gives exactly the core's float64 steps. Why: a run means
the same whichever engine trains it (its record names one precision), and the data the loop lays out is in
that precision already. `to_network` gives the parameters back in the network's own precision, as FastMLP's.

Sparse inputs are not listed (rare_inputs.py splits a dense first layer's weights by input; a convolution
reads its input as maps): the loop lays out plain blocks for this engine and never asks it to split.

Memory: a step of B samples is counted from the shapes before anything is allocated (`batch_step_bytes`,
from core/step_memory.py) and refused by name over STEP_MEMORY_BYTES. A run whose update would overflow
(apply_update refuses it, changing nothing) ends with the core's message (`refused`), as a run whose loss
stops being finite does.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from nnstudio.core.activations import ParameterError
from nnstudio.core.errors import NNStudioError
from nnstudio.core.limits import STEP_MEMORY_BYTES, describe_bytes
from nnstudio.core.losses import Loss, get_loss
from nnstudio.core.network import Network
from nnstudio.core.optim import OptimizerConfig, OptimizerState, apply_update
from nnstudio.core.step_memory import StepMemoryError, describe_network, samples_within_budget, step_memory_bytes
from nnstudio.core.trace import backward, forward


def batch_step_bytes(network: Network, batch: int, optimizer: str) -> int:
    """Working memory of one training step of `batch` samples, in the network's precision.

    core/step_memory.py counts stepping through samples one by one, each keeping its own ∂L/∂W and updated
    parameters (2·P values a sample, P the weights and biases); a batch step makes one ∂L/∂W summed over
    the batch and one update, so the count for B samples less (B − 1)·2·P. Everything else (traces, δ and
    signals, a convolution's laid-out windows, the optimiser's moments and scratch) scales as counted."""
    per_sample_copies = 2 * network.parameter_count * np.dtype(network.dtype).itemsize
    return step_memory_bytes(network, batch, optimizer) - (batch - 1) * per_sample_copies


def check_batch_memory(network: Network, batch: int, optimizer: str) -> int:
    """`batch_step_bytes`, refused with StepMemoryError naming the network, the figure and the limit."""
    needed = batch_step_bytes(network, batch, optimizer)
    if needed > STEP_MEMORY_BYTES:
        raise StepMemoryError(
            f"a training step of batch {batch} through {describe_network(network)} would need about "
            f"{describe_bytes(needed)} of working memory; a step may use at most {describe_bytes(STEP_MEMORY_BYTES)}; "
            f"choose a smaller batch size")
    return needed


def _in_precision(network: Network, dtype: np.dtype) -> Network:
    """`network` cast to the run's precision; an activation parameter it cannot hold is refused by name."""
    layers = []
    for number, layer in enumerate(network.layers, start=1):
        try:  # a float64 network's ELU α = 1e300 trained in float32 would make every loss NaN: refused now
            layers.append(layer.astype(dtype))
        except ParameterError as error:
            raise ParameterError(layer.activation, error.key,
                                 f"{error.reason} (layer {number}; training in {dtype})") from None
    return network.with_layers(layers)


def run_loss(network: Network, loss: str) -> Loss:
    """The loss a run of `network` trains with, checked against its output layer now (cross-entropy after ReLU is
    refused by name before any buffer is made); sparse labels become the one-hot rows the loop feeds."""
    if not network.layers:
        raise ValueError("the network has no layers to train")
    rule = get_loss(loss)
    rule.check_output(network.layers[-1].activation)
    return get_loss("cce") if rule.sparse else rule


class CoreEngine:
    """A network with maps trained by the core's forward, backward and apply_update; the loop's engine
    interface (`train_columns`, `predict`, `snapshot` / `restore`, `to_network`, …) as FastMLP offers it."""

    def __init__(self, network: Network, loss: str, optimizer: OptimizerConfig, dtype: str = "float32",
                 batch: int = 1) -> None:
        """`batch`: the samples a step takes at most, whose working memory is checked here, before any."""
        self.dtype = np.dtype(dtype)
        self.template = network
        self.loss = run_loss(network, loss)
        self.config = optimizer
        self.network = _in_precision(network, self.dtype)  # a copy of the parameters: P values, within limits
        check_batch_memory(self.network, max(1, batch), optimizer.name)
        self.state: OptimizerState | None = None
        self.step_count = 0
        self.refused: str | None = None  # the core's message when it refused an update (the run then ends)

    def expect_targets(self, y: np.ndarray) -> None:
        """Refuse, before the run starts, targets (samples × outputs) the loss cannot take (LossError by name)."""
        self.loss.check_targets(y)

    def set_learning_rate(self, rate: float) -> None:
        """The learning rate from the next step on; the optimiser's state is kept."""
        self.config = replace(self.config, learning_rate=float(rate))

    def train_columns(self, x: np.ndarray, y: np.ndarray, rare: object = None) -> float:
        """One step on a batch laid out one sample per column (inputs × B, rows past the inputs ignored;
        y outputs × B), as `ColumnBatches` gives it. Returns the mean loss."""
        if rare is not None:
            raise ValueError("a network with maps reads its inputs whole; listed (rare) inputs are for dense ones")
        return self.train_step(x[:self.network.input_size].T, y.T)

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One step of the core on one sample (vectors) or a batch given as rows; returns its mean loss.

        A loss that is not finite changes nothing (the loop ends the run on the last finite parameters);
        an update the core refuses (it would overflow) changes nothing either, returns NaN and says why in
        `refused`."""
        trace = forward(self.network, np.atleast_2d(x))
        gradients = backward(self.network, trace, np.atleast_2d(y), self.loss)
        if not math.isfinite(gradients.loss):
            return gradients.loss
        try:
            self.network, self.state = apply_update(self.network, gradients, self.config, self.state)
        except NNStudioError as error:
            self.refused = str(error)
            return math.nan
        self.step_count += 1
        return gradients.loss

    def finite(self) -> bool:
        return all(bool(np.isfinite(p).all()) for layer in self.network.layers for p in layer.parameters()
                   if p is not None)

    def snapshot(self) -> Network:
        """The parameters as they are: the immutable Network itself (no copy needed), for `restore`."""
        return self.network

    def restore(self, snapshot: Network) -> None:
        """Back to a snapshot's parameters; the optimiser's state is kept, as FastMLP keeps its own."""
        self.network = snapshot

    def to_network(self, dtype: np.dtype | None = None) -> Network:
        """The trained parameters as a Network, in the given network's precision by default."""
        return self.network.astype(dtype or self.template.dtype)

    def predict(self, x: np.ndarray, batch: int = 1024) -> np.ndarray:
        """Outputs for many inputs (rows), through the core's forward pass in chunks that fit the step budget."""
        chunk = max(1, min(batch, samples_within_budget(self.network)))
        outputs = [forward(self.network, x[start:start + chunk]).output for start in range(0, len(x), chunk)]
        return np.concatenate(outputs) if outputs else np.zeros((0, self.network.output_size), self.dtype)
