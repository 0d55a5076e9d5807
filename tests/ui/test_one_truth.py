"""One truth on screen, in a long seeded random session of ordinary use (issue 27).

Three hundred and more operations — edits typed on the canvas and in the Input table, steps of a pass and
back, Undo and Redo, examples opened, models imported, networks closed, every dialog and dock opened and
closed, short training runs on real data that are stopped, rewound and landed — and after each one:
no internal error was reported, and every number the readout, the status bar, the canvas, the Step
dock, the confusion matrix and its gallery show equals a forward and backward pass written here in
plain numpy (tests/support/reference.py), at the digits shown. Which numbers a pass has revealed is
worked out from the plan's list of steps, not from the window's own code.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.project import Project
from nnstudio.core.stepper import Phase
from nnstudio.document.kernel_edits import set_kernel_bias, set_kernel_block
from nnstudio.interop.formats import export_project
from nnstudio.ui.panels.network.kernel_editor import KernelGrid
from nnstudio.ui.selection import ItemKey
from nnstudio.ui.window.exports import import_from
from tests.support import conv_reference, reference
from tests.support.digits import write_digits
from tests.ui.helpers import run_queued_events

OPERATIONS = 320
SEED = 2027
EXAMPLES = ("cosine-memory", "backprop-4-2-3", "xor", "cosine-memory", "xor", "mnist-mlp")
VALUES = ("0.5", "-1/4", "1/sqrt(2)", "2", "0", "-0.3", "3/7")
DIALOGS = ("matrix", "map", "guide", "shortcuts", "new", "rules", "build")
DOCKS = ("io_dock", "inspector_dock", "step_dock", "memory_dock", "training_dock", "results_dock")


# ------------------------------------------------------------------ reading numbers off the screen

NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[−-]?\d+)?")


def read(text: str) -> float:
    return float(text.replace("−", "-"))


def agrees(shown: str, value: float, decimals: int) -> bool:
    """Does `shown` (as the window writes numbers: fixed `decimals`, trailing zeros dropped, or one
    mantissa in e-notation far from 1) stand for `value`?"""
    number = read(shown)
    if "e" in shown:
        mantissa, exponent = shown.replace("−", "-").split("e")
        places = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return abs(number - value) <= 0.5 * 10 ** (int(exponent) - places) * (1 + 1e-9) + 1e-300
    return abs(number - value) <= 0.5 * 10**-decimals + 1e-6 * max(1.0, abs(value))


def last_number(line: str) -> str:
    return NUMBER.findall(line.rsplit(" = ", 1)[1])[0]


# ------------------------------------------------------------------ what should be shown, by hand


class Expected:
    """The numbers the window should show now, from the document's arrays and the plan's list of steps."""

    def __init__(self, document) -> None:
        project = document.project
        self.network = None
        self.stepping = False
        if not project.network.layers:
            return
        plan = document.stepping.plan
        if plan is not None:
            network, x, y = self.read_plan(plan)
        else:
            preview = document.preview
            fits = preview is not None and preview.sizes == project.network.sizes
            network, x, y = (preview if fits else project.network), project.input, project.target
        self.network, self.loss_name = network, project.loss
        self.compute(project, network, x, y)
        self.output = self.passes[-1][1]
        last = len(self.passes) - 1
        self.output_seen = not self.stepping or last in self.a_seen
        if not self.stepping:
            self.loss_seen = project.target_known
        self.classifier = network.output_size > 1 and (network.layers[-1].activation == "softmax"
                                                        or network.output_size > 4)

    def compute(self, project, network, x, y) -> None:  # type: ignore[no-untyped-def]
        """(z, a) and δ of every layer and the loss, by the textbook's W·a + b."""
        self.layers = reference.layers_of(network)
        self.passes, self.deltas, self.loss = reference.backward(self.layers, x, y, project.loss)

    def read_plan(self, plan):  # type: ignore[no-untyped-def]
        """What the plan's steps so far have revealed of the current sample; its network, x and y."""
        self.stepping = True
        taken = [s for s in plan.steps[: plan.index + 1] if s.sample == plan.step.sample]
        self.z_seen = {s.layer for s in taken if s.phase in (Phase.Z, Phase.FORWARD)}
        self.a_seen = {s.layer for s in taken if s.phase in (Phase.A, Phase.FORWARD)}
        self.delta_seen = {s.layer for s in taken if s.phase == Phase.DELTA}
        self.gradients_seen = {s.layer for s in taken if s.phase == Phase.GRADIENTS}
        self.loss_seen = any(s.phase == Phase.LOSS for s in taken)
        self.updated = plan.step.phase == Phase.UPDATE
        self.rate = plan.config.learning_rate
        return plan.current.before, plan.current.x, plan.current.y


CHECKED: Counter = Counter()


