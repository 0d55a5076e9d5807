"""Forward and backward passes, written out so they can be read in one sitting.

forward:  for each layer l,   z_l = W_l·a_{l−1} + b_l,   a_l = g_l(z_l)
backward: output layer        δ_L = ∂L/∂z_L = g′(z_L) ∘ ∂L/∂ŷ   (or its closed form, e.g. ŷ·Σy − y)
          hidden layers       δ_l = (W_{l+1}ᵀ δ_{l+1}) ∘ g′_l(z_l)  (softmax: its Jacobian)
          every layer         ∂L/∂W_l = δ_l·a_{l−1}ᵀ,  ∂L/∂b_l = δ_l,  signal back W_lᵀ δ_l

Convolution and pooling (core/spatial_layers.py) take the same steps with core/conv.py's operations:
          convolution         z_l = K_l ⋆ a_{l−1} + b_l, a_l = g_l(z_l); back: ∂L/∂K_l, ∂L/∂b_l (one per
                              channel) and the signal ∂L/∂a_{l−1}, all from δ_l (conv2d_backward)
          pooling             z_l = a_l = max or mean of each window; no parameters; the signal goes back to
                              the pixel each window chose (max, kept as `argmax`) or evenly to the window (mean)
Every z, a, δ and signal stays flat per sample, maps in (C, H, W) order (spatial_layers.as_maps gives them
back as maps), so the loss, the output and every reader of a trace work as for dense layers.

One sample is a vector of shape (n,); a batch is an array (B, n) with one row per
sample, so z = a_prev @ Wᵀ + b and ∂L/∂W = δᵀ·a_prev sums over the batch (δ
already carries the 1/B of the mean loss). The traces are frozen dataclasses of
read-only arrays: they are what the step-through view draws, and nothing changes
a parameter here; updates come later, from `optim`, once every gradient exists.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, ParamSpec, TypeVar

import numpy as np

from nnstudio.core.activations import get_activation
from nnstudio.core.conv import (
    avg_pool_backward,
    avg_pool_forward,
    conv2d_backward,
    conv2d_forward,
    max_pool_backward,
    max_pool_forward,
)
from nnstudio.core.errors import ShapeError
from nnstudio.core.losses import Loss, get_loss
from nnstudio.core.network import Conv2DLayer, DenseLayer, Layer, Network, Pool2DLayer

P = ParamSpec("P")
R = TypeVar("R")


def _overflow_shows_as_inf(function: Callable[P, R]) -> Callable[P, R]:
    """Compute with numpy's overflow and invalid-value warnings off.

    Why: a hand-set weight of 1e200 or a target of 1e300 is allowed, and its honest result is
    inf or NaN, shown where it happens (canvas, Step dock, `nnstudio eval`). numpy's warning
    would only add a line on the terminal. The update refuses non-finite parameters by name
    (optim.apply_update), so nothing non-finite is ever kept.
    """
    @functools.wraps(function)
    def quiet(*args: P.args, **kwargs: P.kwargs) -> R:
        with np.errstate(over="ignore", invalid="ignore"):
            return function(*args, **kwargs)
    return quiet


def _ro(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _no_negative_zero(array: np.ndarray) -> np.ndarray:
    """A read-only copy with −0.0 made +0.0 (x + 0.0 changes nothing else): a zero gradient reads "0", not "−0".

    Why: −(y − ŷ) with y = ŷ, or 0·(−a), is −0.0 in IEEE arithmetic, and every view prints it.
    """
    return _ro(array + 0.0)


def _no_negative_zero_in_place(fresh: np.ndarray) -> np.ndarray:
    """`_no_negative_zero` for an array made here and used nowhere else (∂L/∂W, as large as W): changed in
    place and made read-only, so the largest layer's gradient is not held twice while it is made."""
    np.add(fresh, 0.0, out=fresh)
    return _ro(fresh)


