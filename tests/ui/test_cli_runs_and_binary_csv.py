"""A run `nnstudio train` recorded shows in the window's Runs view; a CSV of 0/1 targets trains in the
window as two classes, scored by accuracy."""

import re
import subprocess
import sys

import pytest

from nnstudio.core import build_network
from nnstudio.core.project import Project
from nnstudio.io import save_project
from tests.ui.helpers import run_landed, shown_training_window


def zero_one_csv(path):
    """A 2-input table whose target (1 inside the unit disc's inner half, else 0) is written as 0 and 1."""
    rows = [(round(-1 + 2 * ((7 * i) % 41) / 40, 3), round(-1 + 2 * ((11 * i) % 37) / 36, 3)) for i in range(200)]
    path.write_text("x1,x2,inside\n" + "".join(f"{a},{b},{int(a * a + b * b < 0.5)}\n" for a, b in rows))
    return path


def one_sigmoid_project():
    return Project(build_network([2, 6, 1], ["tanh", "sigmoid"], "xavier", seed=0), loss="bce")


def test_a_run_recorded_by_the_command_is_listed_in_the_runs_view_with_its_test_losses(make_window, tmp_path):
    data, start, out = zero_one_csv(tmp_path / "disc.csv"), tmp_path / "start.nnstudio", tmp_path / "cli.nnstudio"
    save_project(one_sigmoid_project(), start)
    trained = subprocess.run([sys.executable, "-m", "nnstudio", "train", str(start), "--dataset", str(data),
                              "--epochs", "3", "--batch-size", "10", "--lr", "0.5", "--out", str(out), "--quiet"],
                             capture_output=True, text=True, timeout=300)
    assert trained.returncode == 0, trained.stderr
    printed = [float(m[1]) for m in re.finditer(r"test loss (\S+)", trained.stdout)]  # what the command said
    assert len(printed) == 3

    window = make_window()
    assert window.open_path(out, ask=False)
    view = window.results_panel.runs
    assert view.list.count() == 1 and view.ticked() == [0]
    assert view.list.item(0).text().startswith(f"1. {data} · sgd lr 0.5 · batch 10 · 3 epochs · test accuracy ")
    epochs, losses = view.curves[0].getData()
    assert list(epochs) == [1, 2, 3] and list(losses) == pytest.approx(printed, abs=5e-5)


def test_the_window_scores_a_one_sigmoid_network_on_zero_one_targets_by_accuracy(qtbot, settings, tmp_path):
    data = zero_one_csv(tmp_path / "disc.csv")
    window, panel = shown_training_window(qtbot, settings, project=one_sigmoid_project(), dataset="csv", epochs=3,
                                            batch=10, learning_rate="0.5")
    panel.source.setText(str(data))
    panel.start_button.click()
    qtbot.waitUntil(lambda: run_landed(window), timeout=20000)
    last = window.trainer.epochs[-1]
    assert last.test_accuracy is not None
    assert panel.status.text().endswith(f"test accuracy {last.test_accuracy:.2%}")
    matrix = window.results_panel.confusion  # two classes, 0 and 1: the matrix of the 50 held-out rows
    assert matrix.rowCount() == matrix.columnCount() == 2
    assert [matrix.verticalHeaderItem(i).text() for i in range(2)] == ["0", "1"]
    assert window.document.project.runs[-1].final_accuracy == last.test_accuracy