def check(window, watch, where: str) -> None:
    """Every number on screen against the reference; no internal error so far."""
    assert watch.summaries() == [], (where, watch.summaries())
    boxes = [b.text() for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert not any("did not expect" in text for text in boxes), (where, boxes)
    expected = Expected(window.document)
    readout = window.io_panel.output_label.text()
    status = window.output_status.text()
    canvas = window.scene.output_text.text if window.scene.output_text is not None else ""
    if expected.network is None:
        assert readout == "—" and status == "", (where, readout, status)
        return
    CHECKED["stepping" if expected.stepping else window.document.shown().source] += 1
    CHECKED["verdicts"] += window.results_panel.verdicts is not None
    CHECKED["step dock"] += window.step_panel.key is not None
    check_output(expected, readout, status, canvas, window, where)
    check_canvas(expected, window, where)
    check_step_dock(expected, window, where)
    check_results(expected, window, where)


def check_output(expected: Expected, readout: str, status: str, canvas: str, window, where: str) -> None:
    lines = readout.replace("  ", "\n").splitlines()
    if not expected.output_seen:
        assert all(line.endswith("= ?") for line in lines) and "ŷ = ?" in status + canvas or "= ?" in canvas, \
            (where, readout, status, canvas)
    else:
        for line, value in zip(lines, expected.output[:10]):
            assert agrees(line.split(" = ")[1], float(value), 4), (where, line, float(value))
        if expected.classifier:
            best = int(np.argmax(expected.output))
            p = f"(p = {expected.output[best]:.3f})"
            for text in (status, canvas, window.io_panel.prediction_label.text()):
                assert text.startswith(f"→ {window.document.project.output_label(best)} ") and \
                    agrees(re.search(r"p = ([\d.]+)", text).group(1), float(expected.output[best]), 3), (where, text, p)
        else:
            for text in (status.split("   loss")[0], canvas):
                shown = [part.split(" = ")[1] for part in text.replace("\n", "  ").split("  ") if " = " in part]
                assert len(shown) == len(expected.output) and \
                    all(agrees(v, float(o), 4) for v, o in zip(shown, expected.output)), (where, text)
    loss_label = window.io_panel.loss_label.text()
    if expected.loss_seen and expected.output_seen or (expected.stepping and expected.loss_seen):
        assert math.isclose(read(loss_label.split(" = ")[1].split()[0]), expected.loss, rel_tol=1e-5, abs_tol=1e-9), \
            (where, loss_label, expected.loss)
        assert agrees_significant(status.split("loss ")[1], expected.loss, 4), (where, status, expected.loss)
    elif not window.document.project.target_known:  # no target: a dash, never a number (docs/losses.md)
        assert status.endswith("loss —"), (where, status)
    else:
        assert "loss ?" in status or "loss" not in status, (where, status)


def agrees_significant(shown: str, value: float, significant: int) -> bool:
    number = read(shown)
    return abs(number - value) <= 0.5 * 10 ** (math.floor(math.log10(abs(value) or 1)) - significant + 1) + 1e-12


def check_canvas(expected: Expected, window, where: str) -> None:
    scene = window.scene
    digits = scene.digits
    for (column, row), item in neuron_items(scene):
        layer = column - 1
        z, a = expected.passes[layer][0][row], expected.passes[layer][1][row]
        text = item.value_text
        if not expected.stepping:
            assert agrees(text, float(a), digits), (where, column, row, text, float(a))
            continue
        parts = dict(line.split(" ", 1) for line in text.splitlines() if " " in line)
        wanted = {}
        if layer in expected.delta_seen:
            wanted = {"a": a, "δ": expected.deltas[layer][row]}
        elif layer in expected.a_seen:
            wanted = {"z": z, "a": a}
        elif layer in expected.z_seen:
            wanted = {"z": z}
        assert set(parts) == set(wanted), (where, column, row, text, sorted(wanted))
        for name, value in wanted.items():
            assert agrees(parts[name], float(value), digits), (where, column, row, name, text, float(value))
    if window.scene.edge_mode != "weight":
        return
    for edge in scene.edges:
        weights, bias, _ = expected.layers[edge.key.column - 1]
        old = bias[edge.key.row] if edge.key.kind == "bias_edge" else weights[edge.key.row, edge.key.col]
        label = edge.label
        if expected.stepping and expected.updated:
            before, after = label.split(" → ")
            assert agrees(before, float(old), digits), (where, edge.key, label)
            grad = expected.deltas[edge.key.column - 1][edge.key.row] * (
                1.0 if edge.key.kind == "bias_edge" else
                (expected.passes[edge.key.column - 2][1] if edge.key.column > 1 else current_input(window))[edge.key.col])
            if window.document.project.optimizer.name == "sgd":
                assert agrees(after, float(old - expected.rate * grad), digits), (where, edge.key, label)
        elif NUMBER.fullmatch(label.replace("−", "-").replace("-", "−").replace("−", "-")):
            assert agrees(label, float(old), digits), (where, edge.key, label, float(old))


def current_input(window) -> np.ndarray:
    plan = window.document.stepping.plan
    return plan.current.x if plan is not None else window.document.project.input


def neuron_items(scene):
    for key, item in scene.items_by_key.items():
        if key.kind == "neuron" and key.column > 0 and hasattr(item, "value_text"):
            yield (key.column, key.row), item


def check_step_dock(expected: Expected, window, where: str) -> None:
    key = window.step_panel.key
    if key is None or key.kind != "neuron" or not 1 <= key.column <= len(expected.layers):
        return
    layer, row = key.column - 1, key.row
    decimals = window.step_panel.digits.value() + 1
    lines = window.step_panel.equations.toPlainText().splitlines()
    wanted = {"z": expected.passes[layer][0][row], "a": expected.passes[layer][1][row]}
    if expected.stepping:
        wanted = {name: value for name, value in wanted.items()
                  if layer in (expected.z_seen if name == "z" else expected.a_seen)}
        if layer in expected.delta_seen:
            wanted["δ"] = expected.deltas[layer][row]
    found = {line.split(" = ")[0]: line for line in lines if line[:2] in ("z ", "a ", "δ ")}
    assert set(found) == set(wanted), (where, key, lines, sorted(wanted))
    for name, value in wanted.items():
        assert agrees(last_number(found[name]), float(value), decimals), (where, key, found[name], float(value))


def check_results(expected: Expected, window, where: str) -> None:
    results = window.results_panel
    found = results.verdicts
    if found is None or not results.isVisible():  # hidden, the panel catches up when shown (showEvent)
        return
    assert window.document.shown().source != "training", where
    test = found.dataset
    outputs = reference.forward(expected.layers, test.x)[-1][1]
    guesses = reference.predicted(outputs)
    matrix = reference.confusion(test.y, guesses, found.confusion.shape[0])
    shown = np.array([[cell(results.confusion, i, j) for j in range(results.confusion.columnCount())]
                      for i in range(results.confusion.rowCount())])
    np.testing.assert_array_equal(shown, matrix, err_msg=where)
    title = results.gallery_title.text()
    if test.image is None:
        assert title == "These test inputs are not images." and results.gallery.count() == 0, (where, title)
    elif results.gallery_filter is not None:
        i, j = results.gallery_filter
        assert title.startswith(f"true {test.classes[i]}, predicted {test.classes[j]}: {matrix[i, j]} image"), \
            (where, title)
        indices = [results.gallery.item(k).data(Qt.ItemDataRole.UserRole) for k in range(results.gallery.count())]
        assert indices == list(np.flatnonzero((test.y == i) & (guesses == j)))[:120], where
    else:
        wrong = int(np.count_nonzero(guesses != test.y))
        assert f"the {wrong:,} misclassified first" in title, (where, title, wrong)


def cell(table, i: int, j: int) -> int:
    item = table.item(i, j)
    return int(item.text().split(" · ")[0]) if item is not None and item.text() else 0


# ------------------------------------------------------------------ ordinary use, at random


class Session:
    """The window, a person's random choices, and the data a run may use."""

    def __init__(self, window, qtbot, tmp_path, rng) -> None:
        self.window, self.qtbot, self.tmp, self.rng = window, qtbot, tmp_path, rng
        self.digits = write_digits(tmp_path / "digits", train=300, test=100)
        self.log: list[str] = []
        self.done: set[str] = set()

    @property
    def document(self):
        return self.window.document

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def operate(self) -> None:
        net = self.document.project.network
        choice = self.pick(["weight", "weight", "bias", "input", "step", "step", "step", "back", "forward",
                            "backward", "reset", "undo", "redo", "select", "select", "example", "import",
                            "close", "resize", "dialog", "dialog", "dock", "dock", "edge_mode", "train",
                            "results"])
        if not net.layers and choice not in ("example", "import", "dialog", "dock"):
            choice = "example"
        getattr(self, f"do_{choice}")()
        self.log.append(choice)
        self.done.add(choice)
        run_queued_events()  # queued refreshes run (the tables refill after an edit), as in the app

    # edits, typed as a person types them
    def type_on_canvas(self, key: ItemKey) -> None:
        view, scene = self.window.view, self.window.scene
        if key not in scene.items_by_key:
            return
        scene.select_key(key)
        view.setFocus()
        text = self.pick(VALUES)
        self.qtbot.keyClicks(view, text[0])
        if view.editor is None:  # a letter that starts no value (never here) or a pass that refused it
            return
        self.qtbot.keyClicks(view.editor, text[1:])
        self.qtbot.keyClick(view.editor, Qt.Key.Key_Return)

    def do_weight(self) -> None:
        net = self.document.project.network
        column = int(self.rng.integers(1, len(net.layers) + 1))
        layer = net.layers[column - 1]
        self.type_on_canvas(ItemKey("edge", column, int(self.rng.integers(layer.n_out)),
                                    int(self.rng.integers(layer.n_in))))

    def do_bias(self) -> None:
        net = self.document.project.network
        column = int(self.rng.integers(1, len(net.layers) + 1))
        layer = net.layers[column - 1]
        if layer.has_bias:
            self.type_on_canvas(ItemKey("bias_edge", column, int(self.rng.integers(layer.n_out))))

    def do_input(self) -> None:
        table = self.window.io_panel.input_table
        row = int(self.rng.integers(min(table.rowCount(), 4)))
        table.setFocus()
        table.setCurrentCell(row, 1)
        self.qtbot.keyClicks(table, self.pick(VALUES))
        self.qtbot.keyClick(table.focusWidget(), Qt.Key.Key_Return)

    def do_resize(self) -> None:
        if self.document.structure_locked:
            return
        net = self.document.project.network
        column = int(self.rng.integers(0, len(net.layers) + 1))
        step = int(self.pick([-1, 1]))
        if 1 <= net.sizes[column] + step <= 5 and net.sizes[column] < 100:
            self.window.scene.select_key(ItemKey("layer", column))
            self.window.resize_selected(step)

    # stepping and history
    def trigger(self, name: str) -> None:
        action = self.window.actions_by_name[name]
        if action.isEnabled():
            action.trigger()

    def do_step(self) -> None:
        self.trigger("step")

    def do_back(self) -> None:
        self.trigger("step_back")

    def do_forward(self) -> None:
        self.trigger("run_forward")

    def do_backward(self) -> None:
        self.trigger("run_backward")

    def do_reset(self) -> None:
        self.trigger("reset_steps" if self.rng.random() < 0.5 else "stop_stepping")

    def do_undo(self) -> None:
        self.trigger("undo")

    def do_redo(self) -> None:
        self.trigger("redo")

    def do_select(self) -> None:
        net = self.document.project.network
        column = int(self.rng.integers(1, len(net.layers) + 1))
        self.window.scene.show_neuron(column, int(self.rng.integers(net.sizes[column])))

    def do_edge_mode(self) -> None:
        self.window.actions_by_name[f"edge_{self.pick(['weight', 'gradient', 'signal', 'weight'])}"].trigger()

    # files
    def do_example(self) -> None:
        if self.window.trainer.running:
            return
        self.document.mark_clean()
        self.window.open_example(self.pick(EXAMPLES))

    def do_import(self) -> None:
        project = self.document.project
        if self.window.trainer.running or not project.network.layers:
            return
        path = self.tmp / f"model-{len(self.log)}.onnx"
        export_project(project, "onnx", path)
        self.document.mark_clean()
        assert import_from(self.window, path)
        assert self.window.isWindowModified()  # an imported model is unsaved

    def do_close(self) -> None:
        if self.window.trainer.running:
            return
        self.document.mark_clean()
        self.window.actions_by_name["close"].trigger()

    # dialogs and docks: opened, then closed as a person closes them
    def do_dialog(self) -> None:
        window = self.window
        net = self.document.project.network
        which = self.pick(DIALOGS)
        dialog = None
        if which == "matrix" and net.layers:
            window.edit_matrix(int(self.rng.integers(1, len(net.layers) + 1)))
            dialog = next(iter(window.matrix_editors.values()))
        elif which == "map" and net.layers and net.input_size == 2:
            dialog = window.show_map_large(1, 0)
        elif which == "guide":
            dialog = window.show_guide()
        elif which == "shortcuts":
            dialog = window.show_shortcuts()
        elif which == "new" and not window.trainer.running:
            dialog = window.new_network()
        elif which == "rules":
            window.training_panel.rules.open()
            dialog = window.training_panel.rules
        elif which == "build" and self.document.project.samples and not window.trainer.running:
            window.build_from_samples()
            dialog = window.findChild(QDialog, "buildDialog")
        if dialog is None:
            return
        assert dialog.isVisible(), which
        self.qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        self.qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible())
        self.done.add(f"dialog {which}")

    def do_dock(self) -> None:
        dock = getattr(self.window, self.pick(DOCKS))
        dock.toggleViewAction().trigger()
        if dock.isVisible():
            dock.raise_()

    def do_results(self) -> None:
        """Look at the results: the confusion tab, a click on a cell, or all the images again."""
        window, results = self.window, self.window.results_panel
        window.results_dock.show()
        window.results_dock.raise_()
        table = results.confusion
        if table.rowCount() and self.rng.random() < 0.7:
            results.tabs.setCurrentWidget(results.confusion_page)
            i, j = int(self.rng.integers(table.rowCount())), int(self.rng.integers(table.columnCount()))
            rect = table.visualItemRect(table.item(i, j))
            self.qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            self.done.add("drill-down")
        elif results.show_all.isVisible():
            results.show_all.click()

    # training: short runs on real data, stopped or landed, then rewound
    def dataset(self) -> tuple[str, str] | None:
        net = self.document.project.network
        if net.input_size == 784:
            return "mnist", str(self.digits)
        if net.input_size == 2 and net.output_size == 1:
            return self.pick(["xor", "circles"]), ""
        return None

    def do_train(self) -> None:
        window = self.window
        chosen = self.dataset()
        if chosen is None or window.trainer.running:
            return
        if self.document.stepping.active:
            self.trigger("stop_stepping")  # a run trains the network, not a pass through it
        window.show_training()
        panel = window.training_panel
        panel.dataset.setCurrentIndex(panel.dataset.findData(chosen[0]))
        panel.source.setText(chosen[1])
        stop = self.rng.random() < 0.5
        panel.epochs.setValue(200 if stop else 2)
        panel.batch.setValue(4 if chosen[0] != "mnist" else 16)
        if not panel.pace_row.fastest.isChecked():  # a toy set: as fast as possible (the pace has tests of its own)
            panel.pace_row.fastest.click()
        with self.qtbot.waitSignal(window.trainer.ended, timeout=120000):
            panel.start_button.click()
            if stop:
                self.qtbot.waitUntil(lambda: len(panel.plot.steps) >= 1, timeout=120000)
                self.check("training (live)")
                panel.stop_button.click()
        self.qtbot.waitUntil(lambda: not window.trainer.running, timeout=60000)
        self.done.add("stopped" if stop else "landed")
        self.check("the run ended")
        if self.rng.random() < 0.6:
            self.do_results()
            self.check("the results looked at")
        if panel.rewind.isEnabled() and self.rng.random() < 0.7:
            panel.rewind.setValue(int(self.rng.integers(panel.rewind.maximum())))
            self.done.add("rewound")
            self.check(f"rewound to {panel.rewind_label.text()}")
            if self.rng.random() < 0.5 and panel.use_weights.isEnabled():
                panel.use_weights.click()
                self.done.add("rewound and kept")
            else:
                panel.rewind.setValue(panel.rewind.maximum())

    def check(self, where: str) -> None:
        run_queued_events()
        check(self.window, self.watch, f"{where} (after {self.log[-5:]})")


