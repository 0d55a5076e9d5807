"""The window on a network without a target: the loss reads "—" in the readout and the status bar, the
target column shows "—", a pass stops before the loss saying what to do, and typing a target scores it."""

import math

from PySide6.QtCore import Qt

from nnstudio.core.blueprint import Blueprint, build_project
from nnstudio.core.project import NO_TARGET


def _target_cells(panel) -> list[str | None]:
    items = [panel.target_table.item(row, 1) for row in range(panel.target_table.rowCount())]
    return [None if item is None else item.text() for item in items]


def test_a_new_network_shows_a_dash_for_the_loss_until_a_target_is_typed(qtbot, make_window):
    window = make_window()
    window.document.new_project(build_project(Blueprint((2, 3), ("softmax",), seed=1)))
    panel = window.io_panel
    assert panel.loss_label.text() == f"loss (cce) = —  ({NO_TARGET})"
    assert window.output_status.text().endswith("loss —")
    qtbot.waitUntil(lambda: _target_cells(panel) == ["—"] * 3)  # the tables refill after the edit has finished
    window.view.setFocus()
    for _ in range(4):
        qtbot.keyClick(window.view, Qt.Key.Key_F10)  # Step, past the end of the forward pass
    assert window.document.stepping.plan.at_end() and window.document.stepping.plan.stopped == NO_TARGET
    assert NO_TARGET in window.step_panel.step_label.text()
    assert window.output_status.text().endswith("loss —")
    panel.target_table.item(1, 1).setText("1")  # typed into the table: [0, 1, 0]
    assert window.document.project.target_known
    qtbot.waitUntil(lambda: _target_cells(panel) == ["0", "1", "0"])
    plan = window.document.stepping.plan  # the pass starts again from the new target, and now reaches the loss
    for _ in range(3):
        qtbot.keyClick(window.view, Qt.Key.Key_F10)
    assert plan.step.phase.value == "loss" and plan.stopped is None
    p1 = float(window.document.trace.output[1])
    shown = float(panel.loss_label.text().split(" = ")[1])
    assert math.isclose(shown, -math.log(p1), rel_tol=1e-5)
    assert "loss —" not in window.output_status.text()
