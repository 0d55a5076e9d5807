"""The internal-error guard of tests/conftest.py can fail (issue 27): run in a pytest session of its own
(pytester), it fails a test that logs or shows an internal error unmarked, and a marked test that shows
none; it passes the rest; and it keeps every test's crash log out of the person's user cache."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.conftest import ErrorWatch, internal_error_failure, logged_summaries

ROOT = Path(__file__).resolve().parents[1]

INNER_TESTS = '''
import subprocess
import sys
import types

import pytest

from nnstudio import crash_log
from nnstudio.ui.window.main_window import MainWindow  # loaded before the tests run, as the UI tests' conftest does


def log(message):
    try:
        raise RuntimeError(message)
    except RuntimeError as error:
        crash_log.write_log(type(error), error, error.__traceback__)


def test_clean_and_in_a_cache_of_its_own(tmp_path_factory):
    root = crash_log.cache_root()
    assert root.is_relative_to(tmp_path_factory.getbasetemp())
    assert any(part.startswith("user-cache") for part in root.parts)


def test_logs_by_accident():
    log("a bug nobody meant")


@pytest.mark.injects_error
def test_logs_on_purpose():
    log("injected on purpose")


@pytest.mark.injects_error
def test_marked_but_injects_nothing():
    pass


def test_a_child_process_logs():
    code = ("from nnstudio import crash_log\\n"
            "try:\\n    raise KeyError('in the child')\\n"
            "except KeyError as e:\\n    crash_log.write_log(type(e), e, e.__traceback__)\\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_the_cache_moved_by_the_test(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "elsewhere"))
    log("logged where the test moved the cache")


def test_the_window_shows_one():
    quiet = types.SimpleNamespace(show_error=lambda *a: None, report=lambda *a: None,
                                  trainer=types.SimpleNamespace(running=True))
    MainWindow.show_internal_error(quiet, "ValueError: shown in the window")
'''

# Logged while the module is collected, outside every test: the session's own temporary cache takes it,
# and the run fails naming it.
OUTSIDE_ANY_TEST = '''
from nnstudio import crash_log

try:
    raise RuntimeError("logged at collection")
except RuntimeError as error:
    crash_log.write_log(type(error), error, error.__traceback__)


def test_nothing_here():
    pass
'''


@pytest.mark.slow
def test_the_guard_fails_unmarked_errors_and_empty_markers(pytester):
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    markers = "\n".join(f"    {marker}" for marker in options["markers"])
    pytester.makeini(f"[pytest]\naddopts = --strict-markers -p no:cacheprovider\nmarkers =\n{markers}\n")
    pytester.makepyfile(test_inner=INNER_TESTS, test_outside=OUTSIDE_ANY_TEST)
    result = pytester.runpytest_subprocess("-rA")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 8 and outcomes.get("errors") == 5, result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["internal error outside any test: RuntimeError: logged at collection"])
    errors = {line.split(" - ")[0] for line in result.outlines if line.startswith("ERROR test_inner.py::")}
    assert errors == {f"ERROR test_inner.py::{name}" for name in (
        "test_logs_by_accident", "test_marked_but_injects_nothing", "test_a_child_process_logs",
        "test_the_cache_moved_by_the_test", "test_the_window_shows_one")}, result.stdout.str()
    result.stdout.fnmatch_lines_random([  # each failure names the error it saw
        "internal error during the test: RuntimeError: a bug nobody meant. If the test injects it on purpose*",
        "the test is marked injects_error but no internal error was logged or shown*",
        "internal error during the test: KeyError: 'in the child'.*",
        "internal error during the test: RuntimeError: logged where the test moved the cache.*",
        "internal error during the test: ValueError: shown in the window.*",
    ])


def test_the_failure_names_the_logged_error(tmp_path):
    log = tmp_path / "crash.log"  # (named nnstudio.log, the guard would rightly fail this test too)
    log.write_text("Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n"
                   "ValueError: expected shape (2,), got (784,)\n")
    watch = ErrorWatch(log_files={log, tmp_path / "absent.log"})
    failure = internal_error_failure(watch, marked=False)
    assert failure is not None and "ValueError: expected shape (2,), got (784,)" in failure
    assert internal_error_failure(watch, marked=True) is None
    assert internal_error_failure(ErrorWatch(), marked=False) is None
    assert "marked injects_error" in internal_error_failure(ErrorWatch(), marked=True)


def test_a_chained_traceback_gives_each_summary():
    text = ("Traceback (most recent call last):\n  File \"a\", line 1\nKeyError: 'x'\n\n"
            "During handling of the above exception, another exception occurred:\n\n"
            "Traceback (most recent call last):\n  File \"b\", line 2\nRuntimeError: while reporting\n")
    assert logged_summaries(text) == ["KeyError: 'x'", "RuntimeError: while reporting"]
