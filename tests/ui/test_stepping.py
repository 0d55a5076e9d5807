"""Stepping in the window: every label on the canvas against a calculation written here."""

import math

import numpy as np
import pytest
from PySide6.QtWidgets import QDialogButtonBox

from nnstudio.core.stepper import Phase
from nnstudio.io import load_example
from nnstudio.ui import format as fmt
from nnstudio.ui.canvas.edge_item import EdgeItem
from nnstudio.ui.panels.network.build_dialog import BuildFromSamplesDialog
from nnstudio.ui.selection import ItemKey

R2 = math.sqrt(2)


def hand_backprop_4_2_3():
    """The backprop-4-2-3 example computed with plain numpy, the textbook way."""
    x = np.array([1.0, 0.5, -1.0, 2.0])
    y = np.array([1.0, 0.0, 0.0])
    W1 = np.array([[0.1, 0.2, -0.1, 0.3], [0.3, -0.2, 0.2, 0.1]])
    b1 = np.array([0.1, -0.1])
    W2 = np.array([[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2]])
    b2 = np.array([0.1, -0.2, 0.0])
    z1 = W1 @ x + b1
    a1 = np.maximum(z1, 0)
    z2 = W2 @ a1 + b2
    a2 = 1 / (1 + np.exp(-z2))
    d2 = -(y - a2) * a2 * (1 - a2)
    d1 = (W2.T @ d2) * (z1 > 0)
    lr = 0.5
    return {
        "x": x, "z": [z1, z2], "a": [a1, a2], "delta": [d1, d2], "W": [W1, W2], "b": [b1, b2],
        "gW": [np.outer(d1, x), np.outer(d2, a1)], "gb": [d1, d2],
        "newW": [W1 - lr * np.outer(d1, x), W2 - lr * np.outer(d2, a1)], "newb": [b1 - lr * d1, b2 - lr * d2],
    }


def short(value):
    return fmt.short(float(value), 3)


def expected_neuron_label(plan, hand, layer, j):
    if plan.delta_visible(layer):
        return f"a {short(hand['a'][layer][j])}\nδ {short(hand['delta'][layer][j])}"
    if plan.a_visible(layer):
        return f"z {short(hand['z'][layer][j])}\na {short(hand['a'][layer][j])}"
    if plan.z_visible(layer):
        return f"z {short(hand['z'][layer][j])}"
    return ""


def expected_edge(plan, hand, mode, key):
    layer, j, i = key.column - 1, key.row, key.col
    bias = key.kind == "bias_edge"
    old = hand["b"][layer][j] if bias else hand["W"][layer][j, i]
    if plan.updated():
        new = hand["newb"][layer][j] if bias else hand["newW"][layer][j, i]
        return new, f"{short(old)} → {short(new)}"
    if mode == "weight":
        return old, short(old)
    if mode == "gradient":
        if not plan.gradients_visible(layer):
            return None, ""
        value = hand["gb"][layer][j] if bias else hand["gW"][layer][j, i]
        return value, short(value)
    if not plan.delta_visible(layer):
        return None, ""
    delta = hand["delta"][layer][j]
    value = delta if bias else hand["W"][layer][j, i] * delta
    return value, (f"1·δ {short(value)}" if bias else short(value))  # a bias edge carries 1·δ


