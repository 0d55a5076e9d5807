"""Help → Lessons: the lessons dock's room. It opens each page's network, grades the open one, and keeps the
learner's place and work.

- **Networks.** A page with a network block (or the nearest earlier one) works on that network: it is opened as
  a new untitled document, after the usual unsaved-changes question when the open network is not the lesson's.
  The learner's work on it is kept in the user data folder (nnstudio/lessons/working_copies.py), one file per
  such page, written a second after an edit and whenever the page, the lesson or the window closes; moving
  between pages, or coming back another day, opens that work rather than the page's fresh network, so nothing
  a learner did in a lesson is lost by moving on in it.
- **Grading.** Every task is graded by nnstudio/lessons/grading.py against the document's network and the
  step-through's phase, so the panel and `nnstudio check` say the same; the box follows every edit and step.
- **Progress.** The settings keep, per lesson, the page and the tasks passed, and which lesson was open.
"""

from __future__ import annotations

from typing import Callable, Protocol

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMessageBox, QWidget

from nnstudio.core.errors import NNStudioError
from nnstudio.core.project import Project
from nnstudio.crash_log import write_log
from nnstudio.document import Document
from nnstudio.lessons.fields import LessonFileError
from nnstudio.lessons.grading import FAIL, TaskResult, check_task
from nnstudio.lessons.lesson_file import Lesson, Task, start_project
from nnstudio.lessons.phases import lesson_phase
from nnstudio.lessons.shipped import list_lessons, load_lesson, read_lesson_file
from nnstudio.lessons.working_copies import forget_working, load_working, save_working
from nnstudio.ui.lifetimes import listen
from nnstudio.ui.panels.lessons.lesson_list import LessonEntry
from nnstudio.ui.panels.lessons.lesson_panel import LessonPanel
from nnstudio.ui.window.actions import ActionSpec
from nnstudio.ui.window.files import Files
from nnstudio.ui.window.training_hooks import TRAINING_DOCK_HEIGHT

#: The lessons dock's width when it is shown (the text wants more than the Input panel's 220 px), and its share
#: of the height of the left side, above the Input and output dock (which scrolls when short).
LESSON_WIDTH = 340
LESSON_HEIGHT_SHARE = 0.68
#: How long after an edit the working network is written (an edit burst is written once).
SAVE_DELAY_MS = 1000
FILE_PREFIX = "file:"

ACTIONS: list[ActionSpec] = [
    ActionSpec("lessons", "&Lessons", "Ctrl+Shift+L",
               "Lessons a page at a time: read, do the task on the canvas, and the studio checks it"),
]


class LessonWindow(Protocol):
    """What the room needs of the window (MainWindow is one)."""

    document: Document
    settings: QSettings
    files: Files
    lessons_dock: QDockWidget
    io_dock: QDockWidget
    training_dock: QDockWidget
    results_dock: QDockWidget
    lessons_panel: LessonPanel

    def report(self, message: str) -> None: ...
    def show_error(self, title: str, message: str) -> QMessageBox: ...
    def resizeDocks(self, docks: list[QDockWidget], sizes: list[int], orientation: Qt.Orientation) -> None: ...


