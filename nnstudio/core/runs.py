"""A training run as the document remembers it: what was trained on, how, and how it went.

Kept with the project (`Project.runs`) and saved in the `.nnstudio` file, so a run can be compared
with the previous ones after the file is opened again. A record is small: the settings, one row of
numbers per epoch (at most MAX_RUN_ROWS, kept as one array), and the train-loss curve thinned to at most
MAX_CURVE_POINTS points. The parameters along the way (the rewind slider's snapshots) are not saved:
they can be large, and the file keeps the network as it is.

Each record says where its run started (`RunStart`) with the fingerprints of its start and end parameters
(core/parameter_print.py); core/run_comparison.py puts runs side by side in words. An older file's: no start.

A record read from a file is checked field by field where it enters (`run_from_json`): every number
typed, finite and in range, every text real text and cut to a length, so nothing unbounded reaches
the window (an epoch of 1e20 once crashed the runs plot) and a fault is named by its field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import numpy as np

from nnstudio.core.errors import NNStudioError, shorten
from nnstudio.core.limits import (
    MAX_ACTIVATIONS,
    MAX_DATASET_SAMPLES,
    MAX_EPOCHS,
    MAX_LAYERS,
    MAX_RUN_ROWS,
    MAX_RUNS,
)
from nnstudio.core.parameter_print import is_print

MAX_CURVE_POINTS = 500
SETTINGS = ("epochs", "batch_size", "optimizer", "learning_rate", "l2", "seed", "schedule", "stop")
#: Samples one run can have seen: every sample of the largest dataset in every epoch (below 2^53, so a
#: float holds it exactly).
MAX_SAMPLES_SEEN = MAX_EPOCHS * MAX_DATASET_SAMPLES
#: Seconds one run can have taken (about 31 years).
MAX_SECONDS = 10**9
#: Characters kept of a run's texts (dataset, optimizer, schedule, stop) and of its outcome; longer is cut.
MAX_TEXT = 200
MAX_OUTCOME = 500
#: What each column of an epoch row holds, as a file's messages name it.
COLUMNS = ("epoch", "train loss", "test loss", "accuracy", "learning rate", "samples seen")
_RUN_KEYS = ("dataset", "settings", "seconds", "outcome", "sizes", "epochs", "train_curve", "start", "end_fingerprint")
#: Where a run can start: the network re-initialised with a seed, exactly another run's start (chosen by the
#: person, or found equal), the end of an earlier run (continued), or the network as it was (hand-set, opened).
START_KINDS = ("fresh", "same", "continued", "as-is")
T = TypeVar("T")


@dataclass(frozen=True)
class EpochRow:
    epoch: int
    train_loss: float
    test_loss: float
    accuracy: float | None
    learning_rate: float
    samples_seen: int


def _row_values(row: EpochRow) -> tuple[float, ...]:
    def number(value: float | None) -> float:
        return math.nan if value is None else float(value)

    return (float(row.epoch), number(row.train_loss), number(row.test_loss), number(row.accuracy),
            number(row.learning_rate), float(row.samples_seen))


def _row(values: Sequence[float]) -> EpochRow:
    epoch, train, test, accuracy, rate, seen = values
    return EpochRow(int(epoch), float(train), float(test), None if math.isnan(accuracy) else float(accuracy),
                    float(rate), int(seen))


class EpochRows(Sequence[EpochRow]):
    """A run's epoch rows as one read-only (rows × 6) float64 array, in the order of COLUMNS.

    Why an array: as EpochRow objects a row took about 250 bytes, so the 64 runs × 10,000 rows a file
    may hold cost 160 MB however short their text; as an array 48 bytes a row, 31 MB. Indexing and
    iterating give EpochRow values; NaN is "none" (no test part, no accuracy, no learning rate).
    """

    __slots__ = ("table",)
    table: np.ndarray

    def __init__(self, rows: Iterable[EpochRow] | np.ndarray = ()) -> None:
        if isinstance(rows, EpochRows):
            table = rows.table
        elif isinstance(rows, np.ndarray):
            table = np.asarray(rows, dtype=np.float64).reshape(-1, len(COLUMNS))
            if table.flags.writeable:  # a caller's array: copied, so no one can change the record
                table = table.copy()
        else:
            table = np.array([_row_values(row) for row in rows], dtype=np.float64).reshape(-1, len(COLUMNS))
        table.setflags(write=False)
        self.table = table

    def __len__(self) -> int:
        return int(self.table.shape[0])

    @overload
    def __getitem__(self, index: int) -> EpochRow: ...

    @overload
    def __getitem__(self, index: slice) -> EpochRows: ...

    def __getitem__(self, index: int | slice) -> EpochRow | EpochRows:
        if isinstance(index, slice):
            return EpochRows(self.table[index])
        return _row(self.table[index].tolist())

    def __iter__(self) -> Iterator[EpochRow]:
        return (_row(values) for values in self.table.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (tuple, list)):
            try:
                other = EpochRows(other)
            except (AttributeError, TypeError, ValueError):
                return False
        if not isinstance(other, EpochRows):
            return NotImplemented
        return bool(np.array_equal(self.table, other.table, equal_nan=True))

    __hash__ = None  # type: ignore[assignment]  # equal by value, like the tuple it replaces

    def __repr__(self) -> str:
        return f"EpochRows({list(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (EpochRows, (self.table,))


@dataclass(frozen=True)
class RunStart:
    """Where a run started: `kind` (one of START_KINDS), the `fingerprint` of the parameters it started from,
    and the `seed` they were drawn with when `kind` is "fresh" (None otherwise)."""

    kind: str
    fingerprint: str
    seed: int | None = None


@dataclass(frozen=True)
class RunRecord:
    """One run: `settings` maps each of SETTINGS to a number or text; `epochs` is given as any sequence of
    EpochRow and kept as EpochRows; the train curve is a tuple of (samples seen, loss) points."""

    dataset: str
    settings: dict[str, Any]
    epochs: Sequence[EpochRow]
    train_curve: tuple[tuple[int, float], ...] = ()  # (samples seen, train loss), thinned
    seconds: float = 0.0
    outcome: str = "finished"  # finished, stopped, or the stop rule / error in words
    sizes: tuple[int, ...] = field(default=())
    start: RunStart | None = None  # None: not recorded (a file from before runs said where they started)
    end_fingerprint: str = ""  # the parameters the run ended with; "" when not recorded

    def __post_init__(self) -> None:
        if not isinstance(self.epochs, EpochRows):
            object.__setattr__(self, "epochs", EpochRows(self.epochs))

    @property
    def final_accuracy(self) -> float | None:
        return self.epochs[-1].accuracy if self.epochs else None

    def title(self, number: int) -> str:
        s = self.settings
        accuracy = "" if self.final_accuracy is None else f" · test accuracy {self.final_accuracy:.1%}"
        epochs = self.epochs[-1].epoch if self.epochs else 0  # the epochs trained, though a long run's rows are thinned
        return (f"{number}. {self.dataset} · {s.get('optimizer', '?')} lr {s.get('learning_rate', 0):g} · batch "
                f"{s.get('batch_size', '?')} · {epochs} epoch{'s' if epochs != 1 else ''}"
                f"{accuracy} · {self.seconds:.1f} s")


def thin(points: Sequence[T], limit: int = MAX_CURVE_POINTS) -> tuple[T, ...]:
    """At most `limit` points (curve points, epoch rows), evenly spread, always keeping the first and the last."""
    if len(points) <= limit:
        return tuple(points)
    picks = sorted({round(i * (len(points) - 1) / (limit - 1)) for i in range(limit)})
    return tuple(points[i] for i in picks)


def with_run(runs: tuple[RunRecord, ...], run: RunRecord) -> tuple[RunRecord, ...]:
    """`runs` with `run` added last; beyond MAX_RUNS (core/limits.py) the oldest go, so a file cannot grow
    without end and always opens again."""
    return (tuple(runs) + (run,))[-MAX_RUNS:]


# ------------------------------------------------------------------ JSON (the file's "runs" list)


class RunFieldError(NNStudioError):
    """A run record's field at fault: `field` names it (`runs[2].epochs[7][0]`), `reason` says what is wrong."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def run_to_json(run: RunRecord) -> dict[str, Any]:
    def none(value: float) -> float | None:
        return None if math.isnan(value) else value

    epochs = run.epochs if isinstance(run.epochs, EpochRows) else EpochRows(run.epochs)
    return {
        "dataset": run.dataset, "settings": dict(run.settings), "seconds": run.seconds,
        "outcome": run.outcome, "sizes": list(run.sizes),
        "epochs": [[int(epoch), train, none(test), none(accuracy), none(rate), int(seen)]
                   for epoch, train, test, accuracy, rate, seen in epochs.table.tolist()],
        "train_curve": [list(point) for point in run.train_curve],
    } | _start_to_json(run)