def test_every_label_at_every_step_matches_the_hand_calculation(make_window, qtbot):
    window = make_window("backprop-4-2-3")
    start = window.document.project
    hand = hand_backprop_4_2_3()
    scene = window.scene
    window.step()  # starts the plan
    plan = window.document.stepping.plan
    seen_phases = set()
    while True:
        plan = window.document.stepping.plan
        seen_phases.add(plan.step.phase)
        for layer in range(2):
            for j in range(len(hand["z"][layer])):
                neuron = scene.items_by_key[ItemKey("neuron", layer + 1, j)]
                assert neuron.value_text == expected_neuron_label(plan, hand, layer, j), (plan.step, layer, j)
        for mode in ("weight", "gradient", "signal"):
            window.actions_by_name[f"edge_{mode}"].trigger()
            for item in scene.items():
                if isinstance(item, EdgeItem):
                    value, label = expected_edge(plan, hand, mode, item.key)
                    assert item.label == label, (plan.step, mode, item.key)
                    if value is not None:
                        assert item.value == pytest.approx(value, abs=1e-12)
        if plan.at_end():
            break
        window.actions_by_name["step"].trigger()
    assert seen_phases == {Phase.START, Phase.Z, Phase.A, Phase.LOSS, Phase.DELTA, Phase.GRADIENTS, Phase.UPDATE}
    np.testing.assert_allclose(window.document.project.network.layers[0].weights, hand["newW"][0], atol=1e-12)
    while window.document.stepping.plan.index > 0:
        window.actions_by_name["step_back"].trigger()
    assert window.document.project is start  # bit for bit: the very object we started from
    assert not window.document.modified


def test_equations_panel_for_hidden_neuron_1_of_the_worked_example(make_window, qtbot):
    window = make_window("cosine-memory")
    window.scene.select_key(ItemKey("neuron", 1, 0))
    text = window.step_panel.equations.toPlainText()
    assert "z = 1·0.8333 + 0·0.3333 + (−0.7071) = 0.1262" in text
    assert "a = ReLU(0.1262) = 0.1262" in text
    window.step()
    window.document.stepping.run_to_end_of_backward()
    text = window.step_panel.equations.toPlainText()
    # Neuron 1's weight into the output is 0, so no error reaches it: δ = 0·δ_out·ReLU′(z) = 0.
    assert "δ = (Σ_k w_kj δ_k) · g′(z_j) = (0·0.2012) · 1 = 0 · 1 = 0" in text
    window.scene.select_key(ItemKey("neuron", 1, 1))
    # Neuron 2 receives w = (2+√2)/2 times the output's δ = 0.2012.
    assert f"= {(2 + R2) / 2 * 0.2011844636:.4f}" in window.step_panel.equations.toPlainText()


def test_memory_view_lists_the_cosines(make_window, qtbot):
    window = make_window("cosine-memory")
    table = window.memory_panel.table
    window.memory_dock.raise_()  # as a person chooses its tab (a tab behind the Inspector is not drawn)
    qtbot.waitUntil(lambda: table.rowCount() == 3 and table.item(0, 4) is not None, timeout=2000)
    x = np.array([5 / 6, 1 / 3])
    memories = np.array([[1, 0], [1 / R2, 1 / R2], [0, 1]])
    cosines = memories @ x / (np.linalg.norm(memories, axis=1) * np.linalg.norm(x))
    shown = [float(table.item(r, 4).toolTip()) for r in range(3)]
    np.testing.assert_allclose(shown, cosines, atol=1e-12)
    assert table.verticalHeaderItem(int(np.argmax(cosines))).text().endswith("★")


def test_sample_mode_through_the_panel_applies_three_updates(make_window, qtbot):
    window = make_window("cosine-memory")
    window.step_panel.samples_mode.setChecked(True)
    window.step()
    while window.document.stepping.forward():
        pass
    plan = window.document.stepping.plan
    assert len(plan.passes) == 3 and plan.step.phase == Phase.UPDATE
    assert window.step_panel.losses.count() == 3
    assert all("…" not in window.step_panel.losses.item(k).text() for k in range(3))
    assert window.document.undo_stack.undo_text().startswith("Apply update")
    assert len(window.document.undo_stack) == 3


def test_editing_a_weight_mid_step_resets_the_stepper(make_window, qtbot):
    window = make_window("cosine-memory")
    window.step()
    window.step()
    window.step()
    assert window.document.stepping.plan.index == 2
    window.scene.commit_edit(ItemKey("edge", 1, 0, 0), "0.5")
    assert window.document.stepping.plan.index == 0
    assert window.step_panel.step_label.text().startswith("Step 0 of")
    assert window.scene.items_by_key[ItemKey("neuron", 1, 0)].value_text == ""  # not reached yet: blank


