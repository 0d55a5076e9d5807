"""Property-based fuzzing (Hypothesis): seeded, bounded in time and memory, counted.

Every example runs under `bounded()`, which measures peak Python/numpy memory with
tracemalloc and fails past the class's budget; Hypothesis's deadline bounds the time.
`derandomize=True` makes every run try the same cases (a failure reproduces exactly);
NNSTUDIO_FUZZ_EXAMPLES scales the number of cases for a longer campaign, and
NNSTUDIO_FUZZ_REPORT names a JSON file that receives the outcome counts per class.
"""

from __future__ import annotations

import json
import os
import tracemalloc
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

import pytest
from hypothesis import HealthCheck, settings

SCALE = float(os.environ.get("NNSTUDIO_FUZZ_EXAMPLES", "1"))
OUTCOMES: dict[str, Counter] = defaultdict(Counter)
MiB = 2**20

settings.register_profile(
    "nnstudio-fuzz",
    derandomize=True,  # seeded: the same cases on every run and every machine
    database=None,  # nothing written beside the checkout
    deadline=timedelta(seconds=5),  # per case, a hang guard (not a speed claim): typical cases take milliseconds
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)


def examples(count: int) -> settings:
    """Settings for a property: `count` cases in the normal run, scaled for a campaign."""
    return settings(settings.get_profile("nnstudio-fuzz"), max_examples=max(1, int(count * SCALE)))


@contextmanager
def bounded(kind: str, limit: int) -> Iterator[None]:
    """Fail a case whose peak allocation passes `limit` bytes; count it under `kind`."""
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        OUTCOMES[kind]["peak MiB (max)"] = max(OUTCOMES[kind]["peak MiB (max)"], round(peak / MiB, 1))
    assert peak <= limit, f"{kind}: peak allocation {peak / MiB:.1f} MiB is over the {limit / MiB:.0f} MiB budget"


def count(kind: str, outcome: str) -> None:
    OUTCOMES[kind][outcome] += 1


@pytest.fixture(scope="session", autouse=True)
def report_outcomes() -> Iterator[None]:
    yield
    path = os.environ.get("NNSTUDIO_FUZZ_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({kind: dict(counter) for kind, counter in sorted(OUTCOMES.items())}, out, indent=1)
