"""The document's signals: who may listen, for how long, and one listener's fault is not the others'.

Qt-free: the window's side (a QObject owner whose C++ part goes away) is in tests/ui/test_lifetimes.py.
"""

import functools
import gc
import sys

import pytest

from nnstudio.document.signals import Signal, failures_collected


class Listener:
    """A listener whose bound method the signal holds weakly."""

    def __init__(self) -> None:
        self.heard: list = []

    def hear(self, *args) -> None:
        self.heard.append(args)

    def fail(self, *args) -> None:
        raise RuntimeError("this listener is broken")


def module_level(*args) -> None:
    """A plain function holds nothing: it may listen without an owner."""


def test_a_lambda_closure_partial_or_builtin_without_an_owner_is_refused():
    signal = Signal()
    heard: list = []
    for slot in (lambda: None, functools.partial(print, "x"), heard.append, Listener().hear.__call__):
        with pytest.raises(TypeError, match="with an owner"):
            signal.connect(slot)
    assert signal.listener_count() == 0
    signal.connect(module_level)
    signal.connect(Listener.hear.__get__(Listener()))  # a bound method: held weakly, its object already gone
    gc.collect()
    assert signal.listener_count() == 1


def test_an_owned_lambda_ends_with_its_owner_and_releases_what_it_holds():
    signal = Signal()
    owner = Listener()
    heard: list = []
    signal.connect(lambda value: heard.append(value), owner=owner)
    signal.emit(1)
    assert heard == [1] and signal.listener_count() == 1
    del owner
    gc.collect()
    signal.emit(2)
    assert heard == [1] and signal.listener_count() == 0


def test_a_listener_whose_owner_can_no_longer_take_calls_is_skipped():
    signal = Signal()
    owner = Listener()
    state = {"alive": True}
    signal.connect(owner.hear, owner=owner, alive=lambda: state["alive"])
    signal.emit("a")
    state["alive"] = False
    signal.emit("b")
    assert owner.heard == [("a",)] and signal.listener_count() == 0


def test_a_failing_listener_does_not_stop_the_ones_after_it_and_is_reported(monkeypatch):
    signal = Signal()
    first, broken, last = Listener(), Listener(), Listener()
    signal.connect(first.hear)
    signal.connect(broken.fail)
    signal.connect(last.hear)
    reported: list = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, error, tb: reported.append(error))
    signal.emit("edit")
    assert first.heard == [("edit",)] and last.heard == [("edit",)]
    assert [str(e) for e in reported] == ["this listener is broken"]


def test_failures_can_be_collected_instead_of_reported(monkeypatch):
    signal = Signal()
    broken, after = Listener(), Listener()
    signal.connect(broken.fail)
    signal.connect(after.hear)
    monkeypatch.setattr(sys, "excepthook", lambda *args: pytest.fail("a collected failure was also reported"))
    with failures_collected() as failures:
        signal.emit()
    assert len(failures) == 1 and isinstance(failures[0], RuntimeError) and after.heard == [()]


def test_disconnect_forgets_a_slot():
    signal = Signal()
    one, two = Listener(), Listener()
    signal.connect(one.hear)
    signal.connect(two.hear)
    signal.disconnect(one.hear)
    signal.emit(3)
    assert one.heard == [] and two.heard == [(3,)] and signal.listener_count() == 1