def test_build_from_samples_dialog_reproduces_the_example(make_window, qtbot):
    window = make_window("cosine-memory")
    window.document.set_weight(1, 1, 1, "3")
    window.build_from_samples()
    dialog = window.findChild(BuildFromSamplesDialog, "buildDialog")
    assert dialog.table.rowCount() == 3
    assert dialog.table.item(1, 2).text() == "0.5"  # the stored memory gives back its target ½
    dialog.tau.setText("1/")  # bad τ: refused with the parser's message, OK disabled
    assert "ends too early" in dialog.error.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.tau.setText("1/sqrt(2)")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    reference = load_example("cosine-memory").network
    net = window.document.project.network
    np.testing.assert_allclose(net.layers[0].weights, reference.layers[0].weights, atol=1e-15)
    np.testing.assert_array_equal(net.layers[0].bias, reference.layers[0].bias)
    np.testing.assert_allclose(net.layers[1].weights, reference.layers[1].weights, atol=1e-12)
    window.actions_by_name["undo"].trigger()
    assert window.document.project.network.layers[0].weights[1, 1] == 3.0


def test_check_gradients_reports_agreement(make_window, qtbot):
    window = make_window("backprop-4-2-3")
    window.step_panel.check_gradients()
    text = window.step_panel.check_result.text()
    assert text.startswith("Backprop and finite differences agree")
    error = float(text.split("largest relative error ")[1].split(" ")[0])
    assert error < 1e-6


def test_a_hidden_memory_view_draws_nothing_while_stepping_and_is_current_when_shown(make_window, qtbot,
                                                                                     monkeypatch):
    """The Memory view is a tab behind the Inspector: drawing its pictures on every step cost about half
    of each step on mnist-mlp. Hidden, it draws nothing; shown, it reads the step the pass is at."""
    from nnstudio.ui.panels.network import memory_panel

    window = make_window("cosine-memory")
    window.inspector_dock.raise_()
    qtbot.waitUntil(lambda: not window.memory_panel.on_screen())
    drawn = []
    real = memory_panel.memory_pixmap
    monkeypatch.setattr(memory_panel, "memory_pixmap", lambda *a: drawn.append(1) or real(*a))
    window.document.set_input_vector(np.array([0.0, 1.0]))
    for _ in range(3):
        window.step()
    assert drawn == []  # nothing drawn while hidden
    window.memory_dock.raise_()
    qtbot.waitUntil(lambda: bool(drawn))
    table = window.memory_panel.table
    x = np.array([0.0, 1.0])
    memories = np.array([[1, 0], [1 / R2, 1 / R2], [0, 1]])
    cosines = memories @ x / (np.linalg.norm(memories, axis=1) * np.linalg.norm(x))  # 0, 1/√2, 1
    np.testing.assert_allclose([float(table.item(r, 4).toolTip()) for r in range(3)], cosines, atol=1e-12)
    assert table.verticalHeaderItem(2).text().endswith("★")


def test_a_pooling_layers_backward_step_says_where_delta_goes_not_gradients(make_window):
    """LeNet's pooling layers 2 and 4 have no ∂L/∂W, ∂L/∂b: their second backward step (23 and 27 of 30) says so in
    the Step dock and where δ went, instead of "gradients" or a bare "no parameters"."""
    window = make_window("lenet")
    window.actions_by_name["step"].trigger()
    plan = window.document.stepping.plan
    said = {}
    while not plan.at_end():
        window.actions_by_name["step"].trigger()
        if plan.step.phase == Phase.GRADIENTS:
            said[plan.step.layer + 1] = window.step_panel.step_label.text().splitlines()[0]
    words = "max pooling has no parameters: δ passes to the first maximum of each window"
    assert said[4] == f"Step 23 of 30 — layer 4: {words}"
    assert said[2] == f"Step 27 of 30 — layer 2: {words}"
    assert said[3] == "Step 25 of 30 — layer 3: gradients"  # a convolution has parameters: its step keeps its word
