"""Putting another network in the open one's place as one transaction: what is kept to go back, and the error
that says the way back was taken.

`Document._reset` (new, open, an example, an import) snapshots the document as a `DocumentState` before the
views follow the new network; if any view fails to follow, the snapshot lands again and `ViewsFailed` tells the
window why (issue 27: a half-opened example showed the new canvas beside the old tables, title and run).

`check_drawable` is the gate before that: a network with maps (convolution, pooling) is refused whole, before
anything changes, whichever way it came (open, recent, drop, the command line, an example, an import, a
lesson), because `_reset` is the one door they all pass (issue 33; the window draws maps from issue 35).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import Network
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer, show_shape
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


class MapsNotDrawn(NNStudioError):
    """A network with maps offered to the window, which draws dense layers only (so far)."""


def _shapes(network: Network) -> str:
    """"1×4×4 → conv 1×3×3 → max pool 1×1×1 → 1": what the refused network holds, layer by layer."""
    parts = [show_shape(network.input_shape) if network.input_shape is not None else str(network.input_size)]
    for layer in network.layers:
        parts.append(f"conv {show_shape(layer.out_shape)}" if isinstance(layer, Conv2DLayer)
                     else f"{layer.kind} pool {show_shape(layer.out_shape)}" if isinstance(layer, Pool2DLayer)
                     else str(layer.n_out))
    return " → ".join(parts)


def check_drawable(project: Project, source: str = "") -> None:
    """Refuse (MapsNotDrawn) a project the window cannot draw yet: one whose network holds maps. `source`
    names where it came from ("conv-4x4.nnstudio", "the example conv-4x4"); else the project's name."""
    network = project.network
    if not network.is_spatial and network.input_shape is None:
        return
    kind = "convolutional" if any(isinstance(layer, Conv2DLayer) for layer in network.layers) else "pooling"
    raise MapsNotDrawn(f"{source or project.name or 'this network'} holds {kind} layers ({_shapes(network)}); "
                       "the window cannot draw them yet — use the command line: nnstudio eval/step/train")


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