def _start_to_json(run: RunRecord) -> dict[str, Any]:
    """The start fields, only when recorded (so an older record is written as it was read)."""
    fields: dict[str, Any] = {}
    if run.start is not None:
        start = run.start
        fields["start"] = {"kind": start.kind, "fingerprint": start.fingerprint} | (
            {} if start.seed is None else {"seed": start.seed})
    if run.end_fingerprint:
        fields["end_fingerprint"] = run.end_fingerprint
    return fields


def _kind(value: Any) -> str:
    if value is None or isinstance(value, float) and math.isnan(value):  # NaN in a parsed file is null
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return {dict: "an object", list: "a list", np.ndarray: "a list", str: "text"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """A number as a message quotes it: 1e+20, 2, null; an integer of 400 digits cut to one line."""
    if isinstance(value, (float, np.floating)):
        return "null" if math.isnan(value) else f"{float(value):g}"
    return shorten(repr(value), 40)


def _text(value: Any, where: str, limit: int) -> str:
    """Text, cut to `limit` characters; a lone surrogate (which no file or terminal can hold) is refused."""
    if not isinstance(value, str):
        raise RunFieldError(where, f"expected text, got {_kind(value)}")
    value = value[:limit]
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise RunFieldError(where, f"holds an unpaired surrogate \\u{ord(value[error.start]):04x}, which is not "
                                   "text") from None
    return value


def _whole(value: Any, where: str, low: int, high: int) -> int:
    """A whole number from `low` to `high` (2 or 2.0; never true, text, 2.5 or 10^400)."""
    rule = f"expected a whole number from {low:,} to {high:,}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunFieldError(where, f"{rule}, got {_kind(value)}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()) or not low <= value <= high:
        raise RunFieldError(where, f"{rule}, got {_show(value)}")
    return int(value)


