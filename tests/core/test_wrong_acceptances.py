"""What the core used to accept and must refuse (issue 29): an activation parameter the network's precision cannot
hold (ELU α = 1e308 in float32 gave −inf), one that is not a finite number, and binary cross-entropy targets
outside [0, 1] (which trained silently to a negative loss), at the loss's own check. The same refusals before a
training run starts: tests/training/test_refused_before_a_run.py."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.activations import ParameterError
from nnstudio.core.errors import LossError
from nnstudio.core.losses import get_loss
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.trace import forward


def _elu(alpha: object, dtype=np.float32) -> DenseLayer:
    return DenseLayer(np.ones((1, 1), dtype), np.zeros(1, dtype), "elu", {"alpha": alpha})


def test_an_elu_alpha_a_float32_network_cannot_hold_is_refused():
    with pytest.raises(ParameterError) as refused:
        _elu(1e308)
    assert str(refused.value) == ("elu parameter alpha: 1e+308 does not fit in float32 (limit ±3.403e+38); use "
                                  "precision float64 or a smaller value")
    assert refused.value.key == "alpha"
    assert _elu(1e308, np.float64).params["alpha"] == 1e308  # float64 holds it


def test_an_alpha_within_float32_gives_finite_outputs_however_negative_z():
    layer = _elu(3e38)
    network = Network(1, (layer,))
    out = forward(network, np.array([[-1e30], [-1.0], [0.0], [5.0]], np.float32)).output
    assert np.all(np.isfinite(out)) and out[0, 0] == np.float32(-3e38) and out[3, 0] == 5.0


@pytest.mark.parametrize("value, shown", [(float("nan"), "nan"), (float("inf"), "inf"), ("big", "'big'"),
                                          (10**400, "'1000000000")])
def test_an_activation_parameter_that_is_not_a_finite_number_is_refused(value, shown):
    with pytest.raises(ParameterError, match=r"elu parameter alpha: expected a finite number, got " + shown[:6]):
        _elu(value, np.float64)
    with pytest.raises(ParameterError, match="leaky_relu parameter slope"):
        DenseLayer(np.ones((1, 1)), None, "leaky_relu", {"slope": value})


@pytest.mark.parametrize("target, shown", [(2.0, "2"), (-0.5, "−0.5"), (float("nan"), "nan")])
def test_binary_cross_entropy_refuses_a_target_outside_0_1_at_its_check(target, shown):
    with pytest.raises(LossError) as refused:
        get_loss("bce").check("sigmoid", np.array([[0.5, target]]))
    assert str(refused.value) == f"target {shown} for binary cross-entropy: each target must lie in [0, 1]"
    get_loss("bce").check("sigmoid", np.array([[0.0, 1.0], [0.25, 0.75]]))  # the bounds themselves are fine
