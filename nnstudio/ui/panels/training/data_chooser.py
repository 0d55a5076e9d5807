"""The Training panel's Dataset, Data and Test part rows: which data the next run trains on, and where it lies.

What the Data field holds follows the dataset chosen (a folder of IDX files, a CSV file, a typed function);
its "…" button opens a file or folder dialog where the person's data is.

Only the sets that fit the document's network can be chosen (data/catalogue.py's `fits`): the others stay
listed, greyed, with the reason as their tooltip, and the list follows the network as it is edited. The
choice is saved with the network: each change of a field is an edit of the document
(document/data_choice.py), and the form shows the project's choice when a network is opened, or Undo takes
one back. A set chosen for the form alone (the usual set for a network that saved none, or the first that
fits after an edit) is not an edit: opening a file never marks it modified.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from PySide6.QtCore import QObject
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from nnstudio.core.errors import NNStudioError
from nnstudio.core.project import FUNCTION_PREFIX, TEST_FRACTIONS, DataChoice
from nnstudio.data.catalogue import CATALOGUE, FUNCTION, XOR_NOTE, DatasetInfo, describe, fits, preferred
from nnstudio.document import Document
from nnstudio.document.data_choice import choose_data
from nnstudio.ui.lifetimes import listen

# A typed function before a CSV file: for a network no built-in set fits (cosine-memory's ReLU output), the
# first that fits is then a function of x1, x2 one can type at once, not a file to go and find.
DATASETS = [(info.label, name) for name, info in CATALOGUE.items()] + [(FUNCTION.label, "function"),
                                                                      ("CSV file…", "csv")]
IMAGE_SETS = ("mnist", "fashion-mnist")  # the sets whose Data field is a folder
CSV_TIP = "a CSV file, its last column the target: checked when the run reads it"


def _about(info: DatasetInfo) -> str:
    """A set's tooltip when it fits: what it gives ("2 inputs, 3 classes, 400 points")."""
    inputs = f"{info.features} input{'s' if info.features != 1 else ''}"
    kind = f"{info.classes} classes" if info.classes else "regression"
    points = f", {info.points:,} points" if info.points else ""
    return info.note or f"{inputs}, {kind}{points}"


