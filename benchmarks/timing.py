"""The one timing helper the benchmark scripts share."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def median_time(function: Callable[[], object], repeats: int) -> float:
    """Median wall time of `repeats` calls, in seconds (the median shrugs off a busy moment)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
