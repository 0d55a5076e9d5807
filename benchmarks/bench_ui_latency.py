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
is on screen: the memories (default), the unit grid, neuron maps on a two-input network (trained as fast
as possible), or `lenet`: the LeNet example (1×28×28 → c6k5p2 → m2 → c16k5 → m2 → 120 → 84 → 10) on Fashion-MNIST
(--fashion, Debian's dataset-fashion-mnist by default), its maps on the canvas following the live weights and the
Training dock's plots in front, at the example's own optimiser (Adam, 0.001). Its epochs are longer than a round, so
its speeds are the samples the run reports over the round (both ways), not epoch rates. --paced instead trains the xor example at the panel's default pace (a toy set is watched) and
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
from nnstudio.training import StepProgress, TrainingConfig, drive, train  # noqa: E402
from nnstudio.ui.lifetimes import listen  # noqa: E402
from nnstudio.ui.window.main_window import MainWindow  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-sample"
FASHION_DATA = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist
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
    "lenet": "the lenet example on Fashion-MNIST, its maps on the canvas and the training plots in front",
}


def scene_project(scene: str) -> Project:
    if scene == "maps":
        return build_project(Blueprint.simple("2-16-16-1", "tanh", "sigmoid", init="xavier", seed=0))
    return load_example("lenet" if scene == "lenet" else "mnist-mlp")


def scene_data(scene: str, mnist: Path, fashion: Path) -> tuple[str, str]:
    """The dataset a scene trains on and the Data field's folder ("" for a toy set)."""
    if scene == "maps":
        return "circles", ""
    if scene == "lenet":
        if not (fashion / "train-images-idx3-ubyte.gz").is_file():
            raise SystemExit(f"bench_ui_latency: no Fashion-MNIST files in {fashion}; give --fashion FOLDER "
                             "(apt-get install dataset-fashion-mnist puts them in /usr/share/datasets/fashion-mnist)")
        return "fashion-mnist", str(fashion)
    return "mnist", str(mnist)


class SamplesSeen:
    """(time, samples seen) of a run's progress records while `measuring`: the speed over a stretch of a run, for
    a scene whose epochs outlast a round (an epoch rate needs a whole epoch)."""

    def __init__(self) -> None:
        self.marks: list[tuple[float, int]] = []
        self.measuring = False

    def add(self, record: StepProgress) -> None:
        if self.measuring:
            self.marks.append((time.perf_counter(), record.samples_seen))

    def rate(self) -> float:
        if len(self.marks) < 2 or self.marks[-1][0] <= self.marks[0][0]:
            return float("nan")
        return (self.marks[-1][1] - self.marks[0][1]) / (self.marks[-1][0] - self.marks[0][0])


def in_window(folder: Path, batch: int, seconds: float, scene: str = "memories",
              fashion: Path = FASHION_DATA) -> tuple[list[float], float]:
    app = application()
    settings = QSettings(str(folder / "bench-settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(Document(scene_project(scene)), settings)
    window.resize(1280, 800)
    window.show()
    panel = window.training_panel
    dataset, source = scene_data(scene, folder, fashion)
    panel.dataset.setCurrentIndex(panel.dataset.findData(dataset))
    panel.source.setText(source)
    panel.epochs.setValue({"maps": 100000, "lenet": 5}.get(scene, 1000))
    panel.batch.setValue(batch)
    if scene != "lenet":  # LeNet trains at the example's own optimiser (Adam, 0.001)
        panel.learning_rate.setText("0.05")
    if not panel.pace_row.fastest.isChecked():  # a toy set is paced to be watched: here, full speed
        panel.pace_row.fastest.click()
    if scene == "memories":
        window.memory_dock.raise_()  # the 28×28 memories are drawn live: part of what we measure
    elif scene == "units":
        window.results_dock.show()
        window.results_dock.raise_()
        window.results_panel.tabs.setCurrentWidget(window.results_panel.units)
    elif scene == "lenet":
        window.show_training()  # the Training dock in front: its live plots, under the canvas's maps
    else:
        window.show_map_large(3, 0)  # the output's map, large, beside the canvas's small ones
    ticks = TickDelays(measuring=False)
    panel.start_button.click()
    rates: list[float] = []
    # Epoch rates, as the headless figure is taken (a step record's rate covers part of an epoch, its
    # start included: for a toy set's sub-millisecond epochs that alone read 40 % lower).
    window.trainer.worker.epochs_finished.connect(
        lambda records: rates.extend(r.samples_per_second for r in records) if ticks.measuring else None)
    seen = SamplesSeen()
    window.trainer.worker.progressed.connect(seen.add)
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
    seen.measuring = True
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    ticks.measuring = seen.measuring = False
    if scene == "lenet":
        speed = seen.rate()
    else:
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


def headless(folder: Path, batch: int, scene: str = "memories", seconds: float = 8.0,
             fashion: Path = FASHION_DATA) -> float:
    """The trainer's speed without a window, in a fresh process as the window's trainer runs (a run in
    this process, after a window, read 30–40 % slower or faster from one round to the next)."""
    run = subprocess.run([sys.executable, __file__, "--headless", scene, str(batch), "--data", str(folder),
                          "--fashion", str(fashion), "--seconds", str(seconds)],
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise SystemExit(f"the headless run failed:\n{run.stderr}")
    return float(run.stdout.split()[-1])


def headless_lenet(fashion: Path, batch: int, seconds: float) -> float:
    """LeNet's speed without a window over the stretch of a run the window's round measures: from the first
    point of the loss curve (the window starts measuring when its plot has one) for `seconds`; the same data,
    test part, optimiser and progress records as the window's run, without its live previews."""
    train_set, test_set = load_image_set("fashion-mnist", fashion, allow_download=False)
    project = scene_project("lenet")
    config = TrainingConfig(epochs=5, batch_size=batch, optimizer=project.optimizer, report_seconds=0.1)
    seen, start = SamplesSeen(), None
    seen.measuring = True
    for record in train(project.network, project.loss, train_set, test_set, config):
        if isinstance(record, StepProgress) and (record.curve or start is not None):
            start = time.perf_counter() if start is None else start
            seen.add(record)
            if time.perf_counter() - start >= seconds:
                break
    return seen.rate()


def headless_here(folder: Path, batch: int, scene: str = "memories", seconds: float = 8.0,
                  fashion: Path = FASHION_DATA) -> float:
    if scene == "lenet":
        return headless_lenet(fashion, batch, seconds)
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
    parser.add_argument("--fashion", type=Path, default=FASHION_DATA, help="the Fashion-MNIST folder (scene lenet)")
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
        print(headless_here(args.data, int(args.headless[1]), args.headless[0], args.seconds, args.fashion))
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = data_folder(args.data, Path(scratch))
        print(f"data: {folder} (scene lenet: {args.fashion}); event-loop tick {TICK_MS} ms; "
              f"median of {args.rounds} alternating rounds of {args.seconds:g} s")
        for scene, batch in [(scene, batch) for scene in args.scenes for batch in args.batch]:
            print(f"{scene}: {SCENES[scene]}")
            p99s, maxima, medians, with_window, alone, costs = [], [], [], [], [], []
            for _ in range(args.rounds):
                delays, speed_window = in_window(folder, batch, args.seconds, scene, args.fashion)
                speed_alone = headless(folder, batch, scene, args.seconds, args.fashion)
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