def test_every_number_on_screen_agrees_with_numpy_through_a_long_random_session(qtbot, make_window, tmp_path,
                                                                                    internal_error_guard):
    window = make_window("cosine-memory")
    session = Session(window, qtbot, tmp_path, np.random.default_rng(SEED))
    session.watch = internal_error_guard
    check(window, internal_error_guard, "start")
    for n in range(OPERATIONS):
        session.operate()
        check(window, internal_error_guard, f"operation {n}: {session.log[-1]} (after {session.log[-6:-1]})")
    assert len(session.log) == OPERATIONS
    print(Counter(session.log), sorted(session.done), CHECKED)
    everything = {"weight", "bias", "input", "step", "back", "undo", "redo", "example", "import", "close",
                  "dialog", "dock", "train", "stopped", "landed", "rewound", "drill-down"}
    assert everything <= session.done, sorted(everything - session.done)
    assert {f"dialog {name}" for name in DIALOGS} <= session.done, sorted(session.done)


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
    z = 3 * 5 / 6 - 2**-0.5  # neuron 1: 3·x1 + 0·x2 + b1 with x = (5/6, 1/3), b1 = −1/√2
    qtbot.waitUntil(lambda: window.step_panel.equations.toPlainText().startswith("z = 3·0.8333"))
    equations = window.step_panel.equations.toPlainText().splitlines()
    assert equations[0].startswith("z = 3·0.8333 + 0·0.3333 + (−0.7071) = ") and \
        float(equations[0].rsplit(" = ", 1)[1].replace("−", "-")) == pytest.approx(z, abs=5e-5)
    window.inspector_dock.raise_()

    def z_is_a_number() -> bool:  # the Inspector's z, once it is shown
        try:
            float(window.inspector._z.text())
        except (AttributeError, ValueError):
            return False
        return True

    qtbot.waitUntil(z_is_a_number)
    assert float(window.inspector._z.text()) == pytest.approx(z, abs=1e-12)
    assert float(window.inspector._a.text()) == pytest.approx(z, abs=1e-12)  # ReLU of a positive z
    from nnstudio.ui.canvas.hover_card import card_lines

    assert card_lines(window.document, ItemKey("edge", 1, 0, 0))[1] == "w = 3"
    item = window.scene.items_by_key[key]
    assert float(item.value_text.replace("−", "-")) == pytest.approx(z, abs=5e-4)  # the canvas: 3 digits


