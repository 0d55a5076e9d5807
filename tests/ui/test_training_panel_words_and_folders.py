"""The Training panel at 1280×800: the message a run ends with is whole on its line (the details in its
tooltip), and the data field's "…" dialog starts where the person's data is."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton

from nnstudio.document import Document
from nnstudio.io import load_example
from nnstudio.ui.panels.training.ending_words import ending_words
from nnstudio.ui.panels.training.training_panel import TrainingPanel
from nnstudio.ui.workers.training_worker import TrainingController
from tests.ui.helpers import run_landed


def shown_whole(label: QLabel) -> bool:
    """All of the label's text is on screen: one line as wide as the label at most, within its height."""
    one_line = label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
    return one_line and label.heightForWidth(label.width()) <= label.height()


@pytest.mark.parametrize("target_accuracy, words", [(0.0, "finished"), (1.0, "stopped early after")])
def test_the_message_a_short_run_ends_with_is_whole_at_1280x800(qtbot, make_window, target_accuracy, words):
    window = make_window("xor")
    window.actions_by_name["train"].trigger()
    panel = window.training_panel
    panel.epochs.setValue(1 if not target_accuracy else 30)
    panel.target_accuracy.setValue(target_accuracy)  # 1 %: a stop rule ends the run after its first epoch
    panel.pace_row.fastest.click()  # not about the pace: as fast as possible
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=30000)
    window.training_dock.raise_()  # the results come up when a run ends
    qtbot.waitUntil(panel.status.isVisible)
    status = panel.status
    assert re.fullmatch(rf"{words} 1 epoch in \d+\.\d s: test accuracy \d+\.\d\d%", status.text()), status.text()
    assert shown_whole(status), (status.text(), status.geometry())
    assert (window.width(), window.height()) == (1280, 800)  # the dock did not grow the window
    assert status.toolTip().startswith(status.text() + ".")
    assert status.toolTip().endswith("Undo restores the untrained network.")
    if target_accuracy:
        assert "\nStopped: reached the target test accuracy 1.00% at epoch 1" in status.toolTip()


def epoch(accuracy: float | None, loss: float = 0.25) -> SimpleNamespace:
    return SimpleNamespace(test_accuracy=accuracy, test_loss=loss)


def test_the_line_says_how_the_run_ended_and_the_tooltip_the_rest():
    # epochs_done counts the epochs (TrainingResult's; `epochs` is thinned on a long run)
    ruled = SimpleNamespace(stopped=False, epochs=[epoch(0.5)] * 3, epochs_done=3, seconds=1.5, best_epoch=2,
                            stop_reason="the test loss has not improved for 1 epoch (best 0.2 at epoch 2)")
    line, details = ending_words(ruled)
    assert line == "stopped early after 3 epochs in 1.5 s: test accuracy 50.00%"
    assert details.splitlines() == [f"{line}.", f"Stopped: {ruled.stop_reason}.",
                                    "Kept epoch 2's parameters (the best test loss).",
                                    "Undo restores the untrained network."]
    regression = SimpleNamespace(stopped=False, epochs=[epoch(None, 0.0123)], epochs_done=1, seconds=0.04, best_epoch=None,
                                 stop_reason=None)
    assert ending_words(regression)[0] == "finished 1 epoch in 0.0 s: test loss 0.0123"
    stopped = SimpleNamespace(stopped=True, epochs=[epoch(0.5)] * 2, epochs_done=2, seconds=3.0, best_epoch=None,
                              stop_reason=None)
    line, details = ending_words(stopped)
    assert line == "stopped after 2 epochs: the network so far is in the document"
    assert details.endswith("Undo restores the network from before the run.")


# ------------------------------------------------------------------ the "…" button of the Data field

@pytest.fixture
def dialogs(monkeypatch):
    """Records where each file dialog was asked to start, and answers with `answer[0]` (\"\": cancelled)."""
    calls: list[tuple[str, str]] = []
    answer = [""]

    def folder(parent, caption="", start="", *args):
        calls.append(("folder", start))
        return answer[0]

    def file(parent, caption="", start="", *args):
        calls.append(("file", start))
        return answer[0], ""

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(folder))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(file))
    return SimpleNamespace(calls=calls, answer=answer)


def panel_with_folders(qtbot, last: Path, kept: list[str]) -> TrainingPanel:
    document = Document(load_example("mnist-mlp"))
    panel = TrainingPanel(document, TrainingController(document), folders=lambda: str(last), remember=kept.append)
    qtbot.addWidget(panel)
    return panel


def test_the_folder_dialog_starts_in_the_typed_folder_else_the_last_one_used(qtbot, tmp_path, dialogs):
    last, typed = tmp_path / "last used", tmp_path / "data" / "mnist"
    last.mkdir()
    typed.mkdir(parents=True)
    kept: list[str] = []
    panel = panel_with_folders(qtbot, last, kept)
    browse = panel.findChild(QPushButton, "browseSource")
    panel.dataset.setCurrentIndex(panel.dataset.findData("mnist"))

    panel.source.setText("")
    browse.click()  # nothing typed: the folder last used
    panel.source.setText(str(tmp_path / "no such folder"))
    browse.click()  # a folder that is not there: the folder last used
    panel.source.setText(f"  {typed}  ")
    browse.click()  # the folder typed
    assert dialogs.calls == [("folder", str(last)), ("folder", str(last)), ("folder", str(typed))]
    assert kept == [] and panel.source.text() == f"  {typed}  "  # cancelled: nothing changes

    dialogs.answer[0] = str(typed)
    panel.source.setText("")
    browse.click()
    assert panel.source.text() == str(typed) and kept == [str(typed)]  # the window hears of the folder chosen


def test_the_csv_dialog_starts_at_the_typed_file_else_the_last_folder(qtbot, tmp_path, dialogs):
    last = tmp_path / "last used"
    last.mkdir()
    table = tmp_path / "tables" / "points.csv"
    table.parent.mkdir()
    table.write_text("x1,x2,y\n0,0,0\n")
    kept: list[str] = []
    panel = panel_with_folders(qtbot, last, kept)
    browse = panel.findChild(QPushButton, "browseSource")
    panel.dataset.setCurrentIndex(panel.dataset.findData("csv"))
    panel.source.setText(str(table))
    browse.click()  # the file typed, shown chosen in its folder
    panel.source.setText(str(table.parent))
    browse.click()  # a folder typed
    panel.source.setText("")
    browse.click()
    assert dialogs.calls == [("file", str(table)), ("file", str(table.parent)), ("file", str(last))]
    panel.dataset.setCurrentIndex(panel.dataset.findData("mnist"))
    panel.source.setText(str(table))
    browse.click()  # a file typed, a folder wanted: the file's folder
    assert dialogs.calls[-1] == ("folder", str(table.parent))


def test_without_a_last_folder_the_dialog_starts_where_it_always_did(qtbot, dialogs):
    document = Document(load_example("mnist-mlp"))
    panel = TrainingPanel(document, TrainingController(document))
    qtbot.addWidget(panel)
    panel.source.setText("")
    panel.findChild(QPushButton, "browseSource").click()
    assert dialogs.calls == [("folder", "")]  # Qt's own start: the working or home folder