def _finite(value: Any, where: str, minimum: float | None = None, maximum: float | None = None) -> float:
    """A finite number within the bounds given (10^400, which JSON allows and no float holds, is refused)."""
    rule = ("expected a finite number" + ("" if minimum is None else f" ≥ {minimum:g}")
            + ("" if maximum is None else f" ≤ {maximum:g}"))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunFieldError(where, f"{rule}, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise RunFieldError(where, f"{rule}, got {_show(value)}") from None
    if not math.isfinite(number) or minimum is not None and number < minimum or \
            maximum is not None and number > maximum:
        raise RunFieldError(where, f"{rule}, got {_show(value)}")
    return number


_SETTING_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "epochs": lambda value, where: _whole(value, where, 1, MAX_EPOCHS),
    "batch_size": lambda value, where: _whole(value, where, 1, MAX_DATASET_SAMPLES),
    "seed": lambda value, where: _whole(value, where, 0, 2**64 - 1),
    "learning_rate": lambda value, where: _finite(value, where, 0.0),
    "l2": lambda value, where: _finite(value, where, 0.0),
    "optimizer": lambda value, where: _text(value, where, MAX_TEXT),
    "schedule": lambda value, where: _text(value, where, MAX_TEXT),
    "stop": lambda value, where: _text(value, where, MAX_TEXT),
}