# ------------------------------------------------------------------ a network with maps (issue 35, point 4)

TINY_CONV = "1x5x5-c2k3-m2-3"  # 1×5×5 → conv 2×3×3 (ReLU) → max pool 2×1×1 → 3 softmax
CONV_OPERATIONS = 200
MAP_TIP = re.compile(r"channel (\d+): (z |δ = ∂L/∂z )?values from (\S+) to (\S+)$")


def tiny_conv_project(rng):
    """A tiny convolutional network with its own input and a known target, drawn from `rng`."""
    network = build_from_architecture(parse_architecture(TINY_CONV), seed=int(rng.integers(10_000)))
    target = np.zeros(3)
    target[int(rng.integers(3))] = 1.0
    return Project(network=network, loss="cce", input=np.round(rng.uniform(-1, 1, 25), 2), target=target,
                   name="tiny conv")


class ConvExpected(Expected):
    """As Expected, through maps: conv_reference's loops instead of W·a + b (tests/support/conv_reference.py)."""

    def compute(self, project, network, x, y) -> None:  # type: ignore[no-untyped-def]
        self.specs = conv_reference.describe(network)
        self.x = project.network_input(x)
        self.raw = np.asarray(x, float).reshape(-1)
        self.layers = [(s["W"], s["b"], s["activation"]) if s["kind"] == "dense" else None for s in self.specs]
        self.passes, self.deltas = conv_reference.backward(self.specs, self.x, y, project.loss)
        self.loss = reference.loss(project.loss, self.passes[-1][1], np.asarray(y, float))
        self.grad_kernels = {i: conv_reference.kernel_gradient(s, self.deltas[i], self.a_before(i))
                             for i, s in enumerate(self.specs) if s["kind"] == "conv"}

    def a_before(self, layer: int) -> np.ndarray:
        return self.x if layer == 0 else self.passes[layer - 1][1]

    def seen(self, layer: int) -> set[str]:
        """What the pass has revealed of `layer`: z, a, δ (everything but δ when not stepping)."""
        if not self.stepping:
            return {"z", "a"}
        return {name for name, seen in (("z", self.z_seen), ("a", self.a_seen), ("δ", self.delta_seen))
                if layer in seen}

    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.specs[0]["in_shape"])


