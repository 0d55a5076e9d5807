"""The Lessons dock's panel: the list of lessons, or the page being read.

A view only: what the buttons ask for is answered by the lessons room (nnstudio/ui/window/lessons.py), which
also hands the task box its grader.
"""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QWidget

from nnstudio.lessons.grading import TaskResult
from nnstudio.lessons.lesson_file import Lesson, Task
from nnstudio.ui.panels.dock_layout import dock_column
from nnstudio.ui.panels.lessons.lesson_list import LessonList
from nnstudio.ui.panels.lessons.page_view import PageView
from nnstudio.ui.panels.lessons.task_box import Grade


def _not_yet(task: Task, _answers: dict[str, float]) -> TaskResult:
    """The grader before the room hands over its own (nothing passes unseen)."""
    return TaskResult(task.id, "fail", ("the lessons panel is not connected to a window",))


class LessonPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self._grade: Grade = _not_yet
        self.list_view = LessonList()
        self.page_view = PageView(lambda task, answers: self._grade(task, answers))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list_view)
        self.stack.addWidget(self.page_view)
        layout = dock_column(self)
        layout.addWidget(self.stack, 1)

    def set_grader(self, grade: Grade) -> None:
        self._grade = grade

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list_view)

    def show_page(self, lesson: Lesson, index: int) -> None:
        self.page_view.show_page(lesson, index)
        self.stack.setCurrentWidget(self.page_view)
