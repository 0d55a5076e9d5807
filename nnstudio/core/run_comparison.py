"""What tells runs apart, in words: the settings that differ, and where each run started.

Two runs compare fairly only from the same start. A second Start continues from the first run's end, so
Results → Runs once overlaid them as if they had started alike; now each record keeps the fingerprint of
its start (core/runs.py `RunStart`, core/parameter_print.py) and this module says it: "fresh, seed 3",
"continued from run 1", "from the start of run 1", and for the runs ticked together "runs 2 and 3 share a
start (run 2's)". Runs are named by their number in the list (1 = the oldest kept); a run referred to by
fingerprint rather than by number stays right when the oldest runs are dropped (with_run), and an origin
no longer kept is "an earlier run".
"""

from __future__ import annotations

from collections.abc import Sequence

from nnstudio.core.network import Network
from nnstudio.core.parameter_print import parameter_print
from nnstudio.core.runs import SETTINGS, RunRecord, RunStart


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


def run_start(kind: str, network: Network, seed: int, runs: Sequence[RunRecord]) -> RunStart:
    """Where a run from `network` started, worked out when its record is made (for the window and for
    `nnstudio train` alike). `kind` is how the start was chosen: "fresh" (re-initialised with `seed`), "same"
    (another run's start, chosen by the person) or "as-is" (the network as it was). "as-is" becomes
    "continued" when its parameters are the end of one of the earlier `runs` (a second plain Start), or
    "same" when they are the start of one (a run undone and started again); otherwise it stays "as-is"."""
    fingerprint = parameter_print(network)
    if kind == "fresh":
        return RunStart("fresh", fingerprint, seed)
    if kind == "as-is" and any(run.end_fingerprint == fingerprint for run in runs):
        kind = "continued"
    elif kind == "as-is" and any(run.start is not None and run.start.fingerprint == fingerprint for run in runs):
        kind = "same"
    return RunStart(kind, fingerprint)


def _first_start(runs: Sequence[RunRecord], fingerprint: str, before: int) -> int | None:
    """The first run (index) before `before` that started from `fingerprint`."""
    return next((j for j in range(min(before, len(runs)))
                 if runs[j].start is not None and runs[j].start.fingerprint == fingerprint), None)


def start_words(runs: Sequence[RunRecord], index: int) -> str:
    """Where run `index` started, in a few words for its title: "fresh, seed 3", "continued from run 1",
    "from the start of run 1", "the network as it was" or "start not recorded" (an older file's run)."""
    start = runs[index].start
    if start is None:
        return "start not recorded"
    if start.kind == "fresh":
        return f"fresh, seed {start.seed}"
    if start.kind == "continued":
        ends = [j for j in range(index) if runs[j].end_fingerprint == start.fingerprint]
        return f"continued from run {ends[-1] + 1}" if ends else "continued from an earlier run"
    if start.kind == "same":
        origin = _first_start(runs, start.fingerprint, index)
        return f"from the start of run {origin + 1}" if origin is not None else "from the start of an earlier run"
    return "the network as it was"


def start_details(run: RunRecord) -> str:
    """The fingerprints of a run's start and end parameters, for a tooltip."""
    start = "not recorded" if run.start is None else run.start.fingerprint
    return f"start parameters {start}; end parameters {run.end_fingerprint or 'not recorded'}"


def run_numbers(indices: Sequence[int]) -> str:
    """"run 2", "runs 2 and 3", "runs 2, 3 and 5" (indices from 0, numbers from 1)."""
    numbers = [str(i + 1) for i in indices]
    if len(numbers) == 1:
        return f"run {numbers[0]}"
    return f"runs {', '.join(numbers[:-1])} and {numbers[-1]}"


def shared_starts(runs: Sequence[RunRecord], chosen: Sequence[int]) -> str:
    """Which of the `chosen` runs (indices) share a start, for the line under the overlay: "runs 2 and 3
    share a start (run 2's)", "different starts", "…; run 4 starts differently", "run 1's start is not
    recorded". Empty for fewer than two runs. A start is shared when its fingerprints are equal, however it
    was chosen; "(run 2's)" names the first run in the list that started there."""
    if len(chosen) < 2:
        return ""
    groups: dict[str, list[int]] = {}
    unknown = [i for i in chosen if runs[i].start is None]
    for i in chosen:
        start = runs[i].start
        if start is not None:
            groups.setdefault(start.fingerprint, []).append(i)
    parts = []
    for fingerprint, members in groups.items():
        if len(members) > 1:
            origin = _first_start(runs, fingerprint, len(runs))
            parts.append(f"{run_numbers(members)} share a start (run {(origin or 0) + 1}'s)")
    alone = [members[0] for members in groups.values() if len(members) == 1]
    if not parts and len(alone) > 1:
        parts.append("different starts")
    elif parts and alone:
        parts.append(f"{run_numbers(alone)} start{'s' if len(alone) == 1 else ''} differently")
    if unknown:
        parts.append(f"{run_numbers(unknown)}: start not recorded" if len(unknown) > 1
                     else f"{run_numbers(unknown)}'s start is not recorded")
    return "; ".join(parts)
