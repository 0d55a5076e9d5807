"""Fixtures for UI tests: a main window with its own settings file, and a guard on threads."""

import pytest
import shiboken6
from PySide6.QtCore import QSettings

from nnstudio.document import Document
from nnstudio.io import load_example
from nnstudio.ui.window.main_window import MainWindow
from tests.ui.helpers import run_queued_events


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def settle(window) -> None:
    """Before teardown closes a window: stop any run and forget unsaved changes (if it still exists)."""
    if shiboken6.isValid(window):
        window.trainer.stop(wait=True)
        window.document.mark_clean()


@pytest.fixture
def make_window(qtbot, settings):
    """make_window(example=None) -> a shown MainWindow at 1280×800, registered with qtbot."""

    def make(example: str | None = None) -> MainWindow:
        document = Document(load_example(example)) if example else Document()
        window = MainWindow(document, settings)
        # Tests leave unsaved changes behind; closing must not wait on the Save/Discard prompt.
        qtbot.addWidget(window, before_close_func=settle)
        window.resize(1280, 800)
        window.show()
        qtbot.waitExposed(window)
        # The docks take their widths and the view fits itself to what is left, in events queued by the first show.
        run_queued_events()
        return window

    return make


@pytest.fixture(autouse=True)
def no_thread_left_running(monkeypatch):
    """Fail any test that leaves a QThread running (napari's _dangling_qthreads, simplified).

    The threads are watched through weak references: a strong list kept every run's thread alive to
    the end of the test, one more QThread a cycle, which the soak test (test_soak.py) counts."""
    import weakref

    from PySide6.QtCore import QThread

    started: list[weakref.ref] = []
    original = QThread.start

    def recording_start(self, *args):
        started.append(weakref.ref(self))
        return original(self, *args)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    alive = [thread for thread in (ref() for ref in started) if thread is not None and shiboken6.isValid(thread)]
    running = [thread for thread in alive if thread.isRunning()]
    for thread in running:  # do not leave it to crash later tests
        thread.quit()
        thread.wait(5000)
    assert not running, f"{len(running)} thread(s) left running"


@pytest.fixture(autouse=True)
def delete_windows_of_earlier_tests(qapp):
    """pytest-qt closes each test's widgets and calls deleteLater(), which needs an event-loop turn.
    Deleting them now keeps earlier tests' windows (and their pyqtgraph views, which pyqtgraph
    tracks globally) from slowing this test's event loop."""
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    yield
