"""Putting another network in the open one's place as one transaction: what is kept to go back, and the error
that says the way back was taken.

`Document._reset` (new, open, an example, an import) snapshots the document as a `DocumentState` before the
views follow the new network; if any view fails to follow, the snapshot lands again and `ViewsFailed` tells the
window why (issue 27: a half-opened example showed the new canvas beside the old tables, title and run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import Network
from nnstudio.core.project import Project
from nnstudio.document.stepping import SteppingState
from nnstudio.document.undo import UndoState


class ViewsFailed(NNStudioError):
    """Another network could not be shown: a view failed to follow it, and the one before is back.

    `failures` are the views' exceptions (for the log); `again` those raised while putting the old
    network back (none, normally: then it is back whole, and the message says so).
    """

    def __init__(self, failures: list[BaseException], again: list[BaseException]) -> None:
        self.failures, self.again = failures, again
        first = failures[0]
        what = f"{type(first).__name__}: {first}".strip().rstrip(":")
        back = ("the network that was open is back as it was" if not again else
                "putting the network that was open back failed too; save it under a new name and restart")
        super().__init__(f"the window could not show it ({what}); {back}")


@dataclass(frozen=True)
class DocumentState:
    """What `Document._reset` replaces, kept to put back if the replacement fails."""

    project: Project
    saved_project: Project | None
    path: Path | None
    runs: list[dict]
    preview: Network | None
    preview_rewound: str
    undo: UndoState
    stepping: SteppingState
