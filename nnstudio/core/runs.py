"""A training run as the document remembers it: what was trained on, how, and how it went.

Kept with the project (`Project.runs`) and saved in the `.nnstudio` file, so a run can be compared
with the previous ones after the file is opened again. A record is small: the settings, one row of
numbers per epoch, and the train-loss curve thinned to at most MAX_CURVE_POINTS points. The
parameters along the way (the rewind slider's snapshots) are not saved: they can be large, and the
file keeps the network as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from nnstudio.core.errors import NNStudioError

MAX_CURVE_POINTS = 500
MAX_RUNS = 50  # kept per document: the oldest go first
SETTINGS = ("epochs", "batch_size", "optimizer", "learning_rate", "l2", "seed", "schedule", "stop")


@dataclass(frozen=True)
class EpochRow:
    epoch: int
    train_loss: float
    test_loss: float
    accuracy: float | None
    learning_rate: float
    samples_seen: int


@dataclass(frozen=True)
class RunRecord:
    """One run: `settings` maps each of SETTINGS to a number or text; curves are plain lists."""

    dataset: str
    settings: dict[str, Any]
    epochs: tuple[EpochRow, ...]
    train_curve: tuple[tuple[int, float], ...] = ()  # (samples seen, train loss), thinned
    seconds: float = 0.0
    outcome: str = "finished"  # finished, stopped, or the stop rule / error in words
    sizes: tuple[int, ...] = field(default=())

    @property
    def final_accuracy(self) -> float | None:
        return self.epochs[-1].accuracy if self.epochs else None

    def title(self, number: int) -> str:
        s = self.settings
        accuracy = "" if self.final_accuracy is None else f" · test accuracy {self.final_accuracy:.1%}"
        return (f"{number}. {self.dataset} · {s.get('optimizer', '?')} lr {s.get('learning_rate', 0):g} · batch "
                f"{s.get('batch_size', '?')} · {len(self.epochs)} epoch{'s' if len(self.epochs) != 1 else ''}"
                f"{accuracy} · {self.seconds:.1f} s")


def thin(points: list[tuple[int, float]], limit: int = MAX_CURVE_POINTS) -> tuple[tuple[int, float], ...]:
    """At most `limit` points, evenly spread, always keeping the first and the last."""
    if len(points) <= limit:
        return tuple(points)
    picks = sorted({round(i * (len(points) - 1) / (limit - 1)) for i in range(limit)})
    return tuple(points[i] for i in picks)


def with_run(runs: tuple[RunRecord, ...], run: RunRecord) -> tuple[RunRecord, ...]:
    """`runs` with `run` added last; beyond MAX_RUNS the oldest go, so a file cannot grow without end."""
    return (tuple(runs) + (run,))[-MAX_RUNS:]


def differing_settings(runs: list[RunRecord]) -> list[str]:
    """The settings (and the dataset) whose values differ between `runs`: what tells them apart."""
    keys = ["dataset"] + [key for key in SETTINGS]
    values = [{"dataset": run.dataset, **run.settings} for run in runs]
    return [key for key in keys if len({repr(v.get(key)) for v in values}) > 1]


def legend(run: RunRecord, number: int, keys: list[str]) -> str:
    """"2: lr 0.1" — a run named by the settings that differ from the others'."""
    short = {"learning_rate": "lr", "batch_size": "batch", "dataset": "data"}
    values = {"dataset": run.dataset, **run.settings}
    parts = [f"{short.get(key, key)} {values.get(key)}" for key in keys]
    return f"{number}: " + (", ".join(parts) if parts else "same settings")


# ------------------------------------------------------------------ JSON (the file's "runs" list)

def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise NNStudioError(f"{where}: expected a finite number, got {value!r}"[:200])
    return float(value)


def run_to_json(run: RunRecord) -> dict[str, Any]:
    return {
        "dataset": run.dataset, "settings": dict(run.settings), "seconds": run.seconds,
        "outcome": run.outcome, "sizes": list(run.sizes),
        "epochs": [[e.epoch, e.train_loss, None if math.isnan(e.test_loss) else e.test_loss, e.accuracy,
                    None if math.isnan(e.learning_rate) else e.learning_rate, e.samples_seen] for e in run.epochs],
        "train_curve": [list(point) for point in run.train_curve],
    }


def run_from_json(data: Any, where: str) -> RunRecord:
    """A run read back from a file; raises NNStudioError naming the field at fault."""
    if not isinstance(data, dict):
        raise NNStudioError(f"{where}: expected an object")
    unknown = set(data) - {"dataset", "settings", "seconds", "outcome", "sizes", "epochs", "train_curve"}
    if unknown:
        raise NNStudioError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    dataset, settings, outcome = data.get("dataset", ""), data.get("settings", {}), data.get("outcome", "finished")
    if not isinstance(dataset, str) or not isinstance(outcome, str) or not isinstance(settings, dict):
        raise NNStudioError(f"{where}: dataset and outcome are text, settings an object")
    clean: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in SETTINGS or not (isinstance(value, (str, int, float)) or value is None) or \
                isinstance(value, bool):
            raise NNStudioError(f"{where}.settings.{str(key)[:40]}: not a setting nnstudio records")
        clean[key] = value
    rows = []
    raw_epochs = data.get("epochs", [])
    if not isinstance(raw_epochs, list) or len(raw_epochs) > 100_000:
        raise NNStudioError(f"{where}.epochs: expected a list of at most 100,000 epochs")
    for i, row in enumerate(raw_epochs):
        at = f"{where}.epochs[{i}]"
        if not isinstance(row, list) or len(row) != 6:
            raise NNStudioError(f"{at}: expected [epoch, train loss, test loss, accuracy, learning rate, samples]")
        epoch, train, test, accuracy, rate, seen = row
        rows.append(EpochRow(int(_number(epoch, at)), _number(train, at),
                             math.nan if test is None else _number(test, at),
                             None if accuracy is None else _number(accuracy, at),
                             math.nan if rate is None else _number(rate, at), int(_number(seen, at))))
    raw_curve = data.get("train_curve", [])
    if not isinstance(raw_curve, list) or len(raw_curve) > MAX_CURVE_POINTS:
        raise NNStudioError(f"{where}.train_curve: expected at most {MAX_CURVE_POINTS} points")
    curve = []
    for i, point in enumerate(raw_curve):
        if not isinstance(point, list) or len(point) != 2:
            raise NNStudioError(f"{where}.train_curve[{i}]: expected [samples seen, loss]")
        curve.append((int(_number(point[0], where)), _number(point[1], where)))
    sizes = data.get("sizes", [])
    if not isinstance(sizes, list) or len(sizes) > 200:
        raise NNStudioError(f"{where}.sizes: expected a list of layer sizes")
    return RunRecord(dataset[:200], clean, tuple(rows), tuple(curve), _number(data.get("seconds", 0.0), where),
                     outcome[:500], tuple(int(_number(s, where)) for s in sizes))

