"""UI responsiveness while training at full speed in the window, printed as figures.

    python benchmarks/bench_ui_latency.py [--data PATH_TO_MNIST_FOLDER] [--batch 32 1] [--seconds 8] [--rounds 3]

Runs the real main window offscreen on `mnist-mlp` (784-128-10), starts training
through the Training panel on MNIST-sized data (the MNIST files in --data, by
default ../shared/data/mnist-sample beside the checkout; missing files are an
error, never replaced by random images), and measures the UI
thread's event-loop delay: a timer asks to fire every 10 ms and we record how
late each tick is (median, p99, max). It then trains the same network on the
same data headless and compares samples/s. The two alternate for --rounds rounds (a
slow spell on a shared machine then hits both); the figures are medians over rounds,
the cost the median of each round's own ratio. Targets: p99 < 30 ms, max < 100 ms,
the window costing < 10 % of throughput at batch 32 and < 25 % at batch 1. --scenes picks what
is on screen: the memories (default), the unit grid, or neuron maps on a two-input network (trained as fast
as possible). --paced instead trains the xor example at the panel's default pace (a toy set is watched) and
prints the canvas updates a second the window received and the event-loop delay.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from offscreen import application  # noqa: E402  (benchmarks/offscreen.py: sets QT_QPA_PLATFORM before Qt loads)

from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer  # noqa: E402

from nnstudio.core import OptimizerConfig  # noqa: E402
from nnstudio.core.blueprint import Blueprint, build_project  # noqa: E402
from nnstudio.core.project import Project  # noqa: E402
from nnstudio.data.named import load_named  # noqa: E402
from nnstudio.data.image_sets import load_image_set  # noqa: E402
from nnstudio.document import Document  # noqa: E402
from nnstudio.io import load_example  # noqa: E402
from nnstudio.training import TrainingConfig, drive, train  # noqa: E402
from nnstudio.ui.lifetimes import listen  # noqa: E402
from nnstudio.ui.window.main_window import MainWindow  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-sample"
TICK_MS = 10


def data_folder(given: Path, scratch: Path) -> Path:
    """The MNIST folder to train on; missing data is an error, never a silent stand-in."""
    if (given / "train-images-idx3-ubyte.gz").is_file():
        return given
    raise SystemExit(f"bench_ui_latency: no MNIST files in {given}; give --data FOLDER with the four MNIST files")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class TickDelays:
    """A timer that asks to fire every TICK_MS; while `measuring`, how late each tick came (ms) is kept."""

    def __init__(self, measuring: bool = True) -> None:
        self.delays: list[float] = []
        self.measuring = measuring
        self.clock = QElapsedTimer()
        self.last = 0
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        now = self.clock.elapsed()
        if self.measuring:
            self.delays.append(max(0.0, now - self.last - TICK_MS))
        self.last = now

    def start_measuring(self) -> None:
        self.measuring, self.last = True, self.clock.elapsed()


SCENES = {
    # what is on screen while training, all of it drawn live
    "memories": "mnist-mlp on MNIST, the Memory view's 28×28 memories raised",
    "units": "mnist-mlp on MNIST, Results → Units (the unit grid) raised",
    "maps": "a 2-16-16-1 network on circles, every neuron's map on the canvas and the output's map large",
}


def scene_project(scene: str) -> Project:
    if scene == "maps":
        return build_project(Blueprint.simple("2-16-16-1", "tanh", "sigmoid", init="xavier", seed=0))
    return load_example("mnist-mlp")


def in_window(folder: Path, batch: int, seconds: float, scene: str = "memories") -> tuple[list[float], float]:
    app = application()
    settings = QSettings(str(folder / "bench-settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(scene_project(scene)), settings)
    window.resize(1280, 800)
    window.show()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("circles" if scene == "maps" else "mnist"))
    panel.source.setText("" if scene == "maps" else str(folder))
    panel.epochs.setValue(100000 if scene == "maps" else 1000)
    panel.batch.setValue(batch)
    panel.learning_rate.setText("0.05")
    if not panel.pace_row.fastest.isChecked():  # a toy set is paced to be watched: here, full speed
        panel.pace_row.fastest.click()
    if scene == "memories":
        window.memory_dock.raise_()  # the 28×28 memories are drawn live: part of what we measure
    elif scene == "units":
        window.results_dock.show()
        window.results_dock.raise_()
        window.results_panel.tabs.setCurrentWidget(window.results_panel.units)
    else:
        window.show_map_large(3, 0)  # the output's map, large, beside the canvas's small ones
    ticks = TickDelays(measuring=False)
    panel.start_button.click()
    rates: list[float] = []
    # Epoch rates, as the headless figure is taken (a step record's rate covers part of an epoch, its
    # start included: for a toy set's sub-millisecond epochs that alone read 40 % lower).
    window.trainer.worker.epochs_finished.connect(
        lambda records: rates.extend(r.samples_per_second for r in records) if ticks.measuring else None)
    # The event loop runs as in the app (QEventLoop.exec, asleep in Qt between events), not as a
    # Python loop around processEvents: such a loop wakes a thousand times a second, each time
    # taking the GIL from the trainer, and measured mostly itself (the "window costs" figure).
    loop = QEventLoop()
    deadline = time.perf_counter() + 60
    waiting = QTimer()
    waiting.setInterval(20)
    waiting.timeout.connect(lambda: loop.quit() if panel.plot.steps or time.perf_counter() > deadline else None)
    waiting.start()
    loop.exec()  # until data is loaded and steps arrive
    waiting.stop()
    ticks.start_measuring()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    ticks.measuring = False
    speed = statistics.median(rates[len(rates) // 2:]) if rates else float("nan")  # settled rates
    window.trainer.stop(wait=True)
    ticks.timer.stop()
    window.document.mark_clean()
    window.close()
    app.processEvents()
    return ticks.delays, speed


def paced_xor(seconds: float) -> None:
    """The xor example trained at the Training panel's default pace, as a learner watches it: the pace the panel
    set, the canvas updates the window received a second (the live previews), and the event-loop delay."""
    app = application()
    with tempfile.TemporaryDirectory() as scratch:
        settings = QSettings(str(Path(scratch) / "bench-settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(Document(load_example("xor")), settings)
        window.resize(1280, 800)
        window.show()
        window.show_training()
        panel = window.training_panel
        panel.epochs.setValue(300)
        panel.batch.setValue(4)
        pace = panel.pace_row.pace()
        updates: list[float] = []
        listen(window, window.document.preview_changed, lambda *_: updates.append(time.perf_counter()))
        ticks = TickDelays()
        panel.start_button.click()
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        started = time.perf_counter()
        loop.exec()
        measured = time.perf_counter() - started
        ticks.timer.stop()
        delays = ticks.delays
        window.trainer.stop(wait=True)
        window.document.mark_clean()
        window.close()
        app.processEvents()
    rate = len([u for u in updates if u >= started]) / measured
    print(f"paced XOR (300 epochs, batch 4): pace {pace}; canvas updates {rate:.1f}/s over {measured:.1f} s; "
          f"event-loop delay median {statistics.median(delays):.1f} ms, p99 {percentile(delays, 99):.1f} ms, "
          f"max {max(delays):.1f} ms", flush=True)


def headless(folder: Path, batch: int, scene: str = "memories") -> float:
    """The trainer's speed without a window, in a fresh process as the window's trainer runs (a run in
    this process, after a window, read 30–40 % slower or faster from one round to the next)."""
    run = subprocess.run([sys.executable, __file__, "--headless", scene, str(batch), "--data", str(folder)],
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise SystemExit(f"the headless run failed:\n{run.stderr}")
    return float(run.stdout.split()[-1])


def headless_here(folder: Path, batch: int, scene: str = "memories") -> float:
    if scene == "maps":
        train_set = load_named("circles").train
        epochs = max(4, 60000 // (len(train_set) * max(1, 32 // batch)))
    else:
        train_set, _ = load_image_set("mnist", folder, allow_download=False)
        epochs = 4
    config = TrainingConfig(epochs=epochs, batch_size=batch, optimizer=OptimizerConfig("sgd", learning_rate=0.05))
    result = drive(train(scene_project(scene).network, "bce" if scene == "maps" else "cce", train_set, None, config))
    return statistics.median(e.samples_per_second for e in result.epochs[1:])  # settled epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 1])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenes", nargs="+", choices=list(SCENES), default=["memories"],
                        help="what is on screen while training: " + "; ".join(f"{k}: {v}" for k, v in SCENES.items()))
    parser.add_argument("--paced", action="store_true", help="only the xor example at the default (watch) pace")
    parser.add_argument("--headless", nargs=2, metavar=("SCENE", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.paced:
        paced_xor(args.seconds)
        return
    if args.headless:  # the child of headless(): print the figure and go
        print(headless_here(args.data, int(args.headless[1]), args.headless[0]))
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = data_folder(args.data, Path(scratch))
        print(f"data: {folder}; network mnist-mlp 784-128-10; event-loop tick {TICK_MS} ms; "
              f"median of {args.rounds} alternating rounds of {args.seconds:g} s")
        for scene, batch in [(scene, batch) for scene in args.scenes for batch in args.batch]:
            print(f"{scene}: {SCENES[scene]}")
            p99s, maxima, medians, with_window, alone, costs = [], [], [], [], [], []
            for _ in range(args.rounds):
                delays, speed_window = in_window(folder, batch, args.seconds, scene)
                speed_alone = headless(folder, batch, scene)
                p99s.append(percentile(delays, 99))
                maxima.append(max(delays))
                medians.append(statistics.median(delays))
                with_window.append(speed_window)
                alone.append(speed_alone)
                costs.append(1 - speed_window / speed_alone)
            m = statistics.median
            print(f"batch {batch:3d}: event-loop delay median {m(medians):5.1f} ms, p99 {m(p99s):5.1f} ms "
                  f"(rounds: {', '.join(f'{v:.0f}' for v in p99s)}), max {m(maxima):5.1f} ms; "
                  f"samples/s with window {m(with_window):,.0f}, without {m(alone):,.0f} "
                  f"(window costs {m(costs):.0%}; rounds: {', '.join(f'{c:.0%}' for c in costs)})", flush=True)


if __name__ == "__main__":
    main()
