"""The Training panel's "Start from" row: where the next run starts, so two settings can be compared fairly.

A second Start trains on from the first run's end, and a curve from there cannot be laid beside the first
one as if both had started alike. The row offers the network as it is (the default, as before), fresh
weights drawn with the panel's Seed (core/init.py `reinitialise`: He for ReLU-like layers, Xavier/Glorot
for the others, biases zero), and the same start as any run whose start parameters can be had again
exactly: the runs of this session (held by the controller's StartMemory within its budget) and fresh
starts (drawn again from their seed). Each is checked by fingerprint (training/start_memory.py `recall`);
a run whose start is not known — opened from a file, no longer held, or of another shape — is not offered,
and the row's tooltip says which and why.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QSpinBox, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.core.init import reinitialise
from nnstudio.core.network import Layer
from nnstudio.core.run_comparison import run_numbers
from nnstudio.core.runs import RunStart
from nnstudio.document import Document
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.workers.training_worker import TrainingController, TrainingRequest

TIP = ("Where the next run starts. The network as it is: from the weights shown (after a run, its end). "
       "Fresh weights: the network drawn again with the Seed (He for ReLU-like layers, Xavier for the others; "
       "biases zero). The same start as run K: exactly the parameters run K started from, bit for bit, so two "
       "settings compare fairly.")


class StartRow(QObject):
    """The "Start from" choice (`combo`); `applied(request)` makes a request start where it says."""

    def __init__(self, document: Document, controller: TrainingController, seed: QSpinBox, owner: QWidget) -> None:
        super().__init__(owner)
        self.document = document
        self.controller = controller
        self.seed = seed
        self.combo = QComboBox()
        self.combo.setObjectName("startFrom")
        # One (kind, run number, RunStart) per item, kept here rather than as Qt item data
        self.choices: list[tuple[str, int | None, RunStart | None]] = [("as-is", None, None), ("fresh", None, None)]
        self.combo.addItems(["the network as it is", ""])
        self._seen: tuple[Any, ...] | None = None  # the runs and the network's shape the list was made for
        seed.valueChanged.connect(self._name_fresh)
        controller.started.connect(lambda: self.combo.setEnabled(False))
        controller.ended.connect(lambda _: self._after_run())
        listen(self, document.changed, lambda kind: self.refresh())
        self._name_fresh()
        self.refresh()

    def _name_fresh(self) -> None:
        self.combo.setItemText(1, f"fresh weights (seed {self.seed.value()})")

    def _after_run(self) -> None:
        self.combo.setEnabled(True)
        self.refresh(force=True)  # the run's start is held now

    def refresh(self, force: bool = False) -> None:
        """The runs offered: those whose start can be had again for the network as it is now. Made again
        only when the runs or the network's shape changed (an edited weight changes neither)."""
        project = self.document.project
        shape = tuple(_layer_shape(layer) for layer in project.network.layers)
        seen = (project.runs, shape)
        if not force and self._seen is not None and self._seen[0] is seen[0] and self._seen[1] == shape:
            return
        self._seen = seen
        chosen = self.chosen()
        self.combo.blockSignals(True)
        while self.combo.count() > 2:
            self.combo.removeItem(2)
        del self.choices[2:]
        missing = []
        for index, run in enumerate(project.runs):
            if self.controller.starts.recall(run.start, project.network) is None:
                missing.append(index)
            else:
                self.combo.addItem(f"the same start as run {index + 1}")
                self.choices.append(("same", index + 1, run.start))
        self.combo.setCurrentIndex(self._find(chosen))
        self.combo.blockSignals(False)
        why = ("" if not missing else f"\n\nNot offered: {run_numbers(missing)} — the start parameters are not known "
               "(opened from a file, no longer held in memory, or not a fresh start) or do not fit the network "
               "as it is now.")
        self.combo.setToolTip(TIP + why)

    def chosen(self) -> tuple[str, int | None, RunStart | None]:
        """(kind, run number, its RunStart) of the choice: ("as-is", None, None), ("fresh", None, None) or
        ("same", K, run K's start)."""
        return self.choices[max(0, self.combo.currentIndex())]

    def _find(self, chosen: tuple[str, int | None, RunStart | None]) -> int:
        """Where the choice made before the list changed is now: the same run, else a run with the same
        start, else the network as it is."""
        if chosen[0] != "same":
            return self.choices.index(chosen)
        if chosen in self.choices:
            return self.choices.index(chosen)
        wanted = chosen[2].fingerprint if chosen[2] is not None else None
        return next((i for i, (kind, _, start) in enumerate(self.choices)
                     if kind == "same" and start is not None and start.fingerprint == wanted), 0)

    def choose_run(self, number: int) -> bool:
        """Choose "the same start as run `number`" (1 = the oldest), if it is offered."""
        for i, (kind, offered, _) in enumerate(self.choices):
            if kind == "same" and offered == number:
                self.combo.setCurrentIndex(i)
                return True
        return False

    def applied(self, request: TrainingRequest) -> TrainingRequest:
        """`request` starting where the row says: its network the start, its `start` how it was chosen."""
        kind, number, start = self.chosen()
        if kind == "as-is":
            return request
        network = request.project.network
        if kind == "fresh":
            made = reinitialise(network, request.config.seed)
        else:
            assert isinstance(start, RunStart)
            made = self.controller.starts.recall(start, network)
            if made is None:
                raise NNStudioError(f"the start of run {number} is not known for the network as it is now; "
                                    "choose another start")
        return replace(request, project=request.project.replace(network=made), start=kind)


def _layer_shape(layer: Layer) -> tuple[Any, ...]:
    """What a layer's shape is for the offered starts: its kind, what it reads and gives, its activation and the
    shape and precision of each of its parameters (`parameters()`, so a kernel counts as a dense layer's W does,
    and a pooling layer, which holds none, by its kind and sizes)."""
    held = tuple(None if part is None else (part.shape, str(part.dtype)) for part in layer.parameters())
    return type(layer).__name__, layer.n_in, layer.n_out, layer.activation, held
