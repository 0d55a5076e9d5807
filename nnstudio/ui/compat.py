"""`typing.override` where Python has it (3.12+), a no-op marker before that.

Qt virtual overrides (paint, boundingRect, mousePressEvent…) are marked with it
so a misspelt override is caught by type checkers instead of silently never called.
"""

from __future__ import annotations

from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable[..., object])

try:
    from typing import override  # type: ignore[attr-defined]
except ImportError:  # Python 3.10, 3.11

    def override(method: F) -> F:  # type: ignore[no-redef]
        return method