@dataclass(frozen=True, eq=False)
class LayerTrace:
    """What one layer computed: its input a_prev, z = W·a_prev + b, and a = g(z), each flat per sample.

    `argmax` is a max pooling's choice, per pooled value the chosen pixel's place row·W + column in its own
    map, shaped (C, Ho, Wo) or (B, C, Ho, Wo): what the way back follows and the step-through shows."""

    a_prev: np.ndarray
    z: np.ndarray
    a: np.ndarray
    argmax: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class ForwardTrace:
    """The input and every layer's LayerTrace, in order."""

    input: np.ndarray
    layers: tuple[LayerTrace, ...]

    @property
    def output(self) -> np.ndarray:
        return self.layers[-1].a if self.layers else self.input

@dataclass(frozen=True, eq=False)
class LayerGradients:
    """δ = ∂L/∂z, ∂L/∂W = δ·a_prevᵀ, ∂L/∂b = δ (None without bias), and Wᵀδ sent back.

    For a convolution `grad_weights` is ∂L/∂kernel (K, C, k, k) and `grad_bias` one value per channel; a pooling
    layer has neither (None). δ and the signal are flat per sample, as the trace's z and a are."""

    delta: np.ndarray
    grad_weights: np.ndarray | None
    grad_bias: np.ndarray | None
    signal: np.ndarray


@dataclass(frozen=True, eq=False)
class Gradients:
    """The loss and every layer's gradients, in layer order (input side first)."""

    loss: float
    layers: tuple[LayerGradients, ...]


def as_input(network: Network, x: np.ndarray | list[float]) -> np.ndarray:
    """x as an array of the network's precision, checked against its input size; for a network with an input
    shape (C, H, W), maps (C, H, W) or (B, C, H, W) are taken too, flattened in (C, H, W) order."""
    array = np.asarray(x, dtype=network.dtype)
    shape = network.input_shape
    if shape is not None and array.ndim in (3, 4) and array.shape[-3:] == shape:
        array = array.reshape(array.shape[:-3] + (network.input_size,))
    if array.ndim not in (1, 2) or array.shape[-1] != network.input_size:
        raise ShapeError(
            f"input: expected {network.input_size} values per sample, got an array of shape {array.shape}"
        )
    return array


@_overflow_shows_as_inf
def forward(network: Network, x: np.ndarray | list[float]) -> ForwardTrace:
    """Run x (one sample (n,) or a batch (B, n)) through every layer, keeping each z and a."""
    a = as_input(network, x)
    first = _ro(a.copy())
    traces = []
    for layer in network.layers:
        argmax = None
        if isinstance(layer, DenseLayer):
            z = a @ layer.weights.T
            if layer.bias is not None:
                z = z + layer.bias
        else:
            maps = a.reshape((-1,) + layer.in_shape)  # (B, C, H, W), one sample a batch of one
            if isinstance(layer, Conv2DLayer):
                z = conv2d_forward(maps, layer.kernel, layer.bias, layer.stride, layer.pad)
            elif layer.kind == "max":
                z, argmax = max_pool_forward(maps, layer.size, layer.stride)
                argmax = _ro(argmax.reshape(a.shape[:-1] + layer.out_shape))
            else:
                z = avg_pool_forward(maps, layer.size, layer.stride)
            z = z.reshape(a.shape[:-1] + (layer.n_out,))
        # pooling has no activation: its a is its z, the same array
        out = z if isinstance(layer, Pool2DLayer) else get_activation(layer.activation)(z, layer.params)
        traces.append(LayerTrace(a_prev=a if traces else first, z=_ro(z), a=_ro(out), argmax=argmax))
        a = out
    return ForwardTrace(first, tuple(traces))


