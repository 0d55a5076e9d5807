"""One truth on screen: after every operation of a long seeded random session, every number the
readout, the status bar, the canvas and the Step dock show equals an independent evaluation.

The expected numbers are computed here from the document's project with the Qt-free core
(forward pass, loss), and which of them a pass has revealed is worked out from the plan's
list of steps, not from the window's own code.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.losses import get_loss
from nnstudio.core.stepper import Phase
from nnstudio.core.trace import forward
from nnstudio.ui import format as fmt
from nnstudio.ui.selection import ItemKey

OPERATIONS = 240
EXAMPLES = ("backprop-4-2-3", "cosine-memory", "xor")


def expected_state(document):
    """(outputs or None, loss or None, per-neuron a or None) from the core, for what should be shown."""
    project = document.project
    net = project.network
    if not net.layers:
        return None, None, None
    plan = document.stepping.plan
    if plan is not None:
        k = plan.step.sample
        taken = [s for s in plan.steps[: plan.index + 1] if s.sample == k]
        last = len(net.layers) - 1
        out_seen = any(s.layer == last and s.phase in (Phase.A, Phase.FORWARD) for s in taken)
        loss_seen = any(s.phase == Phase.LOSS for s in taken)
        before = plan.current.before  # the network this pass started from (an update may follow)
        x, y = plan.current.x, plan.current.y
        out = np.asarray(forward(before, x).output)
        loss = float(get_loss(project.loss).evaluate(out, np.asarray(y), forward(before, x).layers[-1].z,
                                                     before.layers[-1].activation))
        return (out if out_seen else None), (loss if loss_seen else None), None
    network = document.preview if document.preview is not None else net
    trace = forward(network, project.input)
    loss = float(get_loss(project.loss).evaluate(trace.output, project.target, trace.layers[-1].z,
                                                 network.layers[-1].activation))
    return np.asarray(trace.output), loss, [np.asarray(t.a) for t in trace.layers]


def shown_numbers(text: str) -> list[float]:
    """The values of "label = value" pairs in a text, in order ("?" for not yet)."""
    values = []
    for part in text.replace("\n", "  ").split("  "):
        if " = " in part and not part.strip().startswith("loss"):
            value = part.split(" = ", 1)[1].split()[0]
            values.append(float("nan") if value == "?" else float(value.replace("−", "-")))
    return values


def check(window, where: str) -> None:
    document = window.document
    out, loss, activations = expected_state(document)
    readout = window.io_panel.output_label.text()
    status = window.output_status.text()
    canvas = window.scene.output_text.text if window.scene.output_text is not None else ""
    if out is None:
        if document.project.network.layers:
            assert "?" in readout and "?" in status and "?" in canvas, (where, readout, status, canvas)
    else:
        listed = shown_numbers(readout)
        assert listed == pytest.approx([round(float(v), 4) for v in out[:10]], abs=6e-5), (where, readout)
        if len(out) <= 4:
            assert shown_numbers(status) == listed, (where, status, readout)
            assert shown_numbers(canvas) == listed, (where, canvas, readout)
    loss_text = window.io_panel.loss_label.text()
    if loss is None:
        assert "loss" not in status or "loss ?" in status, (where, status)
    else:
        assert float(loss_text.split(" = ")[1]) == pytest.approx(loss, rel=1e-5), (where, loss_text)
        assert float(status.split("loss ")[1]) == pytest.approx(loss, rel=1e-3), (where, status)
    plan = document.stepping.plan
    step_text = window.step_panel.step_label.text()
    if plan is None:
        assert step_text.startswith("Not stepping"), (where, step_text)
    else:
        assert step_text.startswith(f"Step {plan.index} of {len(plan.steps) - 1}"), (where, step_text)
        if loss is not None:
            assert float(step_text.split("L = ")[1]) == pytest.approx(loss, rel=1e-5), (where, step_text)
        assert f"Step {plan.index} of" in window.view.banner.text()
    if activations is not None:
        for column, a in enumerate(activations, start=1):
            for row, value in enumerate(a[:8]):
                item = window.scene.items_by_key.get(ItemKey("neuron", column, row))
                if item is not None:
                    assert item.value_text == fmt.short(float(value), window.scene.digits), (where, column, row)


def random_operation(window, rng, log: list[str]) -> None:
    document = window.document
    net = document.project.network
    choice = rng.choice(["weight", "weight", "resize", "step", "step", "step", "back", "undo", "redo",
                         "example", "close", "train"])
    if choice == "weight" and net.layers:
        column = int(rng.integers(1, len(net.layers) + 1))
        layer = net.layers[column - 1]
        row, col = int(rng.integers(layer.n_out)), int(rng.integers(layer.n_in))
        text = str(rng.choice(["0.5", "-1/4", "1/sqrt(2)", "2", "0", "-0.3"]))
        document.set_weight(column, row, col, text)
    elif choice == "resize" and net.layers and not document.structure_locked:
        column = int(rng.integers(0, len(net.layers) + 1))
        size = int(np.clip(net.sizes[column] + rng.choice([-1, 1]), 1, 4))
        window.scene.select_key(ItemKey("layer", column))
        window.resize_selected(size - net.sizes[column])
    elif choice == "step" and net.layers:
        window.actions_by_name["step"].trigger()
    elif choice == "back" and document.stepping.active:
        window.actions_by_name["step_back"].trigger()
    elif choice == "undo":
        window.actions_by_name["undo"].trigger()
    elif choice == "redo":
        window.actions_by_name["redo"].trigger()
    elif choice == "example":
        document.mark_clean()
        window.open_example(str(rng.choice(EXAMPLES)))
    elif choice == "close":
        document.mark_clean()
        window.actions_by_name["close"].trigger()
        window.open_example(str(rng.choice(EXAMPLES)))  # something to work on again
    elif choice == "train" and net.layers and document.stepping.plan is None:
        # A run as the worker reports it: live snapshots of a copy, then the trained network lands.
        live = net
        for _ in range(3):
            live = live.with_layers([layer.replace(weights=layer.weights * 0.9, weight_text={})
                                     for layer in live.layers])
            document.set_preview(live)
            check(window, f"{log[-1] if log else 'start'} → training snapshot")
        document.set_preview(None)
        document.apply(document.project.replace(network=live), "Train", "values")
    log.append(choice)


@pytest.mark.parametrize("seed", [7, 2026])
def test_every_panel_agrees_with_an_independent_evaluation(make_window, qtbot, seed):
    window = make_window("backprop-4-2-3")
    rng = np.random.default_rng(seed)
    log: list[str] = []
    check(window, "start")
    for n in range(OPERATIONS):
        random_operation(window, rng, log)
        qtbot.wait(0)  # queued refreshes (the tables refill after an edit) run, as in the app
        check(window, f"operation {n}: {log[-1]} (after {log[-6:-1]})")
    assert len(log) == OPERATIONS
    assert {"weight", "step", "back", "undo", "redo", "example", "close", "train"} <= set(log)


def test_a_rewound_moment_is_what_every_panel_shows(qtbot, make_window):
    """The Step dock, the Inspector and the hover card read the network the canvas shows (here a
    rewound moment of a run), not the document's: computed by hand for cosine-memory with w11 = 3."""
    window = make_window("cosine-memory")
    net = window.document.project.network
    first = net.layers[0]
    weights = first.weights.copy()
    weights[0, 0] = 3.0
    rewound = net.with_layers([first.replace(weights=weights, weight_text={})] + list(net.layers[1:]))
    window.document.set_preview(rewound, "end of epoch 1")
    window.step_dock.raise_()
    key = ItemKey("neuron", 1, 0)
    window.scene.select_key(key)
    qtbot.wait(10)
    z = 3 * 5 / 6 - 2**-0.5  # neuron 1: 3·x1 + 0·x2 + b1 with x = (5/6, 1/3), b1 = −1/√2
    equations = window.step_panel.equations.toPlainText().splitlines()
    assert equations[0].startswith("z = 3·0.8333 + 0·0.3333 + (−0.7071) = ") and \
        float(equations[0].rsplit(" = ", 1)[1].replace("−", "-")) == pytest.approx(z, abs=5e-5)
    window.inspector_dock.raise_()
    qtbot.wait(10)
    assert float(window.inspector._z.text()) == pytest.approx(z, abs=1e-12)
    assert float(window.inspector._a.text()) == pytest.approx(z, abs=1e-12)  # ReLU of a positive z
    from nnstudio.ui.canvas.hover_card import card_lines

    assert card_lines(window.document, ItemKey("edge", 1, 0, 0))[1] == "w = 3"
    item = window.scene.items_by_key[key]
    assert float(item.value_text.replace("−", "-")) == pytest.approx(z, abs=5e-4)  # the canvas: 3 digits
