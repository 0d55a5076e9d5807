"""What one case of the fault campaign is, what came out of it, and the checks run after it.

Kept apart from scripts/fault_campaign.py (which runs the cases and prints the table) so that the
generators of each input class (campaign_files.py, campaign_outputs.py) can share them without
importing the script that is running as __main__.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: Input files whose reading the issue bounds by size (4× the file + 64 MB). Compressed inputs (IDX .gz)
#: may inflate by design within their own budget, so they get no size-bound check.
SIZED_SUFFIXES = (".nnstudio", ".onnx", ".safetensors", ".csv")
#: A case whose process takes more CPU time than this (user + system: the machine's load does not count)
#: is reported as slow.
SLOW_SECONDS = 10.0
#: A refusal is one line; one longer than this echoes an input whole (issue 29: a 100,000-character line).
LONG_LINE = 1000


class Result(NamedTuple):
    """What one `nnstudio` process did: the sorted outcome, a detail to show, and what it cost."""

    outcome: str  # ok, refused, interrupted, or FAIL …
    detail: str
    code: int | None = None  # exit status (negative: killed by that signal); None when it hung
    peak: int = 0  # peak resident set size in bytes (wait4's ru_maxrss)
    seconds: float = 0.0  # wall clock
    cpu: float = 0.0  # user + system seconds
    flags: tuple[str, ...] = ()  # over-budget, slow, clobbered, unopenable, …

    def failed(self, outcome: str, detail: str, flag: str) -> Result:
        """This result turned into a failure found after the process ended (the more severe outcome stays)."""
        keep = self.outcome.startswith("FAIL") and self.outcome != "FAIL over-budget"
        return self._replace(outcome=self.outcome if keep else outcome, detail=self.detail if keep else detail,
                             flags=self.flags + (flag,))


Runner = Callable[[list[str], Path], Result]
#: A check after the process: the result so far and a way to run one more `nnstudio` command → the result.
Check = Callable[[Result, Runner], Result]


class Case(NamedTuple):
    kind: str  # the class in the table
    args: list[str]  # after `python -m nnstudio`
    cwd: Path
    interrupt_after: float | None = None  # send Ctrl-C after this many seconds
    timeout: float | None = None  # None: the campaign's TIMEOUT
    size: int | None = None  # bytes of the input files, for the memory bound; None: inferred from args
    check: Check | None = None
    note: str = ""  # what the input is, e.g. "Gemm alpha as a string"
    expect: str = ""  # "refused" or "ok" where issue 29 says which; "": any clean outcome is fine


def collect(strategy: st.SearchStrategy, count: int) -> list:
    """`count` seeded draws from `strategy` (the same ones on every run)."""
    found: list = []
    if count <= 0:
        return found

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value):  # type: ignore[no-untyped-def]
        found.append(value)

    draw()
    return found[:count]


def input_size(args: list[str], cwd: Path) -> int | None:
    """Bytes of the regular input files among `args` whose cost the size bound covers (not `--out`), or None."""
    total, seen = 0, False
    for index, arg in enumerate(args):
        if index and args[index - 1] == "--out":
            continue
        path = cwd / arg
        if path.suffix in SIZED_SUFFIXES and path.is_file() and not path.is_symlink():
            total, seen = total + path.stat().st_size, True
    return total if seen else None


def opens_again(out: Path) -> Check:
    """After an exit 0 that wrote `out`, `nnstudio eval out` must open it: a written file that cannot be opened
    again is a failure ("unopenable output"). A refusal must not leave `out` behind."""

    def check(result: Result, run: Runner) -> Result:
        if result.outcome == "ok":
            if not out.is_file():
                return result.failed("FAIL unopenable output", f"exit 0 but {out.name} was not written", "unopenable")
            again = run(["eval", str(out)], out.parent)
            if again.outcome != "ok":
                return result.failed("FAIL unopenable output", f"eval of the output: {again.outcome}: {again.detail}",
                                     "unopenable")
        elif result.outcome == "refused" and out.exists():
            return result.failed("FAIL output left by a refusal", f"{out.name} exists after the refusal", "left output")
        return result

    return check


def nnstudio(*args: str, cwd: Path) -> None:
    """Run one setup command (making a base file); a failure here stops the campaign with the reason."""
    done = subprocess.run([sys.executable, "-m", "nnstudio", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"campaign setup failed: nnstudio {' '.join(args)}: {done.stderr.strip()[-400:]}")
