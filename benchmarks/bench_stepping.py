"""Stepping and opening in the real window, timed as a person feels them, printed as figures.

    python benchmarks/bench_stepping.py [--steps 60]

Runs the main window offscreen at 1280×800. For each network (the mnist-mlp example, 784-128-10,
a 784-256-128-10 MLP with a 28×28 image input, and the lenet example, a convolutional network drawn as maps:
1×28×28 → c6k5p2 → m2 → c16k5 → m2 → 120 → 84 → 10) it measures:

- one step: pressing Step (the action) until every posted event and the repaint are done, over a
  whole pass (forward, loss, backward, update) and again — p50, p99 and max;
- applying the update alone (the UPDATE step): p50 and p99;
- opening the network into the window (document, canvas, docks, first paint);
- a full repaint of the window.

Targets (issue 14): a step p99 < 50 ms on mnist-mlp and < 100 ms on 784-256-128-10; opening
784-256-128-10 < 300 ms; a full repaint < 30 ms. Issue 35, for LeNet: a step (and the update) p99 < 100 ms,
opening < 300 ms. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from offscreen import application  # noqa: E402  (benchmarks/offscreen.py: sets QT_QPA_PLATFORM before Qt loads)

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from nnstudio.core import build_network  # noqa: E402
from nnstudio.core.project import Project  # noqa: E402
from nnstudio.document import Document  # noqa: E402
from nnstudio.core.stepper import Phase  # noqa: E402
from nnstudio.io import load_example  # noqa: E402
from nnstudio.ui.window.main_window import MainWindow  # noqa: E402


def settle(app: QApplication) -> None:
    """Every posted event handled and the window painted, as after a key press."""
    app.processEvents()
    app.processEvents()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def measure(app: QApplication, name: str, project: Project, steps: int, folder: Path) -> None:
    settings = QSettings(str(folder / f"{name}.ini"), QSettings.Format.IniFormat)
    start = time.perf_counter()
    window = MainWindow(Document(project), settings)
    window.resize(1280, 800)
    window.show()
    window.repaint()
    settle(app)
    opened = time.perf_counter() - start

    step_times, update_times = [], []
    for _ in range(steps):
        begin = time.perf_counter()
        window.step()
        settle(app)
        window.repaint()
        elapsed = time.perf_counter() - begin
        step_times.append(elapsed)
        plan = window.document.stepping.plan
        if plan is not None and plan.step.phase == Phase.UPDATE:
            update_times.append(elapsed)
            window.document.stepping.reset()  # start the pass again from the restored network
            settle(app)
    repaints = []
    for _ in range(20):
        begin = time.perf_counter()
        window.repaint()
        repaints.append(time.perf_counter() - begin)
    update = (f"p50 {statistics.median(update_times) * 1e3:4.0f} ms  p99 {percentile(update_times, 99) * 1e3:4.0f} ms"
              if update_times else "     —")
    print(f"{name:22s} open {opened * 1e3:6.0f} ms | step p50 {statistics.median(step_times) * 1e3:5.0f} ms  "
          f"p99 {percentile(step_times, 99) * 1e3:5.0f} ms  max {max(step_times) * 1e3:5.0f} ms "
          f"({len(step_times)} steps) | update {update} | full repaint {statistics.median(repaints) * 1e3:5.1f} ms",
          flush=True)
    window.document.mark_clean()
    window.close()
    settle(app)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    app = application()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        measure(app, "mnist-mlp (784-128-10)", load_example("mnist-mlp"), args.steps, folder)
        big = build_network([784, 256, 128, 10], ["relu", "relu", "softmax"], "he", seed=0)
        reference = load_example("mnist-mlp")
        project = Project(big, loss="cce", input_image=(28, 28), input=reference.input,
                          target=reference.target)  # a target, so the pass runs through the loss to the update
        measure(app, "784-256-128-10", project, args.steps, folder)
        measure(app, "lenet (conv, maps)", load_example("lenet"), args.steps, folder)


if __name__ == "__main__":
    main()