class DataChooser(QObject):
    """The Dataset list and the Data field beside its "…" button; `add_rows` places them in the panel's form.

    `folders()`: the folder the person last used, where the "…" dialog starts when the Data field names none;
    `remember(path)`: told the file or folder chosen there. Without them the dialog starts where Qt starts it.
    """

    def __init__(self, owner: QWidget, document: Document, folders: Callable[[], str] | None = None,
                 remember: Callable[[str], None] | None = None) -> None:
        super().__init__(owner)
        self._owner = owner  # the dialogs' parent
        self.document = document
        self._showing = False  # the form is being set to a choice: not the person's, not an edit
        self._own = False  # the form shows a set of its own choosing, not the saved one nor the person's
        self._last_folder = folders or (lambda: "")
        self._remember_folder = remember or (lambda path: None)
        self.dataset = QComboBox()
        self.dataset.setObjectName("dataset")
        for label, name in DATASETS:
            self.dataset.addItem(label, name)
        self._texts: dict[str, str] = {}  # what the Data field held for a folder, a CSV file, a function
        self._text_kind = self._kind(self.dataset.currentData())
        self.dataset.currentIndexChanged.connect(self._swap_text)
        self.dataset.currentIndexChanged.connect(self.on_dataset_changed)
        self.dataset.currentIndexChanged.connect(lambda: self._commit())
        self.source = QLineEdit()
        self.source.setObjectName("datasetSource")
        self.source.setPlaceholderText("folder with the IDX files (optional)")
        browse = QPushButton("…")
        browse.setObjectName("browseSource")
        browse.setFixedWidth(28)
        browse.clicked.connect(self.browse)
        self.source_row = QHBoxLayout()
        self.source_row.addWidget(self.source, 1)
        self.source_row.addWidget(browse)
        self.source.editingFinished.connect(lambda: self._commit())
        self.test_fraction = QDoubleSpinBox()
        self.test_fraction.setObjectName("testFraction")
        self.test_fraction.setRange(*TEST_FRACTIONS)
        self.test_fraction.setSingleStep(0.05)
        self.test_fraction.setValue(0.25)
        self.test_fraction.valueChanged.connect(lambda: self._commit())
        listen(self, document.changed, self._on_document_changed)

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow("Dataset", self.dataset)
        form.addRow("Data", self.source_row)
        form.addRow("Test part", self.test_fraction)

    # ------------------------------------------------------------------ the choice and the document

    def choice(self) -> DataChoice | None:
        """The form's choice as the document saves it; None while a CSV file or a function is still to be typed
        (or is longer than a file may hold: it is then not saved, and the run reads the field as it is)."""
        try:
            name, source = self.chosen()
            return DataChoice(name, (source or "") if name in IMAGE_SETS else "", self.test_fraction.value())
        except NNStudioError:
            return None

    def _commit(self) -> None:
        """The person changed a field: save the choice in the document (one undoable edit)."""
        if self._showing:
            return
        self._own = False
        choice = self.choice()
        if choice is not None:
            choose_data(self.document, choice)

    def _on_document_changed(self, kind: str) -> None:
        if kind == "data":  # Undo, Redo, or the edit just made: the form shows what the project holds
            if self.document.project.training_data != self.choice():
                self.load()
        elif kind in ("structure", "values"):
            self.follow()

    def load(self) -> None:
        """Show the project's choice if it fits its network, else the usual set for it, else (a set that fits
        nothing) what is chosen if it still fits, else the first set that fits. The panel calls this when
        another network was opened (TrainingPanel._load_settings)."""
        self._mark_fitting()
        choice = preferred(self.document.project)
        self._own = choice is None or choice is not self.document.project.training_data
        if choice is not None:
            self.show(choice)
        else:
            self._first_fitting()

    def follow(self) -> None:
        """The network was edited: grey what no longer fits; if the set chosen is among them, or the form shows a
        set of its own while the saved one fits again (an edit undone), choose again."""
        self._mark_fitting()
        saved = self.document.project.training_data
        if not self._enabled(self.dataset.currentIndex()) or self._own and saved is not None and \
                fits(self.document.project.network, saved.dataset) is None:
            self.load()

    @staticmethod
    def _kind(key: str | None) -> str | None:
        """What the Data field holds for the set `key`: a folder, a CSV file's path, a function; None: nothing."""
        return "folder" if key in IMAGE_SETS else key if key in ("csv", "function") else None

    def _swap_text(self) -> None:
        """Keep what was typed for each kind of Data field: a folder does not become a function's text."""
        kind = self._kind(self.dataset.currentData())
        if kind is None or kind == self._text_kind:
            return
        if self._text_kind is not None:
            self._texts[self._text_kind] = self.source.text()
        self.source.setText(self._texts.get(kind, ""))
        self._text_kind = kind

    def show(self, choice: DataChoice) -> None:
        """Put `choice` in the form without making an edit of it."""
        name = choice.dataset
        key = name if name in CATALOGUE else "function" if name.startswith(FUNCTION_PREFIX) else "csv"
        with self._not_an_edit():
            self.dataset.setCurrentIndex(self.dataset.findData(key))
            if key in IMAGE_SETS:
                self.source.setText(choice.folder)
            elif key == "function":
                self.source.setText(name[len(FUNCTION_PREFIX):])
            elif key == "csv":
                self.source.setText(name)
            self.test_fraction.setValue(choice.test_fraction)

    def _first_fitting(self) -> None:
        """Keep the set shown if it fits (a CSV file only when nothing else does: it is the last resort, and a
        CSV file the person chose is saved with the project and shown from there), else the first that fits."""
        if self._enabled(self.dataset.currentIndex()) and self.dataset.currentData() != "csv":
            return
        row = next(row for row in range(self.dataset.count()) if self._enabled(row))  # CSV always fits
        with self._not_an_edit():
            self.dataset.setCurrentIndex(row)

    @contextmanager
    def _not_an_edit(self) -> Iterator[None]:
        """The form is set to a choice that is not the person's: its fields' signals make no edit."""
        self._showing = True
        try:
            yield
        finally:
            self._showing = False

    def _enabled(self, row: int) -> bool:
        item = self._model().item(row) if row >= 0 else None
        return item is not None and item.isEnabled()

    def _model(self) -> QStandardItemModel:
        model = self.dataset.model()
        assert isinstance(model, QStandardItemModel)  # a QComboBox's own model
        return model

    def _mark_fitting(self) -> None:
        """Enable the sets that fit the network, each greyed one with why not as its tooltip."""
        network = self.document.project.network
        model = self._model()
        for row in range(self.dataset.count()):
            key = self.dataset.itemData(row)
            name = f"{FUNCTION_PREFIX}x1" if key == "function" else key
            info = describe(name)
            reason = fits(network, name) if info is not None else None
            item = model.item(row)
            item.setEnabled(reason is None)
            item.setToolTip(CSV_TIP if info is None else reason or _about(info))

    def on_dataset_changed(self) -> None:
        name = self.dataset.currentData()
        placeholder = {"mnist": "folder with the MNIST files (optional: found or downloaded)",
                       "fashion-mnist": "folder with the Fashion-MNIST files (optional)",
                       "csv": "path to a .csv file (last column is the target)",
                       "function": "a function of x1, x2, e.g. sin(x1) + x2^2"}.get(name, "nothing needed")
        self.source.setPlaceholderText(placeholder)
        self.source.setEnabled(name in ("mnist", "fashion-mnist", "csv", "function"))
        # XOR trains and tests on its 4 points (data/named.py): a test part would hold one of them out
        self.test_fraction.setEnabled(name != "xor")
        self.test_fraction.setToolTip(XOR_NOTE if name == "xor" else "the part of the data held out for testing")

    def chosen(self) -> tuple[str, str | None]:
        """(the dataset's name, its source) as a TrainingRequest takes them: a CSV file and a typed function are
        named by the field's text. Raises NNStudioError when the field they need is empty."""
        name = self.dataset.currentData()
        source = self.source.text().strip() or None
        if name == "csv":
            if not source:
                raise NNStudioError("choose a CSV file")
            name, source = source, None
        elif name == "function":
            if not source:
                raise NNStudioError("type a function of x1, x2, such as sin(x1) + x2^2")
            name, source = f"function:{source}", None
        return name, source

    def browse(self) -> None:
        """Choose the CSV file or the folder of IDX files. The dialog starts at what the field names, else
        in the folder the person last used: it opened in the home folder, however deep the data lay."""
        csv = self.dataset.currentData() == "csv"
        start = self._browse_start(files=csv)
        if csv:
            path, _ = QFileDialog.getOpenFileName(self._owner, "CSV file", start, "CSV files (*.csv);;All files (*)")
        else:
            path = QFileDialog.getExistingDirectory(self._owner, "Folder with the IDX files", start)
        if path:
            self.source.setText(path)
            self._remember_folder(path)

    def _browse_start(self, files: bool) -> str:
        """The folder typed in the field if it exists (a typed file: itself when choosing a file, so the
        dialog shows it chosen, else its folder); otherwise the last folder used."""
        text = self.source.text().strip()
        try:
            typed = Path(text).expanduser().absolute() if text else None
        except RuntimeError:  # "~someone" whose home is unknown: no folder typed
            typed = None
        if typed is not None and typed.is_dir():
            return str(typed)
        if typed is not None and typed.is_file():
            return str(typed if files else typed.parent)
        return self._last_folder()
