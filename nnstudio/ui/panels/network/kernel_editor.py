"""KernelEditor: one kernel of a convolution — a k×k grid per input channel and its bias — to read and to type.

A kernel is set as a dense weight is: a number or an expression per cell, Enter to commit and move down, Tab to
move right and on to the next row (Shift+Tab back), a block pasted at the current cell, or a named kernel
(identity, box blur, Sobel x/y, Laplacian) applied to the current grid. Every edit is one undoable command
(document/kernel_edits.py), and the canvas's maps follow through the document's signals.

What the cells show follows the canvas (`digits`, `edge_mode`): w normally; while a pass is stepped through, the
edge modes become kernel modes — w, ∂L/∂w (the backward trace's kernel gradient, once the pass reaches it), and at
the update old → new. A training run's live copy or a rewound moment is read-only, as are gradients. Tooltips hold
the full value.

What it draws has a budget, checked from the kernel's shape before any cell is made: a grid per input channel while
they hold MAX_SHOWN_CELLS cells together (LeNet's 16×6×5×5 does), else one grid and a Channel box (512 channels made
512 tables: 1.5 s a build); no cells for a kernel wider than MAX_GRID_SIDE (a 512×512 kernel took 20 s and 80 MB to
draw, on every change), only its bias: such a kernel is set from a file.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import (QAbstractItemDelegate, QAbstractItemView, QComboBox, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QSpinBox, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QVBoxLayout, QWidget)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.named_kernels import named_kernel, names_for
from nnstudio.core.paste_budget import check_paste_size
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer
from nnstudio.document import Document
from nnstudio.document.kernel_edits import apply_named_kernel, set_kernel_bias, set_kernel_block
from nnstudio.ui import format as fmt
from nnstudio.ui.canvas import style
from nnstudio.ui.compat import override
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.expression_edit import error_label
from nnstudio.ui.panels.network.kernel_view import kernel_view, paste_cells
from nnstudio.ui.panels.network.matrix_editor import MatrixTable
from nnstudio.ui.panels.network.weights_model import LiteralError

WIDEST = "−0.000"  # what a cell always has room for (digits 3), so its width does not jump as values change
#: The widest kernel drawn as cells (32×32 = 1,024 cells: about 60 ms to draw).
MAX_GRID_SIDE = 32
#: Cells of all the channels' grids drawn at once; past it one grid is shown, its channel picked by a spin box.
MAX_SHOWN_CELLS = 1024


class KernelGridModel(QAbstractTableModel):
    """One k×k grid (kernel `editor.out` over input channel `channel`): labels and colours from the editor's
    view, typed text committed through the document."""

    def __init__(self, editor: KernelEditor, channel: int) -> None:
        super().__init__(editor)
        self.editor = editor
        self.channel = channel

    @override
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.editor.k

    @override
    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.editor.k

    @override
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        view, c, r, col = self.editor.view, self.channel, index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return view.labels[c][r][col]
        if role == Qt.ItemDataRole.EditRole:
            layer = self.editor.layer()
            typed = layer.kernel_text.get((self.editor.out, c, r, col))
            return typed or fmt.full(float(layer.kernel[self.editor.out, c, r, col]))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"row {r + 1}, column {col + 1}: {view.tips[c][r][col]}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = style.value_colour(float(view.values[c, r, col]), view.scale, 0)
            colour.setAlpha(int(colour.alpha() * 0.45))  # light enough that the number on it reads
            return colour
        return None

    @override
    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsEditable if self.editor.view.editable else base

    @override
    def setData(self, index: QModelIndex | QPersistentModelIndex, value: object,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        if str(value) == self.data(index, Qt.ItemDataRole.EditRole):
            return True  # unchanged: no empty undo step
        return self.editor.commit(self.channel, index.row(), index.column(), [[str(value)]], "Set kernel cell")

    def refresh(self) -> None:
        if self.editor.k:
            self.dataChanged.emit(self.index(0, 0), self.index(self.editor.k - 1, self.editor.k - 1))


class _FramedCurrent(QStyledItemDelegate):
    """The current cell framed, not filled (the grid selects nothing): a fill would hide the value's colour and read
    as a value itself."""

    @override
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        plain = QStyleOptionViewItem(option)
        plain.state &= ~QStyle.StateFlag.State_HasFocus  # its dotted focus rectangle: the frame says it better
        super().paint(painter, plain, index)
        view = self.parent()
        if isinstance(view, QAbstractItemView) and view.currentIndex() == index:
            painter.save()
            painter.setPen(QPen(QColor("#1d4ed8"), 2))
            painter.drawRect(option.rect.adjusted(1, 1, -1, -1))
            painter.restore()


class KernelGrid(MatrixTable):
    """A grid that commits on Enter and moves down (to the next column's top at the bottom), as a spreadsheet;
    Tab moves right and on to the next row (MatrixTable stops it at the last cell)."""

    focused = Signal(int)  # its input channel

    def __init__(self, model: KernelGridModel) -> None:
        super().__init__()
        self.setModel(model)
        self.setObjectName(f"kernelGrid{model.channel + 1}")
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setMinimumSectionSize(10)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)  # wider than the dock: it scrolls
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)  # a current cell, framed (_FramedCurrent)
        self.setItemDelegate(_FramedCurrent(self))
        self.setToolTip("Enter moves down, Tab right; Ctrl+V pastes a block at the current cell")
        self.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed | QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed)
        self._whole = QSize()  # the grid with every cell shown: fitted by the editor's refresh, which follows
        self.setCurrentIndex(model.index(0, 0))

    def fit_cells(self) -> None:
        """Cells wide and tall enough for every label whole (old → new takes two lines), never elided; at least two
        cells wide, else it scrolls sideways (LeNet's 5×5 widened the Inspector past its dock, cut at column 5)."""
        model, metrics = self.model(), self.fontMetrics()
        k = model.rowCount()
        labels = [str(model.data(model.index(r, c))) for r in range(k) for c in range(k)]
        lines = [line for label in labels for line in label.split("\n")] + [WIDEST]
        width = max(metrics.horizontalAdvance(line) for line in lines) + 10
        height = max(label.count("\n") + 1 for label in labels) * metrics.lineSpacing() + 10
        self.horizontalHeader().setDefaultSectionSize(width)
        self.verticalHeader().setDefaultSectionSize(height)
        edge = self.verticalHeader().sizeHint().width() + 2 * self.frameWidth() + 2
        self._whole = QSize(edge + k * width, self.horizontalHeader().sizeHint().height() + k * height
                            + 2 * self.frameWidth() + 2)
        self.setMinimumWidth(edge + min(k, 2) * width)
        self.setMaximumWidth(self._whole.width())
        self.updateGeometry()
        self._fit_height()

    def _fit_height(self) -> None:
        """Every row shown, and the sideways scroll bar under them when the grid is narrower than its cells."""
        cut = self.width() < self._whole.width()
        self.setFixedHeight(self._whole.height() + (self.horizontalScrollBar().sizeHint().height() if cut else 0))

    @override
    def sizeHint(self) -> QSize:
        return self._whole

    @override
    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._fit_height()

    def move_down(self) -> None:
        current, k = self.currentIndex(), self.model().rowCount()
        row, col = current.row() + 1, current.column()
        if row >= k:
            row, col = (0, col + 1) if col + 1 < k else (k - 1, col)
        self.setCurrentIndex(self.model().index(row, col))

    @override
    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        super().closeEditor(editor, hint)
        if hint == QAbstractItemDelegate.EndEditHint.SubmitModelCache:  # Enter in the editor: committed
            self.move_down()

    @override
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != self.State.EditingState:
            self.move_down()
            return
        super().keyPressEvent(event)

    @override
    def focusInEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().focusInEvent(event)
        self.focused.emit(self.model().channel)  # type: ignore[attr-defined]


class KernelEditor(QWidget):
    """Kernel `out` of the convolution at canvas `column`: its grids over every input channel and its bias."""

    def __init__(self, document: Document, column: int, out: int = 0, mode: str = "weight", digits: int = 3,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.column, self.mode, self.digits = document, column, mode, digits
        layer = self.built_from = self.layer()  # the layer as built: a value edit keeps this editor (inspector.py)
        self.k, self.channels_in = layer.k, layer.in_shape[0]
        self.out = min(max(out, 0), layer.channels - 1)
        self.channel = 0  # the grid a named kernel or a paste goes to: the one last focused
        drawn = layer.k <= MAX_GRID_SIDE  # the budget (module docstring), from the shape alone
        grids = self.channels_in if self.channels_in * layer.k ** 2 <= MAX_SHOWN_CELLS else 1
        self.models = [KernelGridModel(self, c) for c in range(grids if drawn else 0)]
        self.view = kernel_view(document, column, self.out, mode, digits, self.shown_channels())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        self.number = QSpinBox()
        self.number.setObjectName("kernelNumber")
        self.number.setRange(1, layer.channels)
        self.number.setValue(self.out + 1)
        self.number.setSuffix(f" of {layer.channels}")
        self.number.setKeyboardTracking(False)
        self.number.setToolTip("Which kernel (the map it makes) the grids below show")
        self.number.valueChanged.connect(lambda n: self.show_kernel(n - 1))
        form.addRow("Kernel", self.number)
        self.channel_box = QSpinBox()  # only when one grid stands for many channels
        self.channel_box.setObjectName("kernelChannel")
        self.channel_box.setRange(1, self.channels_in)
        self.channel_box.setSuffix(f" of {self.channels_in}")
        self.channel_box.setKeyboardTracking(False)
        self.channel_box.setToolTip("Which input channel the grid below shows (this kernel reads too many to show "
                                    "every grid at once)")
        self.channel_box.valueChanged.connect(lambda n: self.show_channel(n - 1))
        if len(self.models) == 1 and self.channels_in > 1:
            form.addRow("Over channel", self.channel_box)
        else:
            self.channel_box.hide()
        self.named = QComboBox()
        self.named.setObjectName("namedKernel")
        self._fill_named()
        self.named.activated.connect(self._on_named)
        form.addRow("Set to", self.named)
        self.heading = QLabel()
        self.heading.setObjectName("kernelHeading")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.grids: list[KernelGrid] = []
        for model in self.models:
            if 1 < len(self.models):
                layout.addWidget(QLabel(f"over channel {model.channel + 1}"))
            grid = KernelGrid(model)
            grid.focused.connect(lambda channel: setattr(self, "channel", channel))  # the grid last clicked
            shortcut = QShortcut(QKeySequence.StandardKey.Paste, grid, lambda g=grid: self._paste_into(g))
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            layout.addWidget(grid, 0, Qt.AlignmentFlag.AlignLeft)  # as wide as its cells, else the dock
            self.grids.append(grid)
        bias_row = QHBoxLayout()  # the typed bias, or (a gradient, an update, a run) its value to read
        bias_row.setContentsMargins(0, 0, 0, 0)
        self.bias_edit = _BiasEdit(self._commit_bias)
        self.bias_label = QLabel()
        self.bias_label.setObjectName("kernelBiasValue")
        for widget, stretch in ((QLabel("Bias b"), 0), (self.bias_edit, 1), (self.bias_label, 1)):
            bias_row.addWidget(widget, stretch)
        layout.addLayout(bias_row)
        self.error = error_label("kernelError")
        layout.addWidget(self.error)
        listen(self, document.shown_changed, self.refresh)
        self.refresh()

    def shown_channels(self) -> list[int]:
        """The input channels whose grids are drawn now (none for a kernel too wide to draw)."""
        return [model.channel for model in self.models]

    def show_channel(self, channel: int) -> None:
        """The one grid (when it stands for many channels) shows input channel `channel`."""
        if len(self.models) != 1 or not 0 <= channel < self.channels_in:
            return
        model = self.models[0]
        model.beginResetModel()
        model.channel = self.channel = channel
        model.endResetModel()
        if self.channel_box.value() != channel + 1:
            self.channel_box.setValue(channel + 1)
        self.refresh()

    def layer(self) -> Conv2DLayer:
        return self.document.project.network.layers[self.column - 1]  # type: ignore[return-value]

    def fits(self) -> bool:
        """Whether the document still holds this editor's convolution with its shape (else it is rebuilt)."""
        layers = self.document.project.network.layers
        if not 1 <= self.column <= len(layers) or not isinstance(layers[self.column - 1], Conv2DLayer):
            return False
        return self.layer().kernel.shape[1:] == (self.channels_in, self.k, self.k) and self.out < self.layer().channels

    # ------------------------------------------------------------------ what is shown

    def set_canvas_view(self, mode: str, digits: int) -> None:
        """The canvas's edge mode and digits, which the kernel cells follow."""
        if (mode, digits) != (self.mode, self.digits):
            self.mode, self.digits = mode, digits
            self.refresh()

    def show_kernel(self, out: int) -> None:
        self.out = out
        if self.number.value() != out + 1:
            self.number.setValue(out + 1)
        self.refresh()

    def refresh(self) -> None:
        """Every number from the document as it shows now, in place: an editor being typed in is kept."""
        if not self.fits():
            return
        self.view = kernel_view(self.document, self.column, self.out, self.mode, self.digits, self.shown_channels())
        self.heading.setText(self.view.heading if self.models else
                             f"{self.k}×{self.k} kernels ({self.k * self.k:,} cells per channel) are too large to show "
                             f"or type cell by cell here (at most {MAX_GRID_SIDE}×{MAX_GRID_SIDE}); set them from a "
                             f"file; its bias is typed below")
        for model, grid in zip(self.models, self.grids):
            model.refresh()
            grid.fit_cells()
        layer = self.layer()
        plain = self.view.editable and layer.bias is not None
        self.bias_edit.setVisible(plain)
        self.bias_label.setVisible(not plain)
        self.bias_label.setText(self.view.bias if layer.bias is not None else "none (tick “has a bias b” above)")
        if plain:
            full = fmt.full(float(layer.bias[self.out]))  # type: ignore[index]
            self.bias_edit.show_value(self.view.bias, layer.bias_text.get(self.out) or full, full)
        self.named.setEnabled(self.view.editable and bool(self.models))

    def _fill_named(self) -> None:
        self.named.addItem("a named kernel…", None)
        for name in names_for(self.k) if self.k <= MAX_GRID_SIDE else ():
            kernel = named_kernel(name)
            self.named.addItem(kernel.label, name)
            self.named.setItemData(self.named.count() - 1, f"{kernel.label}: {kernel.detects}",
                                   Qt.ItemDataRole.ToolTipRole)
        self.named.setToolTip("Set the current grid (the one last clicked) to a classic kernel; Undo takes it back")

    # ------------------------------------------------------------------ edits

    def commit(self, channel: int, row: int, col: int, block: list[list[str]], text: str) -> bool:
        """Cells of the grid over `channel` from (row, col) set from typed text, as one undoable step."""
        return self._apply(lambda p: set_kernel_block(p, self.column, self.out, channel, row, col, block), text)

    def apply_named(self, name: str, channel: int | None = None) -> bool:
        channel = self.channel if channel is None else channel
        return self._apply(lambda p: apply_named_kernel(p, self.column, self.out, channel, name),
                           f"Set kernel {self.out + 1} to {named_kernel(name).label}")

    def paste_text(self, text: str, channel: int | None = None) -> bool:
        """A block pasted at the current cell of the grid over `channel` (the current grid by default)."""
        channel = self.channel if channel is None else channel
        grid = next((grid for grid, model in zip(self.grids, self.models) if model.channel == channel), None)
        if grid is None:
            return self._show_error("there is no grid to paste into: this kernel is too large to type cell by cell")
        current = grid.currentIndex()
        row, col = (current.row(), current.column()) if current.isValid() else (0, 0)
        try:
            check_paste_size(len(text), (self.k - row) * (self.k - col), f"kernel {self.out + 1} from row {row + 1}")
            block = paste_cells(text)
        except (NNStudioError, LiteralError) as error:
            return self._show_error(f"the paste cannot be read: {error}")
        if not block:
            return self._show_error("the clipboard holds no text to paste")
        return self.commit(channel, row, col, block, f"Paste into kernel {self.out + 1}")

    def _paste_into(self, grid: KernelGrid) -> None:
        self.channel = self.models[self.grids.index(grid)].channel
        if self.view.editable:
            self.paste_text(QGuiApplication.clipboard().text())

    def _on_named(self, index: int) -> None:
        name = self.named.itemData(index)
        self.named.setCurrentIndex(0)
        if name:
            self.apply_named(name)

    def _commit_bias(self, text: str) -> bool:
        return self._apply(lambda p: set_kernel_bias(p, self.column, self.out, text),
                           f"Set bias of kernel {self.out + 1}")

    def _apply(self, edit: Callable[[Project], Project], text: str) -> bool:
        if not self.view.editable or self.document.structure_locked:  # a run may have started since the last refresh
            return self._show_error("the kernel is shown read-only now (a run, a rewound moment or a gradient)")
        try:
            self.document.apply(edit(self.document.project), text, "values")
        except NNStudioError as error:
            return self._show_error(str(error))
        self.error.hide()
        return True

    def _show_error(self, text: str) -> bool:
        self.error.setText(text)
        self.error.show()
        return False


class _BiasEdit(QLineEdit):
    """The kernel's bias as an expression, committed on Enter or when focus leaves; set again in place as the document
    changes. Out of focus it reads as the cells do (the canvas's digits, "−"; the full value in its tooltip), in focus
    it holds the typed expression or the full value to edit (a raw "-0.5009999999570747" sat beside "−0.501")."""

    def __init__(self, commit: Callable[[str], bool]) -> None:
        super().__init__()
        self.setObjectName("kernelBias")
        self.setPlaceholderText("a number or expression, e.g. 1/sqrt(2)")
        self._commit = commit
        self._committed = ""  # the text to edit, as the document holds it
        self._shown = ""  # the text to read, as the cells show numbers
        self.editingFinished.connect(self._on_editing_finished)

    def _on_editing_finished(self) -> None:
        if self.text() != self._committed and self._commit(self.text()):  # focusing swapped `shown` for it
            self._committed = self.text()

    def show_value(self, shown: str, edit: str, full: str) -> None:
        """`shown` to read, `edit` (typed text or the full value) to edit, `full` in the tooltip."""
        self._shown = shown
        self.setToolTip(f"{full}: click to type a number or expression; Enter commits")
        if not self.hasFocus():
            self.setText(shown)
            self.setCursorPosition(0)
        elif self.text() == self._committed:  # in focus but not typed in: it follows the document
            self.setText(edit)
        self._committed = edit

    @override
    def focusInEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self.text() == self._shown:
            self.setText(self._committed)
        super().focusInEvent(event)

    @override
    def focusOutEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().focusOutEvent(event)  # commits (editingFinished) first
        if self.text() == self._committed:
            self.setText(self._shown)
            self.setCursorPosition(0)