def check_conv(window, watch, where: str) -> None:
    """check(), through maps: the readout, the dense labels, the Step dock (neuron or pixel), the map tiles and
    the Inspector's kernel cells, each against ConvExpected."""
    assert watch.summaries() == [], (where, watch.summaries())
    boxes = [b.text() for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert not any("did not expect" in text for text in boxes), (where, boxes)
    expected = ConvExpected(window.document)
    canvas = window.scene.output_text.text if window.scene.output_text is not None else ""
    check_output(expected, window.io_panel.output_label.text(), window.output_status.text(), canvas, window, where)
    check_canvas(expected, window, where)
    key = window.step_panel.key
    if key is not None and key.kind == "pixel":
        CHECKED["pixel detail"] += 1
        check_pixel_detail(expected, window, key, where)
    else:
        check_step_dock(expected, window, where)
    check_map_tiles(expected, window, where)
    check_kernel_cells(expected, window, where)
    check_inspector_values(expected, window, where)
    plan = window.document.stepping.plan
    if plan is not None and plan.step.layer >= 0 and expected.specs[plan.step.layer]["kind"] != "dense":
        assert "W·a" not in window.step_panel.step_label.text(), (where, window.step_panel.step_label.text())


def check_pixel_detail(expected: ConvExpected, window, key: ItemKey, where: str) -> None:
    """The Step dock's detail of a map pixel: partial sums per channel, z, a, δ; a pool's first maximum."""
    decimals = window.step_panel.digits.value() + 1
    lines = window.step_panel.equations.toPlainText().splitlines()
    found = {line.split(" = ")[0]: line for line in lines if line[:2] in ("z ", "a ", "δ ")}
    if key.column == 0:
        shape = expected.input_shape()
        value = expected.raw[(key.channel * shape[1] + key.row) * shape[2] + key.col]
        assert agrees(lines[1].split(" = ")[1], float(value), decimals), (where, key, lines[:3])
        return
    layer, spec = key.column - 1, expected.specs[key.column - 1]
    z_all, a_all = expected.passes[layer]
    _, height, width = out_shape(expected, layer)
    index = (key.channel * height + key.row) * width + key.col
    seen = expected.seen(layer)
    wanted = {"z": z_all[index], "a": a_all[index]} | ({"δ": expected.deltas[layer][index]} if "δ" in seen else {})
    wanted = {name: value for name, value in wanted.items() if name in seen}
    assert set(found) == set(wanted), (where, key, lines, sorted(wanted))
    for name, value in wanted.items():
        assert agrees(last_number(found[name]), float(value), decimals), (where, key, found[name], float(value))
        CHECKED[f"pixel {name}"] += 1
    before = expected.a_before(layer).reshape(spec["in_shape"])
    if spec["kind"] == "conv" and "z" in seen:
        k, s, p = spec["K"].shape[2], spec["stride"], spec["pad"]
        padded = np.pad(before, ((0, 0), (p, p), (p, p)))
        cells = padded[:, key.row * s:key.row * s + k, key.col * s:key.col * s + k]
        partials = [float(np.sum(spec["K"][key.channel, c] * cells[c])) for c in range(before.shape[0])]
        shown = [line.rsplit(" = ", 1)[1] for line in lines if line.startswith("  channel ")]
        assert len(shown) == len(partials) and all(agrees(t, v, decimals) for t, v in zip(shown, partials)), \
            (where, key, shown, partials)
    if spec["kind"] == "pool" and spec["type"] == "max" and "z" in seen:
        size, s = spec["size"], spec["stride"]
        cells = before[key.channel, key.row * s:key.row * s + size, key.col * s:key.col * s + size]
        u, v = divmod(int(np.argmax(cells)), size)
        assert f"the first maximum: window cell (row {u + 1}, column {v + 1}), pixel (row {key.row * s + u + 1}, " \
               f"column {key.col * s + v + 1}) of the map before" in lines, (where, key, lines)


def out_shape(expected: ConvExpected, layer: int) -> tuple[int, int, int]:
    """(C, H, W) of layer `layer`'s output maps, worked out from its spec (cross-correlation, floor)."""
    spec = expected.specs[layer]
    channels, height, width = spec["in_shape"]
    if spec["kind"] == "conv":
        k, s, p = spec["K"].shape[2], spec["stride"], spec["pad"]
        return spec["K"].shape[0], (height + 2 * p - k) // s + 1, (width + 2 * p - k) // s + 1
    size, s = spec["size"], spec["stride"]
    return channels, (height - size) // s + 1, (width - size) // s + 1


def check_map_tiles(expected: ConvExpected, window, where: str) -> None:
    """Each tile's tooltip names what its map shows (x, z, a or δ) and its smallest and largest value."""
    for tile in window.scene.maps.tiles:
        tip = tile.toolTip()
        column, channel = tile.column, tile.channel
        if column == 0:
            shape = expected.input_shape()
            values, kind = expected.raw.reshape(shape)[channel], ""
        else:
            layer = column - 1
            seen = expected.seen(layer)
            flat = expected.deltas[layer] if "δ" in seen else expected.passes[layer][1] if "a" in seen else \
                expected.passes[layer][0] if "z" in seen else None
            if flat is None:
                assert tip.endswith("no values"), (where, column, channel, tip)
                continue
            kind = "δ = ∂L/∂z " if "δ" in seen else "z " if "a" not in seen else ""
            values = flat.reshape(out_shape(expected, layer))[channel]
        match = MAP_TIP.search(tip)
        assert match is not None and int(match.group(1)) == channel + 1 and (match.group(2) or "") == kind, \
            (where, column, channel, tip, kind)
        low, high = read(match.group(3)), read(match.group(4))
        assert math.isclose(low, float(np.min(values)), rel_tol=1e-9, abs_tol=1e-12) and \
            math.isclose(high, float(np.max(values)), rel_tol=1e-9, abs_tol=1e-12), (where, column, channel, tip)
        CHECKED["map tiles"] += 1


def check_kernel_cells(expected: ConvExpected, window, where: str) -> None:
    """The Inspector's kernel grids (a conv pixel selected): w, ∂L/∂w or old → new in each cell's tooltip."""
    key = window.inspector.key
    if key is None or key.kind != "pixel" or key.column == 0 or expected.specs[key.column - 1]["kind"] != "conv" \
            or not window.inspector_dock.isVisible():
        return
    layer = key.column - 1
    grids = [grid for grid in window.inspector.findChildren(KernelGrid) if grid.isVisibleTo(window.inspector)]
    kernel = expected.specs[layer]["K"][key.channel]
    for channel, grid in enumerate(grids):
        model = grid.model()
        for r in range(model.rowCount()):
            for c in range(model.columnCount()):
                tip = model.data(model.index(r, c), Qt.ItemDataRole.ToolTipRole).split(": ", 1)[1]
                if tip.startswith("old "):
                    old, new = (read(part.split()[-1]) for part in tip.split(" → "))
                    assert expected.stepping and expected.updated and old == kernel[channel, r, c], (where, tip)
                    grad = expected.grad_kernels[layer][key.channel, channel, r, c]
                    if window.document.project.optimizer.name == "sgd":
                        assert math.isclose(new, kernel[channel, r, c] - expected.rate * grad, rel_tol=1e-9,
                                            abs_tol=1e-12), (where, tip)
                elif tip.startswith("∂L/∂w"):
                    assert expected.stepping and layer in expected.gradients_seen, (where, tip)
                    assert math.isclose(read(tip.split(" = ")[-1]), expected.grad_kernels[layer][key.channel, channel, r, c],
                                        rel_tol=1e-9, abs_tol=1e-12), (where, tip)
                elif tip != "?":
                    assert read(tip.split(" = ")[-1]) == kernel[channel, r, c], (where, key, r, c, tip)
                CHECKED["kernel cells"] += 1
                CHECKED["kernel " + ("old → new" if tip.startswith("old ") else tip.split(" = ")[0])] += 1


def check_inspector_values(expected: ConvExpected, window, where: str) -> None:
    """The Inspector's z and a of a selected dense neuron after the maps, in full, or "?" before the pass."""
    inspector = window.inspector
    key, labels = inspector.key, {"z": inspector._z, "a": inspector._a}
    if key is None or key.kind != "neuron" or key.column == 0 or any(
            label is None or not shiboken6.isValid(label) for label in labels.values()):
        return
    layer = key.column - 1
    seen = expected.seen(layer)
    for name, label in labels.items():
        if name in seen:
            value = expected.passes[layer][0 if name == "z" else 1][key.row]
            assert math.isclose(read(label.text()), float(value), rel_tol=1e-9, abs_tol=1e-12), (where, key, name)
            CHECKED[f"inspector {name}"] += 1
        else:
            assert label.text().startswith("?"), (where, key, name, label.text())


class ConvSession(Session):
    """Ordinary use of a network with maps: steps and back, undo, kernel and weight edits, pixels selected."""

    def operate(self) -> None:
        choice = self.pick(["kernel", "kernel", "kernel_bias", "weight", "input", "step", "step", "step", "back",
                            "forward", "backward", "update", "reset", "undo", "redo", "select", "select", "select",
                            "example", "edge_mode", "dock", "digits"])
        getattr(self, f"do_{choice}")()
        self.log.append(choice)
        self.done.add(choice)
        run_queued_events()

    def conv_columns(self) -> list[int]:
        return [i + 1 for i, layer in enumerate(self.document.project.network.layers) if hasattr(layer, "kernel")]

    def do_kernel(self) -> None:
        column = self.pick(self.conv_columns())
        layer = self.document.project.network.layers[column - 1]
        k = layer.k
        cell = [int(self.rng.integers(n)) for n in (layer.channels, layer.in_shape[0], k, k)]
        self.document.apply(set_kernel_block(self.document.project, column, *cell, [[self.pick(VALUES)]]),
                            "Set kernel cell", "values")

    def do_kernel_bias(self) -> None:
        column = self.pick(self.conv_columns())
        layer = self.document.project.network.layers[column - 1]
        if layer.bias is not None:
            self.document.apply(set_kernel_bias(self.document.project, column, int(self.rng.integers(layer.channels)),
                                                self.pick(VALUES)), "Set kernel bias", "values")

    def do_weight(self) -> None:
        net = self.document.project.network
        dense = [i + 1 for i, layer in enumerate(net.layers) if hasattr(layer, "weights")]
        column = self.pick(dense)
        layer = net.layers[column - 1]
        if self.rng.random() < 0.3 and layer.has_bias:
            self.type_on_canvas(ItemKey("bias_edge", column, int(self.rng.integers(layer.n_out))))
        else:
            self.type_on_canvas(ItemKey("edge", column, int(self.rng.integers(layer.n_out)),
                                        int(self.rng.integers(layer.n_in))))

    def do_select(self) -> None:
        net = self.document.project.network
        spatial = len(self.conv_columns()) + sum(1 for layer in net.layers if hasattr(layer, "size"))
        column = int(self.rng.integers(0, len(net.layers) + 1))
        if column <= spatial:
            shape = net.input_shape if column == 0 else net.layers[column - 1].out_shape
            key = ItemKey("pixel", column, int(self.rng.integers(shape[1])), int(self.rng.integers(shape[2])),
                          channel=int(self.rng.integers(shape[0])))
        else:
            key = ItemKey("neuron", column, int(self.rng.integers(net.sizes[column])))
        self.window.scene.select_key(key)
        dock = self.window.inspector_dock if self.rng.random() < 0.5 else self.window.step_dock
        dock.show()
        dock.raise_()

    def do_example(self) -> None:
        self.document.mark_clean()
        if self.rng.random() < 0.5:
            self.window.open_example("conv-4x4")
        else:
            self.document.new_project(tiny_conv_project(self.rng))

    def do_edge_mode(self) -> None:  # the Inspector's kernel cells follow it: ∂L/∂w as often as w
        self.window.actions_by_name[f"edge_{self.pick(['weight', 'gradient', 'gradient', 'signal'])}"].trigger()

    def do_update(self) -> None:
        """To the end of the backward pass, then the update's old → new."""
        self.trigger("run_backward")
        self.trigger("step")

    def do_digits(self) -> None:
        self.window.step_panel.digits.setValue(int(self.rng.integers(1, 6)))

    def check(self, where: str) -> None:
        run_queued_events()
        check_conv(self.window, self.watch, f"{where} (after {self.log[-5:]})")


def test_a_convolutional_network_agrees_with_numpy_through_a_random_session(qtbot, make_window, tmp_path,
                                                                            internal_error_guard):
    """The one-truth rule through maps: a tiny conv network and conv-4x4, stepped, stepped back, undone,
    kernels and weights edited, map pixels and neurons selected — the Step dock's pixel detail, the map tiles,
    the dense labels, the readout and the Inspector's kernel cells against plain numpy loops at every moment."""
    window = make_window("conv-4x4")
    rng = np.random.default_rng(SEED + 35)
    window.document.new_project(tiny_conv_project(rng))
    session = ConvSession(window, qtbot, tmp_path, rng)
    session.watch = internal_error_guard
    check_conv(window, internal_error_guard, "start")
    for n in range(CONV_OPERATIONS):
        session.operate()
        check_conv(window, internal_error_guard, f"operation {n}: {session.log[-1]} (after {session.log[-6:-1]})")
    # And once on purpose, whatever the dice said: a kernel's ∂L/∂w and its update in the Inspector, a pixel's δ.
    window.actions_by_name["stop_stepping"].trigger()
    window.document.new_project(tiny_conv_project(rng))
    window.actions_by_name["edge_gradient"].trigger()
    for key in (ItemKey("pixel", 1, 1, 2, channel=1), ItemKey("pixel", 2, 0, 0, channel=1)):
        window.scene.select_key(key)
        dock = window.inspector_dock if key.column == 1 else window.step_dock
        dock.show()  # (the dice may have closed it)
        dock.raise_()
        for name in ("step", "run_backward", "step", "step_back", "step_back", "reset_steps"):
            session.trigger(name)
            session.log.append(name)
            session.check(f"on purpose: {name} with {key}")
    print(Counter(session.log), sorted(session.done), CHECKED)
    assert {"kernel", "kernel_bias", "weight", "step", "back", "backward", "undo", "redo", "select",
            "example"} <= session.done, sorted(session.done)
    assert min(CHECKED[name] for name in ("pixel z", "pixel a", "pixel δ", "kernel w", "kernel ∂L/∂w",
                                          "kernel old → new", "inspector z")) > 0 and CHECKED["map tiles"] >= 100, CHECKED
