"""The Training panel's Dataset and Data rows: which data the next run trains on, and where it lies.

What the Data field holds follows the dataset chosen (a folder of IDX files, a CSV file, a typed function);
its "…" button opens a file or folder dialog where the person's data is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from nnstudio.core.errors import NNStudioError

DATASETS = [("MNIST digits", "mnist"), ("Fashion-MNIST", "fashion-mnist"), ("XOR (4 points)", "xor"),
            ("x1·x2 quadrants", "product"), ("Circles", "circles"), ("Two spirals", "spirals"),
            ("Gaussian clusters", "clusters"), ("Noisy quadratic (regression)", "quadratic"),
            ("CSV file…", "csv"), ("Typed function…", "function")]


class DataChooser(QObject):
    """The Dataset list and the Data field beside its "…" button; `add_rows` places them in the panel's form.

    `folders()`: the folder the person last used, where the "…" dialog starts when the Data field names none;
    `remember(path)`: told the file or folder chosen there. Without them the dialog starts where Qt starts it.
    """

    def __init__(self, owner: QWidget, folders: Callable[[], str] | None = None,
                 remember: Callable[[str], None] | None = None) -> None:
        super().__init__(owner)
        self._owner = owner  # the dialogs' parent
        self._last_folder = folders or (lambda: "")
        self._remember_folder = remember or (lambda path: None)
        self.dataset = QComboBox()
        self.dataset.setObjectName("dataset")
        for label, name in DATASETS:
            self.dataset.addItem(label, name)
        self.dataset.currentIndexChanged.connect(self.on_dataset_changed)
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

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow("Dataset", self.dataset)
        form.addRow("Data", self.source_row)

    def on_dataset_changed(self) -> None:
        name = self.dataset.currentData()
        placeholder = {"mnist": "folder with the MNIST files (optional: found or downloaded)",
                       "fashion-mnist": "folder with the Fashion-MNIST files (optional)",
                       "csv": "path to a .csv file (last column is the target)",
                       "function": "a function of x1, x2, e.g. sin(x1) + x2^2"}.get(name, "nothing needed")
        self.source.setPlaceholderText(placeholder)
        self.source.setEnabled(name in ("mnist", "fashion-mnist", "csv", "function"))

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
