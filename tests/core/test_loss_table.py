"""Every cell of the table in docs/losses.md (loss × output activation × target kind): computed and equal to
PyTorch's autograd to 1e-12 in float64, or refused by name.

The table is read from the docs, so the docs and the code cannot part. Each computed cell is compared
with what torch gave, frozen in loss_table_torch.json (remade by make_loss_table_torch.py beside this
file), so the check runs without torch; with torch installed the same cells are also computed live and
the frozen values checked against them. The case is one layer, 2 inputs → 3 outputs, a batch of two
samples (tests/support/loss_table.py).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nnstudio.core import DenseLayer, Network, backward, forward, get_loss
from nnstudio.core.activations import ACTIVATIONS
from nnstudio.core.errors import LossError
from nnstudio.core.losses import LOSSES
from tests.support.loss_table import B, CLASSES, KINDS, PARAMS, W, X, Cell, cells, targets

FROZEN = json.loads(Path(__file__).with_name("loss_table_torch.json").read_text(encoding="utf-8"))["cases"]
CELLS = cells()
COMPUTED = [cell for cell in CELLS if cell.computed]
REFUSED = [cell for cell in CELLS if not cell.computed]
TOLERANCE = {"rtol": 1e-12, "atol": 1e-15}


def _network(activation: str) -> Network:
    return Network(2, (DenseLayer(W, B, activation, PARAMS.get(activation, {})),))


def _nnstudio(cell: Cell, y: np.ndarray) -> dict[str, object]:
    network = _network(cell.activation)
    grads = backward(network, forward(network, X), y, cell.loss)
    layer = grads.layers[0]
    return {"loss": grads.loss, "delta": layer.delta, "grad_weights": layer.grad_weights,
            "grad_bias": layer.grad_bias}


def _assert_equal(mine: dict[str, object], theirs: dict[str, object], where: str) -> None:
    assert math.isclose(mine["loss"], theirs["loss"], rel_tol=1e-12, abs_tol=1e-15), (where, mine["loss"], theirs)
    for key in ("delta", "grad_weights", "grad_bias"):
        np.testing.assert_allclose(mine[key], theirs[key], **TOLERANCE, err_msg=f"{where}: {key}")


def test_the_table_has_one_cell_for_every_loss_activation_and_target_kind():
    keys = [(cell.loss, cell.activation, cell.kind) for cell in CELLS]
    assert len(keys) == len(set(keys))
    assert set(keys) == {(loss, activation, kind) for loss in LOSSES for activation in ACTIVATIONS for kind in KINDS}


def test_the_frozen_torch_values_are_for_exactly_the_computed_cells():
    # a cell made computed without running make_loss_table_torch.py again would be checked against nothing
    assert set(FROZEN) == {cell.key for cell in COMPUTED}


@pytest.mark.parametrize("cell", COMPUTED, ids=lambda cell: cell.key)
def test_a_computed_cell_equals_what_torch_autograd_gave(cell):
    _assert_equal(_nnstudio(cell, targets(cell)), FROZEN[cell.key], cell.key)
    if cell.loss == "sparse_cce":  # a class as an index is the same target as its one-hot row
        _assert_equal(_nnstudio(cell, CLASSES), FROZEN[cell.key], cell.key + " (class indices)")


@pytest.mark.parametrize("cell", REFUSED, ids=lambda cell: cell.key)
def test_a_refused_cell_is_refused_by_name(cell):
    network = _network(cell.activation)
    with pytest.raises(LossError) as refused:
        backward(network, forward(network, X), targets(cell), cell.loss)
    message = str(refused.value)
    assert get_loss(cell.loss).label.lower() in message, message
    # the pair itself (cross-entropy after ReLU) names the activation; a refused target names the target
    assert (f"a {cell.activation} output layer" if cell.whole_row_refused else "target ") in message, message


@pytest.mark.parametrize("cell", COMPUTED, ids=lambda cell: cell.key)
def test_a_computed_cell_equals_torch_autograd_live(cell):
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0); the frozen values "
                                        "are checked without it")
    from tests.support.loss_table_torch import gradients

    live = gradients(cell)
    _assert_equal(_nnstudio(cell, targets(cell)), live, cell.key)
    for key in ("loss", "delta", "grad_weights", "grad_bias"):  # the frozen values are still what torch gives
        np.testing.assert_allclose(FROZEN[cell.key][key], live[key], rtol=1e-15, atol=0, err_msg=f"{cell.key}: {key}")


def test_an_all_zero_target_with_categorical_cross_entropy_is_a_loss_of_0_that_moves_nothing():
    for activation in ("softmax", "sigmoid"):
        grads = _nnstudio(Cell("cce", activation, "all-zero", True, False), np.zeros((2, 3)))
        assert grads["loss"] == 0.0 and math.copysign(1.0, grads["loss"]) == 1.0  # 0, not −0
        for key in ("delta", "grad_weights", "grad_bias"):
            assert np.all(grads[key] == 0.0) and not np.any(np.signbit(grads[key])), (activation, key)
