"""Test setup shared by every test.

The offscreen Qt platform is selected here, before anything imports Qt, so the
README's test command needs no display and no environment variable.

Every test also gets a user cache folder of its own (the crash log, downloaded datasets), so no
test writes to the person's ~/.cache/nnstudio, and fails if an internal error was logged or shown
while it ran, unless it is marked `injects_error` (see `internal_error_guard`).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from nnstudio import crash_log  # noqa: E402 - after the platform choice, though it imports no Qt itself
from nnstudio.lessons import working_copies  # noqa: E402 - the user data folder, isolated as the cache is

# tests/test_internal_error_guard.py runs the guard below in a pytest session of its own.
pytest_plugins = ["pytester"]


@pytest.fixture
def peak_memory():
    """peak_memory(action) -> (what `action()` returned or raised, peak bytes Python and numpy allocated meanwhile).

    How the hostile-input tests prove "refused before allocating": numpy reports its buffers to
    tracemalloc, so an array the size a file claims would show here.
    """
    def measure(action):
        tracemalloc.start()
        try:
            try:
                result = action()
            except Exception as error:  # noqa: BLE001 - the test inspects it
                result = error
            return result, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    return measure


# ------------------------------------------------------------------ internal errors (issue 27)

INJECTS_ERROR = "injects_error"  # the marker: "this test injects an internal error on purpose"
_REAL_WRITE_LOG = crash_log.write_log


@dataclass
class ErrorWatch:
    """What one test logged (crash_log.write_log) or showed (MainWindow.show_internal_error) as an internal error."""

    logged: list[str] = field(default_factory=list)  # summaries of write_log calls in this process
    shown: list[str] = field(default_factory=list)  # summaries MainWindow.show_internal_error was given
    log_files: set[Path] = field(default_factory=set)  # crash logs to read at the end (children write there too)

    def summaries(self) -> list[str]:
        """Every internal error seen, once each: from the calls, then from the log files."""
        found = self.logged + self.shown
        for path in sorted(self.log_files):
            if path.is_file():
                found += logged_summaries(path.read_text(encoding="utf-8", errors="backslashreplace"))
        return list(dict.fromkeys(found))


def logged_summaries(text: str) -> list[str]:
    """The summary line of each traceback in a crash log ("ValueError: expected shape …")."""
    summaries, in_traceback = [], False
    for line in text.splitlines():
        if line.startswith("Traceback (most recent call last):"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            summaries.append(line)
            in_traceback = False
    return summaries or ([text.strip()] if text.strip() else [])


def internal_error_failure(watch: ErrorWatch, marked: bool) -> str | None:
    """Why the test fails, or None: an unmarked test saw an internal error, or a marked one saw none."""
    errors = watch.summaries()
    if errors and not marked:
        return (f"internal error during the test: {'; '.join(errors)}. If the test injects it on purpose, mark it "
                f"@pytest.mark.{INJECTS_ERROR}; if not, it is a bug.")
    if marked and not errors:
        return (f"the test is marked {INJECTS_ERROR} but no internal error was logged or shown: "
                "remove the marker, or the injection no longer reaches the error path")
    return None


_watch: ErrorWatch | None = None  # the running test's


def _recording_write_log(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    if _watch is not None:
        _watch.logged.append(crash_log.describe(error))
    _REAL_WRITE_LOG(kind, error, tb)


CACHE_VARIABLES = ("HOME",) if sys.platform == "darwin" else ("XDG_CACHE_HOME", "LOCALAPPDATA", "XDG_DATA_HOME",
                                                               "APPDATA")


def user_cache_environment() -> dict[str, str]:
    """The variables that point at the running test's user cache, for a subprocess given an environment of
    its own (one built from os.environ inherits them anyway)."""
    return {name: os.environ[name] for name in CACHE_VARIABLES}


def _isolate_user_cache(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    """Point the platform's user cache (crash_log.cache_root) and user data folder (the lessons' working networks,
    working_copies.data_root) into `folder`, for this process and its children."""
    if sys.platform == "darwin":  # ~/Library/Caches: only HOME moves it
        monkeypatch.setenv("HOME", str(folder))
        base = folder / "Library" / "Caches"
    else:
        base = folder
        monkeypatch.setenv("XDG_CACHE_HOME", str(base))  # Linux and other Unixes
        monkeypatch.setenv("LOCALAPPDATA", str(base))  # Windows
        monkeypatch.setenv("XDG_DATA_HOME", str(folder / "data"))
        monkeypatch.setenv("APPDATA", str(folder / "data"))
    assert working_copies.data_root().is_relative_to(folder), "working_copies.data_root() no longer follows these"
    assert crash_log.cache_root() == base / "nnstudio", "crash_log.cache_root() no longer follows these variables"
    return base


_SESSION_CACHE = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Between and after tests too (a window deleted at exit, a hook a test left installed), the user cache
    is a temporary one, for the whole process; each test then gets its own (internal_error_guard)."""
    folder = Path(tempfile.mkdtemp(prefix="nnstudio-test-cache-"))
    config.stash[_SESSION_CACHE] = folder
    _isolate_user_cache(pytest.MonkeyPatch(), folder)  # never undone: the process ends with the session


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An internal error logged outside every test (at collection, or as the session ended) fails the run."""
    folder = session.config.stash.get(_SESSION_CACHE, None)
    logs = sorted(folder.rglob("nnstudio.log")) if folder is not None else []
    if logs:
        summaries = logged_summaries(logs[0].read_text(encoding="utf-8", errors="backslashreplace"))
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"internal error outside any test: {'; '.join(summaries)}", red=True)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_SESSION_CACHE, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def internal_error_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                         tmp_path_factory: pytest.TempPathFactory):
    """A user cache of the test's own; fail the test if an internal error was logged or shown during it.

    Seen: every `crash_log.write_log` call in this process (the command line's and the window's
    last-resort handlers, `MainWindow.show_unexpected`), every `MainWindow.show_internal_error` call
    (what the window's `sys.excepthook` shows), and the crash log files themselves, which
    subprocesses inheriting this environment write to: the per-test cache's, the cache the test
    moved XDG_CACHE_HOME to, and any nnstudio.log under the test's tmp_path. A test that injects
    an internal error on purpose is marked `injects_error` and must then see one. (pytest-qt
    already fails a test whose Qt slot raises; this covers what the app itself catches and reports.)
    """
    global _watch
    cache = _isolate_user_cache(monkeypatch, tmp_path_factory.mktemp("user-cache"))
    watch = ErrorWatch(log_files={cache / "nnstudio" / "nnstudio.log"})
    for name, module in list(sys.modules.items()):  # the modules that imported write_log by name
        if (name == "nnstudio" or name.startswith("nnstudio.")) and \
                getattr(module, "write_log", None) in (_REAL_WRITE_LOG, _recording_write_log):
            monkeypatch.setattr(module, "write_log", _recording_write_log)
    window_module = sys.modules.get("nnstudio.ui.window.main_window")  # loaded with the UI tests' conftest
    if window_module is not None:
        original = window_module.MainWindow.show_internal_error

        @functools.wraps(original)
        def recording_show_internal_error(self, summary: str) -> None:  # type: ignore[no-untyped-def]
            if _watch is not None:
                _watch.shown.append(summary)
            return original(self, summary)

        monkeypatch.setattr(window_module.MainWindow, "show_internal_error", recording_show_internal_error)
    _watch = watch
    try:
        yield watch
    finally:
        _watch = None
    watch.log_files.add(crash_log.log_file())  # where the test pointed the cache, if it moved it
    tmp_path = request.node.funcargs.get("tmp_path") if hasattr(request.node, "funcargs") else None
    if tmp_path is not None:
        watch.log_files |= set(Path(tmp_path).rglob("nnstudio.log"))
    failure = internal_error_failure(watch, request.node.get_closest_marker(INJECTS_ERROR) is not None)
    if failure:
        pytest.fail(failure, pytrace=False)
