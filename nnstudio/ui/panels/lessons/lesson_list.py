"""The lessons to choose from: the shipped ones in teaching order with how far the learner got, and a lesson
file of one's own.

Progress is the lessons room's (it keeps it in the settings); this list only shows what it is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget


@dataclass(frozen=True)
class LessonEntry:
    """One row: a lesson, its title, and the learner's progress in it."""

    name: str
    title: str
    tasks: int
    passed: int
    page: int  # the page to resume at (0: not started)
    pages: int


def entry_text(number: int, entry: LessonEntry) -> str:
    done = "✓ " if entry.tasks and entry.passed >= entry.tasks else ""
    where = f" · page {entry.page + 1} of {entry.pages}" if entry.page else ""
    return f"{number}. {done}{entry.title}\n     {entry.passed} of {entry.tasks} tasks done{where}"


class LessonList(QWidget):
    """`start_requested(name)`: open a shipped lesson where the learner left it; `restart_requested(name)`: from
    its first page with its own networks; `open_file_requested`: a lesson file of one's own."""

    start_requested = Signal(str)
    restart_requested = Signal(str)
    open_file_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: dict[str, LessonEntry] = {}
        intro = QLabel("Lessons walk through the ideas a page at a time. Each page opens the network it starts "
                       "from; its task is checked as you work.")
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("lessonList")
        self.list.setWordWrap(True)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startLesson")
        self.over_button = QPushButton("Start over")
        self.over_button.setObjectName("restartLesson")
        self.over_button.setToolTip("Begin the lesson again from its first page (your saved work in it is forgotten)")
        self.file_button = QPushButton("Open Lesson File…")
        self.file_button.setObjectName("openLessonFile")
        self.file_button.setToolTip("A lesson written as a Markdown file (docs/lessons.md says how)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.over_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.file_button)
        self.list.itemActivated.connect(lambda item: self.start_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.start_button.clicked.connect(lambda: self._emit_for_current(self.start_requested))
        self.over_button.clicked.connect(lambda: self._emit_for_current(self.restart_requested))
        self.file_button.clicked.connect(self.open_file_requested.emit)

    def show_entries(self, entries: list[LessonEntry], current: str | None = None) -> None:
        """Fill the list; `current` (the lesson last open) is selected, else the first not yet done."""
        self.list.clear()
        self._entries = {entry.name: entry for entry in entries}
        for number, entry in enumerate(entries, start=1):
            item = QListWidgetItem(entry_text(number, entry))
            item.setData(Qt.ItemDataRole.UserRole, entry.name)
            self.list.addItem(item)
        names = [entry.name for entry in entries]
        unfinished = [entry.name for entry in entries if entry.passed < entry.tasks]
        chosen = current if current in names else (unfinished[0] if unfinished else None)
        self.list.setCurrentRow(names.index(chosen) if chosen in names else 0)
        self._update_buttons()

    def current_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _emit_for_current(self, signal: Signal) -> None:
        name = self.current_name()
        if name is not None:
            signal.emit(name)

    def _update_buttons(self) -> None:
        entry = self._entries.get(self.current_name() or "")
        self.start_button.setEnabled(entry is not None)
        self.over_button.setEnabled(entry is not None)
        begun = entry is not None and (entry.page > 0 or entry.passed > 0)
        self.start_button.setText("Resume" if begun else "Start")
