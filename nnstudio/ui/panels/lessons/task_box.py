"""A lesson page's task: what to do, a field for each value to type, Check, a live tick, and hints on request.

The box grades nothing itself: `grade(task, answers)` is the lessons room's (it hands the open network and the
step-through's phase to nnstudio/lessons/grading.py), so the panel and `nnstudio check` can never disagree.
The tick follows every edit; the written result appears on Check and from then on follows every edit too, so
what it says is always about the network the canvas shows, never about the moment Check was pressed.
"""

from __future__ import annotations

import html
import math
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.core.expr import evaluate_number
from nnstudio.lessons.check_types import AnswerCheck, answer_name
from nnstudio.lessons.grading import CURRENT, FAIL, PASS, TaskResult, input_text
from nnstudio.lessons.lesson_file import Task

Grade = Callable[[Task, dict[str, float]], TaskResult]
PASS_COLOUR, FAIL_COLOUR, WAIT_COLOUR = "#15803d", "#b91c1c", "#6b7280"


def typed_answers(fields: dict[str, QLineEdit]) -> tuple[dict[str, float], list[str]]:
    """The values typed so far by quantity name, and a line for each field that is empty or not a number."""
    answers: dict[str, float] = {}
    problems: list[str] = []
    for name, field in fields.items():
        text = field.text().strip()
        if not text:
            problems.append(f"type your value of {name} in its field")
            continue
        try:
            value = evaluate_number(text)
        except NNStudioError as error:
            problems.append(f"{name}: {error}")
            continue
        if not math.isfinite(value):
            problems.append(f"{name}: {text!r} is not a finite number")
            continue
        answers[name] = value
    return answers, problems


class TaskBox(QWidget):
    """One task of the page being read. `passed` is emitted (task id) each time a Check or an edit finds it passing."""

    passed = Signal(str)
    checked = Signal()  # Check was pressed: the result is written (the page scrolls to it)

    def __init__(self, grade: Grade, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("taskBox")
        self._grade = grade
        self.task: Task | None = None
        self.fields: dict[str, QLineEdit] = {}
        self._shown_hints = 0
        self._checked = False  # Check was pressed: the written result follows every edit from then on
        self.status = TaskResult("", FAIL, ())

        self.title = QLabel()
        self.title.setObjectName("taskTitle")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600;")
        self.tick = QLabel()
        self.tick.setObjectName("taskTick")
        self.answer_form = QFormLayout()
        self.answer_form.setContentsMargins(0, 0, 0, 0)
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("checkTask")
        self.check_button.setToolTip("Check the task against the network on the canvas (Enter in an answer field)")
        self.hint_button = QPushButton("Hint")
        self.hint_button.setObjectName("taskHint")
        self.result = QLabel()
        self.result.setObjectName("taskResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hints = QLabel()
        self.hints.setObjectName("taskHints")
        self.hints.setWordWrap(True)
        self.hints.setStyleSheet(f"color: {WAIT_COLOUR};")

        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.tick, 0, Qt.AlignmentFlag.AlignTop)
        # Check and Hint, for the page to place where they stay in sight (page_view.py), not in this box.
        self.actions = QWidget()
        self.actions.setObjectName("taskActions")
        buttons = QHBoxLayout(self.actions)
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.hint_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(heading)
        layout.addLayout(self.answer_form)
        layout.addWidget(self.result)
        layout.addWidget(self.hints)
        self.check_button.clicked.connect(self.check)
        self.hint_button.clicked.connect(self.next_hint)

    # ------------------------------------------------------------------ which task

    def show_task(self, task: Task | None) -> None:
        """Show `task` (None: a page without one hides the box) with empty answer fields and no result yet."""
        self.task = task
        self._checked = False
        self._shown_hints = 0
        while self.answer_form.rowCount():
            self.answer_form.removeRow(0)
        self.fields = {}
        self.setVisible(task is not None)
        self.actions.setVisible(task is not None)
        if task is None:
            return
        self.title.setText(f"Task: {task.title}")
        for check in task.checks:
            if isinstance(check, AnswerCheck):
                name = answer_name(check)
                field = QLineEdit()
                field.setObjectName(f"answer:{name}")
                field.setPlaceholderText("a number or expression")
                where = "the current input" if check.x == CURRENT else f"x = ({input_text(check.x)})"
                field.setToolTip(f"Your value of {name} for {where}; Enter checks")
                field.returnPressed.connect(self.check)
                field.textChanged.connect(lambda _text: self.refresh())
                self.fields[name] = field
                self.answer_form.addRow(f"{name} =", field)
        self.result.clear()
        self.result.hide()
        self.hints.clear()
        self._update_hint_button()
        self.refresh()

    # ------------------------------------------------------------------ grading

    def check(self) -> None:
        """Check pressed (or Enter in an answer field): say pass, or what is not yet right."""
        self._checked = True
        self.refresh()
        self.checked.emit()

    def refresh(self) -> None:
        """Grade again (the network, the phase or a typed value changed): the tick, and the result once checked."""
        task = self.task
        if task is None:
            return
        answers, problems = typed_answers(self.fields)
        graded = self._grade(task, answers)
        lines = list(graded.lines) if graded.status == FAIL else []
        lines += problems
        status = PASS if graded.status == PASS and not problems else FAIL
        self.status = TaskResult(task.id, status, tuple(lines))
        done = status == PASS
        self.tick.setText("✓ Passed" if done else "○ Not yet")
        self.tick.setStyleSheet(f"color: {PASS_COLOUR if done else WAIT_COLOUR}; font-weight: 600;")
        if self._checked:
            self.result.setText(self._result_html(task, self.status))
            self.result.show()
        if done:
            self.passed.emit(task.id)

    @staticmethod
    def _result_html(task: Task, result: TaskResult) -> str:
        if result.status == PASS:
            why = f" {html.escape(task.explain)}" if task.explain else ""
            return f"<span style='color:{PASS_COLOUR}'><b>✓ Right.</b></span>{why}"
        items = "".join(f"<li>{html.escape(line)}</li>" for line in result.lines)
        return (f"<span style='color:{FAIL_COLOUR}'><b>Not yet:</b></span>"
                f"<ul style='margin-left:-20px'>{items}</ul>")

    # ------------------------------------------------------------------ hints

    def next_hint(self) -> None:
        """Show one more hint (they come one at a time, so a learner takes only as much help as they need)."""
        if self.task is None or self._shown_hints >= len(self.task.hints):
            return
        self._shown_hints += 1
        self.hints.setText("\n".join(f"Hint {n + 1}: {hint}" for n, hint in
                                     enumerate(self.task.hints[: self._shown_hints])))
        self._update_hint_button()

    def _update_hint_button(self) -> None:
        total = len(self.task.hints) if self.task is not None else 0
        left = total - self._shown_hints
        self.hint_button.setEnabled(left > 0)
        self.hint_button.setText("Hint" if self._shown_hints == 0 else f"Another hint ({left} left)")
        self.hint_button.setVisible(total > 0)
