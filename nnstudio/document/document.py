"""The document: the one owner of the open project, its file, its undo history.

Every edit goes through a method here, which computes the new Project with a
pure function from `edits` and pushes one `ReplaceProject` command. Undo puts
the old Project back, so values return bit for bit. Views never change the
project themselves; they call these methods and listen to the signals:

    changed(kind)        kind is "structure", "values", "input", "layout", "data" (the training data
                         chosen: nothing drawn changes; document/data_choice.py) or "all"
    trace_changed()      the forward pass for the current input was recomputed
    path_changed()       the file name changed (save as, open)
    modified_changed(b)  unsaved changes appeared (True) or were saved/undone (False)
    replaced()           another network took this one's place (new, open, close): whatever a
                         panel kept about the old one (a run's results, a verdict) is void
    shown_changed()      what the window shows changed: an edit, a step, a training snapshot;
                         panels re-read `shown()` (see shown.py)
    message(text)        something the person should be told in the status bar

No Qt here: the document is tested without a display and usable from scripts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from nnstudio.core.errors import LossError, NNStudioError
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.normalisation import network_input
from nnstudio.core.project import NO_TARGET, Project
from nnstudio.core.trace import ForwardTrace, forward, trace_loss
from nnstudio.document import edits
from nnstudio.document.replacing import DocumentState, ViewsFailed
from nnstudio.document.shown import Shown, shown
from nnstudio.document.signals import Signal, failures_collected
from nnstudio.document.stepping import Stepping
from nnstudio.document.undo import UndoStack
from nnstudio.io.examples import load_example
from nnstudio.io.network_file import load_project, save_project


def _scored(project: Project, network: Network, trace: ForwardTrace) -> tuple[float | None, str]:
    """(loss, "") of `trace` against the project's target, or (None, why not): no layers, no target
    (NO_TARGET), or the loss's refusal by name. A refusal is a state to show, not an error: the
    forward pass and its output stay on screen."""
    if not network.layers:
        return None, ""
    if not project.target_known:
        return None, NO_TARGET
    try:
        return trace_loss(network, trace, project.target, project.loss), ""
    except LossError as error:
        return None, str(error)
    except (NNStudioError, FloatingPointError):
        return None, ""


@dataclass
class ReplaceProject:
    """One undoable edit: the project before and after, and what kind of change it was."""

    document: "Document"
    old: Project
    new: Project
    text: str
    kind: str

    def redo(self) -> None:
        self.document._set_project(self.new, self.kind)

    def undo(self) -> None:
        self.document._set_project(self.old, self.kind)


class Document:
    """The open network, its file path, its modified state and its undo stack."""

    def __init__(self, project: Project | None = None) -> None:
        self.changed = Signal()
        self.trace_changed = Signal()
        self.path_changed = Signal()
        self.modified_changed = Signal()
        self.replaced = Signal()
        self.shown_changed = Signal()
        self.message = Signal()
        # Increases on every change of the project, so a result computed for an older state
        # (a gradient check, a worker's reply) can tell that it no longer applies.
        self.version = 0
        self.undo_stack = UndoStack()
        self.undo_stack.changed.connect(self._sync_modified)
        self.initialiser = "xavier"
        self._rng = np.random.default_rng()
        self._project = project if project is not None else edits.empty_project()
        self._saved_project: Project | None = self._project  # see `modified`
        self._path: Path | None = None
        self._was_modified = False
        self._trace: ForwardTrace | None = None
        self._loss: float | None = None
        self._loss_note = ""
        self.stepping = Stepping(self)
        self.stepping.changed.connect(self.shown_changed.emit)
        # Training: structural edits wait while a run works on a copy of the network; live
        # views show `preview` (the run's parameters now); finished runs are kept in `runs`.
        self.structure_locked = False
        self.preview: Network | None = None
        self.preview_rewound = ""  # set while the rewind slider shows a moment of a finished run
        self._preview_trace: ForwardTrace | None = None
        self.preview_loss: float | None = None  # the live copy's loss on the current input, once per snapshot
        self.preview_changed = Signal()
        self.runs: list[dict] = []
        self._recompute()

    # ------------------------------------------------------------------ state

    @property
    def project(self) -> Project:
        return self._project

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def modified(self) -> bool:
        """Unsaved changes: the project on screen is not the one last opened or saved.

        Judged by identity, not by the undo stack's clean mark: projects are immutable and every
        edit makes a new one, while Undo puts the very object back. So the answer holds even if an
        edit failed half-way (the project changed, the command was never recorded): the question
        before quitting still comes (issue 27: after an internal error Ctrl+Q quit without asking).
        An imported model has no saved project at all.
        """
        return self._project is not self._saved_project

    def mark_clean(self) -> None:
        """The network as it is now counts as saved (after Save; scripts and tests that close without asking)."""
        self._saved_project = self._project
        self.undo_stack.set_clean()
        self._sync_modified()

    def listener_count(self) -> int:
        """How many listeners the document's signals reach now (a closed view must not stay among them)."""
        signals = (self.changed, self.trace_changed, self.path_changed, self.modified_changed, self.replaced,
                   self.shown_changed, self.message, self.preview_changed, self.stepping.changed,
                   self.undo_stack.changed)
        return sum(signal.listener_count() for signal in signals)

    @property
    def display_name(self) -> str:
        return self._path.name if self._path else (self._project.name or "Untitled")

    @property
    def trace(self) -> ForwardTrace | None:
        """The forward pass for the current input (None if it could not be computed)."""
        return self._trace

    @property
    def loss(self) -> float | None:
        """The loss of the current output against the current target (None without one: see loss_note)."""
        return self._loss

    @property
    def loss_note(self) -> str:
        """Why there is no loss although there is an output: no target, or the loss refuses the target or
        the output activation (by name, core/losses.py); "" otherwise."""
        return self._loss_note

    def _recompute(self) -> None:
        project = self._project
        self._loss_note = ""
        try:
            self._trace = forward(project.network, project.network_input())  # the input is raw
        except (NNStudioError, FloatingPointError):
            self._trace, self._loss = None, None
            return
        self._loss, self._loss_note = _scored(project, project.network, self._trace)

    def shown(self) -> Shown:
        """What the window shows now (project, step or live training copy): see shown.py."""
        return shown(self)

    def _set_project(self, project: Project, kind: str) -> None:
        self._project = project
        self.version += 1
        self._sync_modified()
        self._recompute()
        if kind not in ("layout", "data"):
            self.stepping.on_project_changed()
        self.changed.emit(kind)
        self.trace_changed.emit()
        self.shown_changed.emit()

    def _sync_modified(self) -> None:
        modified = self.modified
        if modified != self._was_modified:
            self._was_modified = modified
            self.modified_changed.emit(modified)

    def _reset(self, project: Project, path: Path | None, saved: bool = True) -> None:
        """Put another network in this one's place, as one transaction: every view follows, or none does.

        If a view fails to follow (its listener raises), the network that was open comes back whole —
        project, file, undo history, runs, step — every view is told again, and ViewsFailed says so
        (issue 27: a half-opened example showed the new canvas beside the old tables, title and run).
        """
        before = self._state()
        with failures_collected() as failures:
            self._land(project, path, saved)
        if not failures:
            return
        with failures_collected() as again:
            self._land_state(before)
        raise ViewsFailed(failures, again)

    def _land(self, project: Project, path: Path | None, saved: bool) -> None:
        self._project = project
        self._saved_project = project if saved else None
        self._path = path
        self.version += 1
        self.runs = []
        self.preview, self._preview_trace, self.preview_loss, self.preview_rewound = None, None, None, ""
        self._recompute()  # first: listeners of the signals below read the new trace
        self.undo_stack.clear()
        self.stepping.stop()
        self._announce_replaced()

    def _announce_replaced(self) -> None:
        self._sync_modified()
        self.replaced.emit()
        self.changed.emit("all")
        self.trace_changed.emit()
        self.path_changed.emit()
        self.shown_changed.emit()

    def _state(self) -> DocumentState:
        return DocumentState(self._project, self._saved_project, self._path, list(self.runs), self.preview,
                              self.preview_rewound, self.undo_stack.state(), self.stepping.state())

    def _land_state(self, state: DocumentState) -> None:
        """Everything as it was in `state`, every view told (the way back from a failed opening)."""
        self._project, self._saved_project, self._path = state.project, state.saved_project, state.path
        self.version += 1
        self.runs = state.runs
        self._recompute()
        self.undo_stack.restore(state.undo)
        self.stepping.restore(state.stepping)
        self._announce_replaced()
        self.set_preview(state.preview, state.preview_rewound)

    # ------------------------------------------------------------------ undo and redo

    def undo(self) -> None:
        """Undo the last edit. During a pass this leaves the pass first, and says so."""
        self._leave_pass("Undo")
        self.undo_stack.undo()

    def redo(self) -> None:
        """Redo the next edit (an update too, but never silently: the pass is left and named)."""
        self._leave_pass("Redo")
        self.undo_stack.redo()

    def _leave_pass(self, what: str) -> None:
        if self.stepping.active:
            self.stepping.stop()
            self.message.emit(f"{what} left step-through; Step ▶ starts a new pass")

    # ------------------------------------------------------------------ files

    def new(self, input_size: int = 2) -> None:
        self.check_unlocked()
        self._reset(edits.empty_project(input_size), None)

    def new_project(self, project: Project, saved: bool = True) -> None:
        """Start over on a project made in memory: untitled, nothing to undo. `saved=False` for a model
        imported from another format: it exists nowhere as a network file yet, so it has unsaved changes."""
        self.check_unlocked()
        self._reset(project, None, saved)

    def open(self, path: str | os.PathLike[str]) -> None:
        """Load `path`; on any error (raised as NetworkFileError) the document is unchanged."""
        self.check_unlocked()
        project = load_project(path)
        self._reset(project, Path(path))

    def open_project(self, project: Project, path: str | os.PathLike[str]) -> None:
        """Take a project already read from `path` (so a caller can check the file before asking anything)."""
        self.check_unlocked()
        self._reset(project, Path(path))

    def open_example(self, name: str) -> None:
        self.check_unlocked()
        self._reset(load_example(name), None)

    def save(self, path: str | os.PathLike[str] | None = None) -> None:
        """Save atomically to `path` (or the current path); marks the document clean."""
        target = Path(path) if path is not None else self._path
        if target is None:
            raise NNStudioError("the document has no file name yet; use Save As")
        project = self._project
        if not project.name or project.name == edits.UNTITLED:
            # A network saved under a new name takes that name (the file's "name" says so too).
            project = project.replace(name=target.stem)
        save_project(project, target)
        if project is not self._project:
            self._project = project  # a name is not an edit: no undo step, nothing recomputed
        if target != self._path:
            self._path = target
            self.path_changed.emit()
        self.mark_clean()

    # ------------------------------------------------------------------ edits

    def apply(self, new: Project, text: str, kind: str) -> None:
        """Push the change from the current project to `new` as one undoable command."""
        if new is self._project:
            return
        self.undo_stack.push(ReplaceProject(self, self._project, new, text, kind))

    def _edit(self, function: Callable[..., Project], text: str, kind: str, *args: object, **kw: object) -> None:
        self.apply(function(self._project, *args, **kw), text, kind)

    def check_unlocked(self) -> None:
        """Structural edits wait while training works on a copy of this network."""
        if self.structure_locked:
            raise edits.EditError("the network's shape cannot change while it is training; stop training first")

    def structure_edit(self, function: Callable[..., Project], text: str, *args: object) -> None:
        """`function(project, *args, initialiser, rng)` as one undoable change of the network's shape, refused while
        training holds it: the door of the shape edits written beside the document (document/conv_edits.py)."""
        self.check_unlocked()
        self._edit(function, text, "structure", *args, self.initialiser, self._rng)

    def set_preview(self, network: Network | None, rewound: str = "") -> None:
        """Show `network` (a copy being trained, or a moment of a finished run: `rewound` says which, as
        "end of epoch 3") in live views without changing the document."""
        self.preview = network
        self.preview_rewound = rewound if network is not None else ""
        self._preview_trace, self.preview_loss = None, None
        if network is not None and network.sizes == self._project.network.sizes:
            try:
                x = network_input(self._project.input, self._project.normalisation, network.dtype)
                self._preview_trace = forward(network, x.astype(network.dtype, copy=False))
            except (NNStudioError, FloatingPointError):
                self._preview_trace = None
            else:
                self.preview_loss = _scored(self._project, network, self._preview_trace)[0]
        self.preview_changed.emit()
        self.shown_changed.emit()

    @property
    def preview_trace(self) -> ForwardTrace | None:
        """The forward pass of the live training copy for the current input (None if none)."""
        return self._preview_trace if self.preview is not None else None

    @property
    def shown_trace(self) -> ForwardTrace | None:
        """The forward pass views draw: of the live training copy while there is one."""
        preview = self.preview_trace
        return preview if preview is not None else self._trace

    @property
    def shown_network(self) -> Network:
        """What views draw: the live training copy while there is one, else the document's network."""
        if self.preview is not None and self.preview.sizes == self._project.network.sizes:
            return self.preview
        return self._project.network

    def insert_layer(self, column: int, size: int, activation: str = "relu", bias: bool = True) -> None:
        self.check_unlocked()
        self._edit(edits.insert_layer, f"Insert layer of {size}", "structure", column, size, activation,
                   self.initialiser, self._rng, bias)

    def paste_layer(self, column: int, layer: DenseLayer) -> None:
        """A copied layer placed as column `column` (1 = right after the input), one undoable edit."""
        self.check_unlocked()
        self._edit(edits.insert_layer_copy, f"Paste a layer as layer {column}", "structure", column, layer)

    def add_layer(self, size: int, activation: str = "relu", bias: bool = True) -> None:
        self.insert_layer(len(self._project.network.layers) + 1, size, activation, bias)

    def remove_layer(self, column: int) -> None:
        self.check_unlocked()
        self._edit(edits.remove_layer, f"Remove layer {column}", "structure", column, self.initialiser, self._rng)

    def resize_column(self, column: int, size: int) -> None:
        self.check_unlocked()
        if self._project.network.sizes[column] == size:
            return
        what = "input" if column == 0 else f"layer {column}"
        self._edit(edits.resize_column, f"Resize {what} to {size}", "structure", column, size, self.initialiser,
                   self._rng)

    def set_activation(self, column: int, activation: str) -> None:
        if self._project.network.layers[column - 1].activation == activation:
            return
        self.check_unlocked()
        self._edit(edits.set_activation, f"Set activation of layer {column}", "values", column, activation)

    def set_bias_enabled(self, column: int, enabled: bool) -> None:
        self.check_unlocked()
        self._edit(edits.set_bias_enabled, f"{'Add' if enabled else 'Remove'} bias of layer {column}", "structure",
                   column, enabled)

    def set_weight(self, column: int, row: int, col: int, text: str) -> None:
        self._edit(edits.set_weight, f"Set w{row + 1}{col + 1} of layer {column}", "values", column, row, col, text)

    def set_bias(self, column: int, row: int, text: str) -> None:
        self._edit(edits.set_bias, f"Set b{row + 1} of layer {column}", "values", column, row, text)

    def set_all_biases(self, column: int, text: str) -> None:
        """Every bias of a layer to one typed value, as one undoable edit."""
        layer = self._project.network.layers[column - 1] if 0 < column <= len(self._project.network.layers) else None
        if layer is None or layer.bias is None:
            raise NNStudioError(f"layer {column} has no bias; turn its bias on first")
        self._edit(edits.paste_block, f"Set every bias of layer {column}", "values", column, 0, layer.n_in,
                   [[text]] * layer.n_out)

    def paste_block(self, column: int, row: int, col: int, block: Sequence[Sequence[str]]) -> None:
        self._edit(edits.paste_block, f"Paste into layer {column}", "values", column, row, col, block)

    def move_columns(self, positions: Sequence[tuple[float, float]]) -> None:
        self._edit(edits.move_columns, "Move layer", "layout", positions)

    def set_input(self, index: int, text: str) -> None:
        self._edit(edits.set_vector_value, f"Set input {index + 1}", "input", "input", index, text)

    def set_target(self, index: int, text: str) -> None:
        self._edit(edits.set_vector_value, f"Set target {index + 1}", "input", "target", index, text)

    def draw_input(self, values: np.ndarray, label: int | None) -> None:
        """A drawing as the input, labelled (its class becomes the target) or not (no loss is shown)."""
        self._edit(edits.draw_input, "Draw a digit" if label is None else f"Draw a {label}", "input", values, label)

    def set_input_vector(self, values: np.ndarray, text: str = "Set input") -> None:
        self._edit(edits.set_vector, text, "input", "input", values)

    def build_from_samples(self, tau_text: str = "1/sqrt(2)") -> None:
        self.check_unlocked()
        self._edit(edits.build_from_samples, "Build memories from samples", "structure", tau_text)

    def use_sample(self, index: int) -> None:
        self._edit(edits.use_sample, f"Use sample {index + 1}", "input", index)