class Lessons:
    specs = ACTIONS

    def __init__(self, window: LessonWindow) -> None:
        self.window = window
        self.lesson: Lesson | None = None
        self.source = ""  # a shipped lesson's name, or FILE_PREFIX + the path of a lesson file
        self.index = 0
        # (lesson, network page) whose network the document holds, if it holds a lesson's at all
        self.open_key: tuple[str, int] | None = None
        self._opening = False
        # The window's child: it ends with the window, and never fires at a window already gone.
        self._save_timer = QTimer(window if isinstance(window, QWidget) else None)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.flush)

    def handlers(self) -> dict[str, Callable[..., object]]:
        return {"lessons": self.show_lessons}

    def connect(self) -> None:
        """Wire the panel and the document (called once the dock exists)."""
        panel, document = self.window.lessons_panel, self.window.document
        panel.set_grader(self.grade)
        panel.list_view.start_requested.connect(self.start)
        panel.list_view.restart_requested.connect(self.start_over)
        panel.list_view.open_file_requested.connect(self.open_file_dialog)
        panel.page_view.page_requested.connect(self.go_to)
        panel.page_view.restart_requested.connect(self.restart_page)
        panel.page_view.list_requested.connect(self.show_list)
        panel.page_view.task_box.passed.connect(self._on_passed)
        window = self.window
        assert isinstance(window, QWidget)
        for bottom in (window.training_dock, window.results_dock):
            # After the dock has taken its room (the next turn of the event loop), and never after the window.
            bottom.visibilityChanged.connect(
                lambda shown: shown and QTimer.singleShot(0, window, self._give_the_lesson_the_left_column))
        listen(window, document.replaced, self._on_replaced)
        listen(window, document.changed, self._on_changed)
        listen(window, document.shown_changed, self._refresh)

    # ------------------------------------------------------------------ the dock

    def show_lessons(self) -> None:
        """Help → Lessons: the dock, at the lesson last open (its page) or the list of lessons."""
        window = self.window
        dock = window.lessons_dock
        first = not dock.isVisible()
        dock.show()
        dock.raise_()
        if first:
            window.resizeDocks([dock], [LESSON_WIDTH], Qt.Orientation.Horizontal)
            if window.io_dock.isVisible():
                height = dock.height() + window.io_dock.height()
                share = round(height * LESSON_HEIGHT_SHARE)
                window.resizeDocks([dock, window.io_dock], [share, height - share], Qt.Orientation.Vertical)
        if self.lesson is None:
            current = str(window.settings.value("lessons/current", "") or "")
            self.show_list(current)

    def _give_the_lesson_the_left_column(self) -> None:
        """A Training or Results dock opened below takes height from the left column. While a lesson is open the
        bottom dock opens at the Training dock's usual height (the Results dock alone asked for half the window),
        and the lesson keeps all the left column but the Input and output dock's least height, so its task, Check
        and Next stay in sight."""
        window = self.window
        if not window.lessons_dock.isVisible():
            return
        tall = [dock for dock in (window.training_dock, window.results_dock)
                if dock.isVisible() and dock.height() > TRAINING_DOCK_HEIGHT]
        if tall:
            window.resizeDocks(tall, [TRAINING_DOCK_HEIGHT] * len(tall), Qt.Orientation.Vertical)
        assert isinstance(window, QWidget)
        QTimer.singleShot(0, window, self._split_the_left_column)  # once the bottom dock has its new height

    def _split_the_left_column(self) -> None:
        window = self.window
        dock, io = window.lessons_dock, window.io_dock
        if not (dock.isVisible() and io.isVisible()):
            return
        height = dock.height() + io.height()
        least = io.minimumSizeHint().height()
        window.resizeDocks([dock, io], [height - least, least], Qt.Orientation.Vertical)

    def show_list(self, current: str = "") -> None:
        self.flush()
        entries = []
        for name in list_lessons():
            try:
                lesson = load_lesson(name)
            except LessonFileError:  # a broken file dropped into the folder is left out, not fatal
                continue
            passed = self._passed(name)
            entries.append(LessonEntry(name, lesson.title, len(lesson.tasks),
                                       sum(task.id in passed for task in lesson.tasks), self._page(name),
                                       len(lesson.pages)))
        panel = self.window.lessons_panel
        panel.list_view.show_entries(entries, current or (self.lesson.name if self.lesson else None))
        panel.show_list()

    # ------------------------------------------------------------------ choosing a lesson

    def start(self, name: str) -> bool:
        """Open shipped lesson `name` where the learner left it."""
        try:
            lesson = load_lesson(name)
        except LessonFileError as error:
            self.window.show_error("Could not open the lesson", str(error))
            return False
        return self._begin(lesson, name, min(self._page(name), len(lesson.pages) - 1))

    def start_over(self, name: str) -> bool:
        """From the first page, with the pages' own networks and no task counted as done."""
        answer = QMessageBox.question(self.window, "Start the lesson over",  # type: ignore[arg-type]
                                      "Start this lesson again from its first page? Your work in it is forgotten.")
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            lesson = load_lesson(name)
        except LessonFileError as error:
            self.window.show_error("Could not open the lesson", str(error))
            return False
        if self.open_key is not None and self.open_key[0] == name:
            self._save_timer.stop()  # its work is being forgotten: not written again on the way out
        self.window.settings.remove(f"lessons/{name}")
        forget_working(name)
        return self._begin(lesson, name, 0, fresh=True)

    def open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open lesson file",  # type: ignore[arg-type]
                                              self.window.files.last_folder(), "Lessons (*.md);;All files (*)")
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> bool:
        """A lesson file of one's own, at the page the learner left it (progress is kept by the lesson's name, as
        for a shipped one); a bad file is refused by field and nothing changes."""
        try:
            lesson = read_lesson_file(path)
        except LessonFileError as error:
            self.window.show_error("Could not open the lesson", str(error))
            return False
        except OSError as error:
            self.window.show_error("Could not open the lesson", f"{path}: {error.strerror or error}")
            return False
        return self._begin(lesson, FILE_PREFIX + path, min(self._page(lesson.name), len(lesson.pages) - 1))

    def _begin(self, lesson: Lesson, source: str, index: int, fresh: bool = False) -> bool:
        self.flush()
        before = (self.lesson, self.source, self.index)
        self.lesson, self.source, self.index = lesson, source, index
        if not self._open_network_of(index, fresh):
            self.lesson, self.source, self.index = before
            return False
        self.window.settings.setValue("lessons/current", source if source.startswith(FILE_PREFIX) else lesson.name)
        self._show_page()
        return True

    # ------------------------------------------------------------------ pages

    def go_to(self, index: int) -> bool:
        """Back or Next (Next on the last page goes back to the list)."""
        lesson = self.lesson
        if lesson is None:
            return False
        if index >= len(lesson.pages):
            self.show_list(lesson.name)
            return True
        if index < 0:
            return False
        self.flush()
        previous = self.index
        self.index = index
        if not self._open_network_of(index):
            self.index = previous
            return False
        self._show_page()
        return True

    def restart_page(self) -> bool:
        """This page's network as the page starts it (after asking: the work on it is discarded)."""
        lesson = self.lesson
        page = lesson.network_page(self.index) if lesson is not None else None
        if lesson is None or page is None:
            return False
        answer = QMessageBox.question(self.window, "Start the page again",  # type: ignore[arg-type]
                                      "Open this page's network as the page starts it? Your changes to it are lost.")
        if answer != QMessageBox.StandardButton.Yes:
            return False
        start = lesson.pages[page].network
        assert start is not None
        if not self._replace(start_project(start), page):
            return False
        self._show_page()
        return True

    def _open_network_of(self, index: int, fresh: bool = False) -> bool:
        """Make the document hold the network page `index` works on, if it does not already (`fresh`: open it
        even if it does, as the lesson was started over)."""
        lesson = self.lesson
        assert lesson is not None
        page = lesson.network_page(index)
        if page is None or ((lesson.name, page) == self.open_key and not fresh):
            return True
        saved, why_not = load_working(lesson.name, page)
        if why_not:
            self.window.report(why_not)
        start = lesson.pages[page].network
        assert start is not None
        return self._replace(saved if saved is not None else start_project(start), page)

    def _replace(self, project: Project, page: int) -> bool:
        """Open `project` as the untitled network of `page`; the question first if the open one is not the
        lesson's own (whose work the working copy keeps)."""
        files = self.window.files
        if self.open_key is None and not files.maybe_save():
            return False
        self._opening = True
        try:
            done = files.replace_document("Could not open the lesson's network",
                                          lambda: self.window.document.new_project(project))
        finally:
            self._opening = False
        if done:
            self.open_key = (self.lesson.name, page) if self.lesson is not None else None
        return done

    def _show_page(self) -> None:
        lesson = self.lesson
        assert lesson is not None
        self.window.settings.setValue(f"lessons/{lesson.name}/page", self.index)
        self.window.lessons_panel.show_page(lesson, self.index)

    # ------------------------------------------------------------------ grading and progress

    def grade(self, task: Task, answers: dict[str, float]) -> TaskResult:
        """The task against the open network and the step-through's phase (a fault becomes the result's line)."""
        document = self.window.document
        plan = document.stepping.plan
        try:
            return check_task(task, document.project, answers, lesson_phase(plan.step if plan is not None else None))
        except Exception as error:  # a fault no check foresaw: said in the box, logged, the window goes on
            write_log(type(error), error, error.__traceback__)
            return TaskResult(task.id, FAIL, (f"the check could not be made ({type(error).__name__}: {error})",))

    def _refresh(self) -> None:
        if self.lesson is not None and self.window.lessons_dock.isVisible():
            self.window.lessons_panel.page_view.task_box.refresh()

    def _on_passed(self, task_id: str) -> None:
        lesson = self.lesson
        if lesson is None:
            return
        passed = self._passed(lesson.name)
        if task_id not in passed:
            self.window.settings.setValue(f"lessons/{lesson.name}/passed", ",".join(sorted(passed | {task_id})))
            self.window.report(f"Task done: {lesson.pages[self.index].task.title}"  # type: ignore[union-attr]
                               if lesson.pages[self.index].task is not None else "Task done")

    def _passed(self, name: str) -> set[str]:
        value = self.window.settings.value(f"lessons/{name}/passed", "")
        text = ",".join(value) if isinstance(value, list) else str(value or "")
        return {part for part in text.split(",") if part}

    def _page(self, name: str) -> int:
        try:
            return max(0, int(self.window.settings.value(f"lessons/{name}/page", 0) or 0))
        except (TypeError, ValueError):
            return 0

    # ------------------------------------------------------------------ the working network

    def _on_replaced(self) -> None:
        if not self._opening:
            self.open_key = None  # the learner opened another network: it is theirs, not the lesson's

    def _on_changed(self, _kind: str) -> None:
        """An edit: keep the work (the task is graded on shown_changed, which follows every change)."""
        if self.open_key is not None:
            self._save_timer.start()

    def flush(self) -> None:
        """Write the working network now if an edit is waiting (page, lesson or window closing)."""
        if not self._save_timer.isActive():
            return
        self._save_timer.stop()
        if self.open_key is None:
            return
        try:
            save_working(*self.open_key, self.window.document.project)
        except (NNStudioError, OSError) as error:
            self.window.report(f"Your lesson work could not be kept: {error}")
