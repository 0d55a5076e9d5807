"""A training run refuses, before its first step, what would only make it diverge or mean nothing (issue 29): an
activation parameter the run's precision cannot hold, and binary cross-entropy targets outside [0, 1] (named)."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.activations import ParameterError
from nnstudio.core.errors import LossError
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.data.dataset import Dataset
from nnstudio.training import TrainingConfig, train
from nnstudio.training.engine import FastMLP


def _elu(alpha: float) -> DenseLayer:
    return DenseLayer(np.ones((1, 1)), np.zeros(1), "elu", {"alpha": alpha})


def test_a_float64_networks_alpha_is_refused_before_a_float32_run_starts():
    network = Network(1, (_elu(1e300), DenseLayer(np.ones((1, 1)), None, "sigmoid")))
    with pytest.raises(ParameterError, match=r"alpha: 1e\+300 does not fit in float32 .*\(layer 1; training in "
                                             r"float32\)"):
        FastMLP(network, "bce", OptimizerConfig(), "float32")
    FastMLP(network, "bce", OptimizerConfig(), "float64")  # its own precision holds it


def test_training_on_targets_outside_0_1_with_bce_is_refused_before_the_first_step():
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    data = Dataset("doubling", x, np.array([[0.0], [0.5], [1.0], [2.0]]))  # a regression set; its last target is 2
    network = Network(1, (DenseLayer(np.ones((1, 1)), np.zeros(1), "sigmoid"),))
    run = train(network, "bce", data, None, TrainingConfig(epochs=3, dtype="float64"))
    with pytest.raises(LossError) as refused:
        next(run)  # not one record: refused before any step
    assert str(refused.value) == "doubling: target 2 for binary cross-entropy: each target must lie in [0, 1]"