def _layer_backward(layer: Layer, step: LayerTrace,
                    delta: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """(∂L/∂W or ∂L/∂kernel or None, ∂L/∂b or None, the signal ∂L/∂a_prev) of one layer from its δ, every
    result a fresh array; summed over the batch, since δ already carries the 1/B of the mean loss."""
    if isinstance(layer, DenseLayer):
        if delta.ndim == 1:
            grad_w, grad_b = np.outer(delta, step.a_prev), delta.copy()
        else:
            grad_w, grad_b = delta.T @ step.a_prev, delta.sum(axis=0)
        return grad_w, grad_b, delta @ layer.weights  # the signal: Wᵀδ per sample
    d = delta.reshape((-1,) + layer.out_shape)
    x_shape = (d.shape[0],) + layer.in_shape
    grad_main = grad_b = None
    if isinstance(layer, Conv2DLayer):
        x = step.a_prev.reshape(x_shape)
        grad_x, grad_main, grad_b = conv2d_backward(x, layer.kernel, d, layer.stride, layer.pad)
    elif layer.kind == "max":
        grad_x = max_pool_backward(d, np.asarray(step.argmax).reshape(d.shape), x_shape)
    else:
        grad_x = avg_pool_backward(d, x_shape, layer.size, layer.stride)
    return grad_main, grad_b, grad_x.reshape(delta.shape[:-1] + (layer.n_in,))


def _checked_targets(network: Network, trace: ForwardTrace, y: np.ndarray | list[float], rule: Loss) -> np.ndarray:
    """y as dense rows, after refusing by name what the loss cannot take (core/losses.py, docs/losses.md)."""
    dense = rule.targets(np.asarray(y), trace.layers[-1].a)
    rule.check(network.layers[-1].activation, dense)
    return dense


@_overflow_shows_as_inf
def trace_loss(network: Network, trace: ForwardTrace, y: np.ndarray | list[float], loss: Loss | str) -> float:
    """The loss of the traced output against y (from the logits where there is a closed form, so stable).

    Raises LossError for a target or output activation the loss refuses; never returns −0.0."""
    rule = get_loss(loss) if isinstance(loss, str) else loss
    out = trace.layers[-1]
    dense = _checked_targets(network, trace, y, rule)
    return rule.evaluate(out.a, dense, out.z, network.layers[-1].activation)


@_overflow_shows_as_inf
def backward(network: Network, trace: ForwardTrace, y: np.ndarray | list[float], loss: Loss | str) -> Gradients:
    """All gradients of the loss for the traced input and target y; changes nothing.

    δ of the output is the true ∂L/∂z for every target the loss accepts (a closed form where
    there is one, else ∂L/∂ŷ through g′ or the softmax Jacobian); what it refuses raises LossError."""
    if not network.layers:
        raise ShapeError("the network has no layers to train")
    loss = get_loss(loss) if isinstance(loss, str) else loss
    out = trace.layers[-1]
    last = network.layers[-1]
    target = _checked_targets(network, trace, y, loss)
    value = loss.evaluate(out.a, target, out.z, last.activation)

    delta = loss.output_delta(out.a, target, last.activation)
    if delta is None:
        grad_a = loss.grad(out.a, target)
        delta = get_activation(last.activation).backward(out.z, out.a, grad_a, last.params)

    grads: list[LayerGradients] = []
    for index in range(len(network.layers) - 1, -1, -1):
        layer = network.layers[index]
        grad_w, grad_b, signal = _layer_backward(layer, trace.layers[index], delta)
        grads.append(
            LayerGradients(
                delta=_no_negative_zero(delta),
                grad_weights=None if grad_w is None else _no_negative_zero_in_place(grad_w),
                grad_bias=_no_negative_zero(grad_b) if layer.bias is not None and grad_b is not None else None,
                signal=_no_negative_zero(signal),
            )
        )
        if index > 0:
            below = network.layers[index - 1]
            below_step = trace.layers[index - 1]
            delta = get_activation(below.activation).backward(below_step.z, below_step.a, signal, below.params)
    grads.reverse()
    return Gradients(loss=value, layers=tuple(grads))