def _whole_column(low: float, high: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda column: np.isfinite(column) & (column == np.floor(column)) & (column >= low) & (column <= high)


# Per column of an epoch row: what it must be (in words), and the test of it. NaN is null.
_EPOCH_RULES: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (
    (f"a whole number from 1 to {MAX_EPOCHS:,}", _whole_column(1, MAX_EPOCHS)),
    ("a finite number", np.isfinite),
    ("a finite number or null", lambda column: np.isfinite(column) | np.isnan(column)),
    ("a number from 0 to 1 or null", lambda column: (column >= 0) & (column <= 1) | np.isnan(column)),
    ("a finite number ≥ 0 or null", lambda column: np.isfinite(column) & (column >= 0) | np.isnan(column)),
    (f"a whole number from 0 to {MAX_SAMPLES_SEEN:,}", _whole_column(0, MAX_SAMPLES_SEEN)),
)
_CURVE_RULES = (_EPOCH_RULES[5], _EPOCH_RULES[1])
_CURVE_COLUMNS = ("samples seen", "train loss")


def _table(raw: Any, where: str, columns: tuple[str, ...], limit: int) -> np.ndarray:
    """A list of rows of `len(columns)` numbers (a list of lists, or the array the file reader made of it)
    as a (rows × columns) float64 array, null as NaN; any other value, or more than `limit` rows, refused."""
    width, shape = len(columns), f"[{', '.join(columns)}]"
    if isinstance(raw, np.ndarray):
        if raw.ndim != 2 or raw.shape[1] != width:
            raise RunFieldError(f"{where}[0]", f"expected {shape}")
        rows = raw
    elif isinstance(raw, list):
        rows = raw
    else:
        raise RunFieldError(where, f"expected a list of rows {shape}, got {_kind(raw)}")
    if len(rows) > limit:
        raise RunFieldError(where, f"holds {len(rows):,} rows; a run keeps at most {limit:,}")
    if isinstance(rows, np.ndarray):
        return rows
    table = np.empty((len(rows), width))
    for i, row in enumerate(rows):
        if not isinstance(row, (list, np.ndarray)) or len(row) != width or \
                isinstance(row, np.ndarray) and row.ndim != 1:
            raise RunFieldError(f"{where}[{i}]", f"expected {shape}")
        for j, cell in enumerate(row):
            if cell is None:
                table[i, j] = math.nan
                continue
            if isinstance(cell, bool) or not isinstance(cell, (int, float)):
                raise RunFieldError(f"{where}[{i}][{j}]", f"{columns[j]}: expected a number, got {_kind(cell)}")
            try:
                table[i, j] = float(cell)
            except OverflowError:  # an integer of 400 digits: no float holds it
                table[i, j] = math.inf
    table.setflags(write=False)
    return table


def _check_rows(table: np.ndarray, where: str, columns: tuple[str, ...],
                rules: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...]) -> None:
    """Refuse the first cell (row by row) that breaks its column's rule, naming it: epochs[7][0]."""
    with np.errstate(invalid="ignore"):
        bad = np.column_stack([~rule(table[:, j]) for j, (_, rule) in enumerate(rules)]) if len(table) else None
    if bad is not None and bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        if np.isinf(table[i, j]):  # JSON has no infinity: the file's number was too large for a float (10^400)
            raise RunFieldError(f"{where}[{i}][{j}]", f"{columns[j]} must be a finite number, got a number too "
                                                      "large for a float")
        raise RunFieldError(f"{where}[{i}][{j}]", f"{columns[j]} must be {rules[j][0]}, got {_show(table[i, j])}")


def _fingerprint(value: Any, where: str) -> str:
    if not is_print(value):
        raise RunFieldError(where, f"expected 16 lowercase hex digits (a parameter fingerprint), got "
                                   f"{_show(value) if isinstance(value, str) else _kind(value)}")
    return value


