"""One page of a lesson: where it is in the lesson, its text, its task, and the way back and on.

The page only shows and asks: moving to a page, starting it again and going back to the list are signals the
lessons room answers (it owns the settings, the open network and the unsaved-changes question).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCharFormat, QTextCursor, QTextDocument, QTextFormat
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from nnstudio.lessons.lesson_file import Lesson, Page
from nnstudio.ui.panels.lessons.task_box import Grade, TaskBox


def text_only(markdown: str) -> QTextDocument:
    """`markdown` as a document with every picture replaced by its words ("[picture: alt]") and no raw HTML.

    Why: a lesson is a file anyone may hand a learner, and Qt's text layout reads the file a picture names
    (`![x](/dev/zero)`, a path on the learner's computer) when it lays the picture out, whatever loadResource
    answers. So pictures are taken out before the document is ever laid out or shown."""
    document = QTextDocument()
    document.setMarkdown(markdown, QTextDocument.MarkdownFeature.MarkdownDialectGitHub
                         | QTextDocument.MarkdownFeature.MarkdownNoHTML)
    pictures: list[tuple[int, int, str]] = []
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            if fragment.isValid() and fragment.charFormat().isImageFormat():
                alt = fragment.charFormat().stringProperty(QTextFormat.Property.ImageAltText)
                pictures.append((fragment.position(), fragment.length(), alt))
            fragments += 1
        block = block.next()
    cursor = QTextCursor(document)
    for position, length, alt in reversed(pictures):
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(f"[picture: {alt}]" if alt else "[picture]", QTextCharFormat())
    return document


class PageText(QLabel):
    """A page's Markdown as text only (text_only), word-wrapped to the dock's width; links are not followed."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setOpenExternalLinks(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

    def show_markdown(self, markdown: str) -> None:
        self.setText(text_only(markdown).toHtml())

    def plain_text(self) -> str:
        """The words shown, without their formatting (what a learner reads)."""
        document = QTextDocument()
        document.setHtml(self.text())
        return document.toPlainText()


class PageView(QWidget):
    """The page being read. `page_requested(index)`: Back or Next; `restart_requested`: this page's network
    again; `list_requested`: back to all lessons."""

    page_requested = Signal(int)
    restart_requested = Signal()
    list_requested = Signal()

    def __init__(self, grade: Grade, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lesson: Lesson | None = None
        self.index = 0
        self.where = QLabel()
        self.where.setObjectName("lessonWhere")
        self.where.setWordWrap(True)
        self.heading = QLabel()
        self.heading.setObjectName("pageTitle")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.text = PageText()
        self.text.setObjectName("pageText")
        self.task_box = TaskBox(grade)
        # The page's words and its task scroll; where it is, Check and the moves stay in sight however short the
        # dock is (a Training or Results dock below takes most of the left column's height).
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 4, 0)
        column.addWidget(self.heading)
        column.addWidget(self.text)
        column.addWidget(self.task_box)
        column.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("pageScroll")
        self.scroll.setWidget(body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setMinimumHeight(60)
        self.task_box.checked.connect(lambda: self.scroll.ensureWidgetVisible(self.task_box.result))

        self.all_button = QPushButton("All lessons")
        self.all_button.setObjectName("allLessons")
        self.back_button = QPushButton("◀ Back")
        self.back_button.setObjectName("pageBack")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setObjectName("pageNext")
        self.restart_button = QPushButton("Start page again")
        self.restart_button.setObjectName("pageRestart")
        self.restart_button.setToolTip("Open this page's network again, as the page starts it (your changes to the "
                                       "open network can be undone)")
        top = QHBoxLayout()
        top.addWidget(self.where, 1)
        top.addWidget(self.all_button)
        moves = QHBoxLayout()
        moves.addWidget(self.back_button)
        moves.addWidget(self.restart_button)
        moves.addStretch(1)
        moves.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.task_box.actions)
        layout.addLayout(moves)
        self.back_button.clicked.connect(lambda: self.page_requested.emit(self.index - 1))
        self.next_button.clicked.connect(lambda: self.page_requested.emit(self.index + 1))
        self.restart_button.clicked.connect(self.restart_requested.emit)
        self.all_button.clicked.connect(self.list_requested.emit)

    @property
    def page(self) -> Page | None:
        return self.lesson.pages[self.index] if self.lesson is not None else None

    def show_page(self, lesson: Lesson, index: int) -> None:
        """Show page `index` of `lesson`, its task unchecked."""
        self.lesson, self.index = lesson, index
        page = lesson.pages[index]
        self.where.setText(f"{lesson.title} · page {index + 1} of {len(lesson.pages)}")
        self.heading.setText(page.title)
        self.text.show_markdown(page.text)
        self.back_button.setEnabled(index > 0)
        last = index == len(lesson.pages) - 1
        self.next_button.setText("Finish" if last else "Next ▶")
        self.restart_button.setVisible(lesson.network_page(index) is not None)
        self.task_box.show_task(page.task)
        self.scroll.verticalScrollBar().setValue(0)
