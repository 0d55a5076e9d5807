"""The numeric core: plain numpy, no Qt. Read `trace.py` first: it is the whole algorithm."""

from nnstudio.core.activations import ACTIVATIONS, Activation, get_activation
from nnstudio.core.errors import ExpressionError, NNStudioError, ShapeError, UnknownNameError
from nnstudio.core.expr import evaluate_number, parse_expression
from nnstudio.core.init import INITIALISERS, build_network, initial_weights
from nnstudio.core.losses import LOSSES, Loss, get_loss
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OptimizerConfig, OptimizerState, apply_update
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer
from nnstudio.core.trace import ForwardTrace, Gradients, LayerGradients, LayerTrace, backward, forward

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Conv2DLayer",
    "DenseLayer",
    "ExpressionError",
    "ForwardTrace",
    "Gradients",
    "INITIALISERS",
    "LOSSES",
    "LayerGradients",
    "LayerTrace",
    "Loss",
    "NNStudioError",
    "Network",
    "OptimizerConfig",
    "OptimizerState",
    "Pool2DLayer",
    "ShapeError",
    "UnknownNameError",
    "apply_update",
    "backward",
    "build_network",
    "evaluate_number",
    "forward",
    "get_activation",
    "get_loss",
    "initial_weights",
    "parse_expression",
]