def _start_from_json(data: Any, where: str) -> RunStart | None:
    """The run's start, or None when the file does not say (an older file)."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise RunFieldError(where, f"expected an object, got {_kind(data)}")
    unknown = sorted(str(key) for key in data if key not in ("kind", "fingerprint", "seed"))
    if unknown:
        raise RunFieldError(where, f"unknown key {shorten(unknown[0], 40)!r}")
    kind = data.get("kind")
    if kind not in START_KINDS:
        raise RunFieldError(f"{where}.kind", f"expected one of {', '.join(START_KINDS)}, got "
                                             f"{_show(kind) if isinstance(kind, str) else _kind(kind)}")
    fingerprint = _fingerprint(data.get("fingerprint"), f"{where}.fingerprint")
    if (kind == "fresh") != ("seed" in data):
        raise RunFieldError(f"{where}.seed", "a fresh start needs its seed" if kind == "fresh"
                            else f"only a fresh start has a seed, this one is {kind!r}")
    seed = _SETTING_CHECKS["seed"](data["seed"], f"{where}.seed") if kind == "fresh" else None
    return RunStart(kind, fingerprint, seed)


def run_from_json(data: Any, where: str) -> RunRecord:
    """A run read back from a file; raises RunFieldError (an NNStudioError) naming the field at fault.

    Lists of numbers may come as numpy arrays (nnstudio/io/bounded_json.py reads long ones so), null as NaN."""
    if not isinstance(data, dict):
        raise RunFieldError(where, f"expected an object, got {_kind(data)}")
    unknown = sorted(str(key) for key in data if key not in _RUN_KEYS)
    if unknown:
        raise RunFieldError(where, f"unknown key {shorten(unknown[0], 40)!r}")
    dataset = _text(data.get("dataset", ""), f"{where}.dataset", MAX_TEXT)
    outcome = _text(data.get("outcome", "finished"), f"{where}.outcome", MAX_OUTCOME)
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise RunFieldError(f"{where}.settings", f"expected an object, got {_kind(settings)}")
    clean: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in _SETTING_CHECKS:
            raise RunFieldError(f"{where}.settings.{shorten(str(key), 40)}", "not a setting nnstudio records")
        clean[key] = _SETTING_CHECKS[key](value, f"{where}.settings.{key}")
    seconds = _finite(data.get("seconds", 0.0), f"{where}.seconds", 0.0, MAX_SECONDS)

    epochs = _table(data.get("epochs", []), f"{where}.epochs", COLUMNS, MAX_RUN_ROWS)
    _check_rows(epochs, f"{where}.epochs", COLUMNS, _EPOCH_RULES)
    curve = _table(data.get("train_curve", []), f"{where}.train_curve", _CURVE_COLUMNS, MAX_CURVE_POINTS)
    _check_rows(curve, f"{where}.train_curve", _CURVE_COLUMNS, _CURVE_RULES)

    raw_sizes = data.get("sizes", [])
    if not isinstance(raw_sizes, (list, np.ndarray)) or isinstance(raw_sizes, np.ndarray) and raw_sizes.ndim != 1:
        raise RunFieldError(f"{where}.sizes", f"expected a list of layer sizes, got {_kind(raw_sizes)}")
    if len(raw_sizes) > MAX_LAYERS + 1:
        raise RunFieldError(f"{where}.sizes", f"holds {len(raw_sizes):,} sizes; a network has at most "
                                              f"{MAX_LAYERS + 1} (its input and {MAX_LAYERS} layers)")
    # A layer of maps gives C·H·W values (LeNet's first convolution 6×28×28 = 4,704), more than MAX_SIZE neurons
    # but never more than a network's whole activation budget.
    sizes = tuple(_whole(size.item() if isinstance(size, np.generic) else size, f"{where}.sizes[{i}]", 1,
                         MAX_ACTIVATIONS) for i, size in enumerate(raw_sizes))
    points = tuple((int(seen), float(loss)) for seen, loss in curve.tolist())
    start = _start_from_json(data.get("start"), f"{where}.start")
    end = "" if "end_fingerprint" not in data else _fingerprint(data["end_fingerprint"], f"{where}.end_fingerprint")
    return RunRecord(dataset, clean, EpochRows(epochs), points, seconds, outcome, sizes, start, end)
