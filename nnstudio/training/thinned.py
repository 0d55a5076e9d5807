"""A history that stays bounded however long a run goes: thinned evenly, the first and the last kept.

Why: a toy set finishes thousands of epochs a second, and keeping every epoch's result (and every
progress point) made a long `nnstudio train` grow by megabytes a second without end. A run's record
keeps at most MAX_RUN_ROWS rows anyway (training/run_record.py), so nothing a person sees needs more.

How: items are kept at every `stride`-th position (0, stride, 2·stride, …); when more than `limit` are
kept, every other one goes and the stride doubles. So the kept items stay evenly spread over the whole
run (not just its start), the first is always kept, and the latest is always given back by `items()`.
Each item costs O(1) amortised; at most `limit` + 1 are held.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class Thinned(Generic[T]):
    """At most `limit` + 1 items of a sequence seen one at a time: evenly spread, first and latest kept."""

    def __init__(self, limit: int) -> None:
        if limit < 2:
            raise ValueError(f"a thinned history keeps at least 2 items, got a limit of {limit}")
        self.limit = limit
        self.stride = 1
        self.seen = 0
        self._kept: list[T] = []
        self._latest: T | None = None

    def add(self, item: T) -> None:
        if self.seen % self.stride == 0:
            self._kept.append(item)
            if len(self._kept) > self.limit:
                self._kept = self._kept[::2]
                self.stride *= 2
        self._latest = item
        self.seen += 1

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.add(item)

    def items(self) -> list[T]:
        """The kept items in order, ending with the latest seen."""
        if self.seen == 0:
            return []
        kept = list(self._kept)
        if (self.seen - 1) % self.stride != 0:  # the latest fell between two kept positions
            kept.append(self._latest)  # type: ignore[arg-type]
        return kept

    def __len__(self) -> int:
        """Items `items()` gives (not the count seen: that is `seen`)."""
        return len(self._kept) + (1 if self.seen and (self.seen - 1) % self.stride != 0 else 0)
