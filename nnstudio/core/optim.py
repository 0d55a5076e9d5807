"""Parameter updates: SGD, momentum and Adam, with optional L2 on W (and a kernel) only.

`apply_update` is pure: it takes the network, gradients that were all computed
beforehand, the settings and the optimiser's state, and returns a new network
and a new state. Nothing is changed in place, so a step can be undone by keeping
the old values.

Every layer offers its parameters as (W or kernel, bias), None where it has none (pooling has neither), so
one loop updates any network; a convolution's kernel K takes exactly the rule W takes.
L2 adds ½λ‖W‖² to the loss, so ∂/∂W gains λW; biases are not regularised.
Momentum:  v ← μv − α·g,   w ← w + v.
Adam:      m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  w ← w − α·m̂/(√v̂ + ε)
           with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnstudio.core.errors import NNStudioError, UnknownNameError
from nnstudio.core.network import Network
from nnstudio.core.trace import Gradients

OPTIMIZERS = ("sgd", "momentum", "adam")


@dataclass(frozen=True)
class OptimizerConfig:
    """Settings saved with a network: which optimiser and its numbers."""

    name: str = "sgd"
    learning_rate: float = 0.1
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    l2: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise UnknownNameError("optimizer", self.name, list(OPTIMIZERS))
        for key in ("learning_rate", "momentum", "beta1", "beta2", "epsilon", "l2"):
            value = getattr(self, key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value) or value < 0:
                raise NNStudioError(f"optimizer {key} must be a finite number ≥ 0, got {value!r}")


@dataclass(frozen=True, eq=False)
class OptimizerState:
    """Per-parameter memory of momentum/Adam: one slot per W (or kernel) and per b, two per layer, None where a
    layer has no such parameter, and the step count."""

    step: int = 0
    first: tuple[np.ndarray | None, ...] = field(default_factory=tuple)
    second: tuple[np.ndarray | None, ...] = field(default_factory=tuple)


def _zeros_like(params: list[np.ndarray | None], used: bool = True) -> tuple[np.ndarray | None, ...]:
    """Zeros shaped like each parameter, or only Nones when the rule keeps no such moment (`used` False):
    SGD keeps none and momentum one, and zeros for them cost two copies of the parameters for nothing."""
    return tuple(None if p is None or not used else np.zeros_like(p) for p in params)


def apply_update(
    network: Network, gradients: Gradients, config: OptimizerConfig, state: OptimizerState | None = None
) -> tuple[Network, OptimizerState]:
    """Return the updated network and optimiser state; the inputs stay untouched."""
    params: list[np.ndarray | None] = []
    grads: list[np.ndarray | None] = []
    for layer, g in zip(network.layers, gradients.layers):
        main, bias = layer.parameters()
        with np.errstate(over="ignore", invalid="ignore"):
            grad_w = g.grad_weights + config.l2 * main if config.l2 and main is not None else g.grad_weights
        params += [main, bias]
        grads += [grad_w, g.grad_bias]

    state = state if state is not None and state.first else OptimizerState(
        0, _zeros_like(params, config.name != "sgd"), _zeros_like(params, config.name == "adam"))
    t = state.step + 1
    lr = config.learning_rate
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused below, by name
        new_params, first, second = _step_all(params, grads, state, config, t)

    layers = []
    for index, layer in enumerate(network.layers):
        weights, bias = new_params[2 * index], new_params[2 * index + 1]
        for name, values in ((f"{layer.symbol}{index + 1}", weights), (f"b{index + 1}", bias)):
            if values is not None and not np.all(np.isfinite(values)):
                raise NNStudioError(f"the update would make {name} infinite or NaN (learning rate "
                                    f"{lr:g} with these gradients overflows {values.dtype}); nothing was changed")
        # Typed text no longer describes a trained value, so with_parameters drops it.
        layers.append(layer.with_parameters(weights, bias))
    return network.with_layers(layers), OptimizerState(t, tuple(first), tuple(second))


def _step_all(params: list[np.ndarray | None], grads: list[np.ndarray | None], state: OptimizerState,
              config: OptimizerConfig, t: int) -> tuple[list[np.ndarray | None], list[np.ndarray | None],
                                                        list[np.ndarray | None]]:
    """Every parameter's new value and the optimiser's new moments, by the rule `config.name` names."""
    lr = config.learning_rate
    new_params: list[np.ndarray | None] = []
    first: list[np.ndarray | None] = []
    second: list[np.ndarray | None] = []
    for p, g, m, v in zip(params, grads, state.first, state.second):
        if p is None or g is None:
            new_params.append(p)
            first.append(None)
            second.append(None)
            continue
        if config.name == "sgd":
            new_params.append(p - lr * g)
            first.append(m)
            second.append(v)
            continue
        m = np.zeros_like(p) if m is None else m  # a state kept by a rule with fewer moments (sgd's)
        v = np.zeros_like(p) if v is None and config.name == "adam" else v
        if config.name == "momentum":
            velocity = config.momentum * m - lr * g
            new_params.append(p + velocity)
            first.append(velocity)
            second.append(v)
        else:
            m_new = config.beta1 * m + (1.0 - config.beta1) * g
            v_new = config.beta2 * v + (1.0 - config.beta2) * g * g
            m_hat = m_new / (1.0 - config.beta1**t)
            v_hat = v_new / (1.0 - config.beta2**t)
            new_params.append(p - lr * m_hat / (np.sqrt(v_hat) + config.epsilon))
            first.append(m_new)
            second.append(v_new)
    return new_params, first, second
