"""A soak of ordinary use in the real window, to prove nothing piles up (issue 27, acceptance point 1).

    python benchmarks/soak.py [--cycles 300] [--example cosine-memory] [--log soak-cosine-memory.log]

One process, one MainWindow at 1280×800 (offscreen), and `--cycles` times the cycle a person goes
through (`run_cycle`, which tests/ui/test_soak.py runs too):

1. File → Examples → the example;
2. a bias typed on the canvas (select it, type 0.25, Enter: the in-place editor), then W and b…
   (Ctrl+E on the selected layer): the matrix editor, a weight typed into its table (click the cell,
   type 0.5, Enter), closed with its Close button;
3. Undo twice (Ctrl+Z): the example's values are back;
4. Step (F10) through a whole pass to its end (the update applied), then Step Back (Shift+F10) to
   the start: the values are back bit for bit;
5. each other dialog shown and closed as a person does: the neuron map, large (Ctrl+Shift+M on a
   selected neuron, Esc; two-input networks only, else logged "not applicable"), Rules… (the
   Training panel's button, Esc), the user guide (F1, its Close button), Keyboard Shortcuts
   (Ctrl+/, Esc), New Network… (Ctrl+N, Cancel);
6. Network → Train… (Ctrl+T), a short run (the panel's own toy set for two inputs — XOR or circles —,
   the synthetic digits of tests/support/digits.py for 784 inputs), Start, until the controller's
   `ended` signal;
7. the network marked clean and closed (Ctrl+W).

Keys go to the widget that has the keyboard focus, as a keyboard's would; a shortcut that does not
reach its action, a dialog that does not show or does not go, an edit that does not land, stops the
soak with the reason (SoakError). Nothing is skipped in silence.

Printed, for cycles 0 (the window as opened), 1, 10, 100, 200, 300 and the last:

- widgets: len(QApplication.allWidgets()), every QWidget alive;
- QObjects: every QObject in a Qt object tree whose root Python can name: the QApplication, every
  top-level widget, and every parentless QObject Python holds a wrapper of, each with all its
  descendants (findChildren), counted once by C++ address. Qt has no public count of all QObjects;
  the tree walk finds what C++ made and Python never touched (a dialog's layout, a header view's
  internals, a model's persistent helpers), the wrappers find the parentless objects Python made
  (a QThread, a worker, a document-owned helper) that no tree holds. What it cannot see is Qt's own
  parentless C++ objects (the platform plugin's, the style's): those are not nnstudio's to leak;
- wrappers: the valid shiboken wrappers of QObjects (shiboken6.getAllValidWrappers), taken before the
  tree walk: the objects Python made or has touched. A wrapper the walk makes stays while its object
  lives, so after the first count this is about every QObject the walk found (every row, cycle 0 too,
  is taken after one walk, so the rows compare); it moves by a few as replaced objects (each run's
  thread and worker, the last run's plots) are touched or not. For information: not a leak measure;
- listeners: window.document.listener_count();
- RSS: VmRSS of this process from /proc/self/status (Linux; elsewhere the soak refuses to start);
  the training runs in a child process of its own, which is not counted;
- seconds: the cycle's wall time.

Before each count the events already posted are handled, the deferred deletes sent and gc.collect()
run. One log line per cycle goes to --log: each dialog with "shown, closed" (or why it does not
apply), the steps and epochs, and the counts. The last line printed is the verdict: whether widgets,
QObjects and listeners held one level from cycle 10 to the last, the ranges seen,
and the QObject types whose number differs between the two (the start of a leak hunt). Figures
only: nothing about time is asserted.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialog, QDialogButtonBox, QWidget

from nnstudio.core.stepper import Phase
from nnstudio.document import Document
from nnstudio.ui.window.main_window import MainWindow
from nnstudio.ui.panels.help.guide_dialog import GuideDialog
from nnstudio.ui.panels.results.neuron_map_dialog import NeuronMapDialog
from nnstudio.ui.panels.network.new_network_dialog import NewNetworkDialog
from nnstudio.ui.panels.help.shortcuts_dialog import ShortcutsDialog
from nnstudio.ui.selection import ItemKey

DIALOGS = ("map large", "matrix editor", "rules", "guide", "shortcuts", "new network")
SHOWN_AND_CLOSED = "shown, closed"
TABLE_CYCLES = (0, 1, 10, 100, 200, 300)
BIAS_TYPED, BIAS_VALUE = "0.25", 0.25  # typed into layer 1's first bias on the canvas
WEIGHT_TYPED, WEIGHT_VALUE = "0.5", 0.5  # typed into W1[0, 0] in the matrix editor
MAX_STEPS = 10_000  # a pass longer than this is a plan that never ends: a bug, not a long pass
WAIT_SECONDS = 120.0  # the benchmark's bound on a wait for an event (a hung run), not a speed claim

Ctrl, Shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
NoModifier = Qt.KeyboardModifier.NoModifier

#: wait_until(predicate, what): return once predicate() holds, processing events meanwhile; raise naming
#: `what` if it never does. The benchmark's is `event_wait`; the test's is qtbot.waitUntil.
Wait = Callable[[Callable[[], bool], str], None]


class SoakError(AssertionError):
    """Something ordinary use expects did not happen: the soak stops and says what."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SoakError(message)


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did: each dialog's outcome, the pass's length, the run's epochs."""

    dialogs: dict[str, str]  # name (DIALOGS) -> "shown, closed" or "not applicable: why"
    steps: int  # Step presses to the end of the pass (and as many Step Back presses to its start)
    epochs: int  # epochs the run trained

    def words(self) -> str:
        return "; ".join(f"{name} {self.dialogs[name]}" for name in DIALOGS)


@dataclass(frozen=True)
class Counts:
    widgets: int
    qobjects: int
    wrappers: int
    listeners: int

    def same_objects(self) -> tuple[int, int, int]:
        """What must return to its level: widgets, QObjects, document listeners."""
        return self.widgets, self.qobjects, self.listeners


# ------------------------------------------------------------------ counting

def flush() -> None:
    """The events already posted handled, every deferred delete done and Python's garbage collected
    (twice: a delete may free a wrapper whose cycle gc then collects, and the other way round).

    The posted events matter: Qt's gesture manager makes and drops its QPanGesture objects (one per
    scroll area's viewport) as it handles events, and counted with events pending (deferred deletes
    sent alone) the QObjects of a 300-cycle mnist-mlp soak were 2 lower at 9 cycles. Counted after
    them, the same soak's QObjects are the same at every cycle."""
    for _ in range(2):
        QCoreApplication.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()


def _live_qobjects() -> tuple[dict[int, QObject], int]:
    """Every QObject in a tree Python can name a root of, by C++ address; and the QObject wrappers count."""
    wrappers = [o for o in shiboken6.getAllValidWrappers() if isinstance(o, QObject)]
    wrapper_count = len(wrappers)
    app = QCoreApplication.instance()
    roots: list[QObject] = [app] if app is not None else []
    roots += QApplication.topLevelWidgets()
    roots += [o for o in wrappers if shiboken6.isValid(o) and o.parent() is None]
    del wrappers
    found: dict[int, QObject] = {}
    for root in roots:
        for obj in [root, *root.findChildren(QObject)]:
            found.setdefault(shiboken6.getCppPointer(obj)[0], obj)
    return found, wrapper_count


def counts(window: MainWindow) -> Counts:
    """The counts that must stay flat, after deferred deletes and a garbage collection. (No QObject is
    held past the count: one held through the next cycle would be counted again, and so would what
    it keeps alive.)"""
    flush()
    found, wrappers = _live_qobjects()
    qobjects = len(found)
    del found
    return Counts(len(QApplication.allWidgets()), qobjects, wrappers, window.document.listener_count())


def qobject_types() -> Counter[str]:
    """How many live QObjects of each Python type name (for finding what grows)."""
    flush()
    found, _ = _live_qobjects()
    types = Counter(type(o).__name__ for o in found.values())
    del found
    return types


def rss_mb() -> float:
    """This process's resident set size in MB (VmRSS); Linux only, and an error elsewhere."""
    status = Path("/proc/self/status")
    if not status.is_file():
        raise SoakError("the RSS figure needs Linux's /proc/self/status; this system has none")
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SoakError("/proc/self/status has no VmRSS line")


# ------------------------------------------------------------------ a person's hands

def focus() -> QWidget:
    widget = QApplication.focusWidget()
    check(widget is not None, "no widget has the keyboard focus: a key would go nowhere")
    assert widget is not None
    return widget


def press(key: Qt.Key, modifiers: Qt.KeyboardModifier = NoModifier) -> None:
    """One key (with modifiers) to the widget that has the keyboard focus, as a keyboard sends it."""
    QTest.keyClick(focus(), key, modifiers)


def type_text(text: str) -> None:
    """Each character to whichever widget has the focus when it is typed (the first may open an editor)."""
    for character in text:
        QTest.keyClick(focus(), character)


def click(widget: QWidget) -> None:
    check(widget.isVisible() and widget.isEnabled(), f"{widget.objectName() or type(widget).__name__} "
                                                      "cannot be clicked: it is hidden or disabled")
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def to_canvas(window: MainWindow, wait: Wait, key: ItemKey | None = None) -> None:
    """Back at the window with the keys on the canvas (and `key` selected), as after clicking it."""
    window.activateWindow()
    wait(window.isActiveWindow, "the main window to become the active window")
    if key is not None:
        check(key in window.scene.items_by_key, f"the canvas does not draw {key.describe()}")
        window.scene.select_key(key)
        check(window.scene.selected_key() == key, f"{key.describe()} could not be selected")
    window.view.setFocus(Qt.FocusReason.MouseFocusReason)


def dialog_button(dialog: QDialog, which: QDialogButtonBox.StandardButton) -> QWidget:
    for box in dialog.findChildren(QDialogButtonBox):
        button = box.button(which)
        if button is not None:
            return button
    raise SoakError(f"{type(dialog).__name__} has no {which.name} button")


def the_shown(window: MainWindow, kind: type[QDialog], wait: Wait, what: str) -> QDialog:
    """The one visible dialog of `kind` the window has (waited for: it may open in an event of its own)."""
    def shown() -> list[QDialog]:
        return [d for d in window.findChildren(kind) if shiboken6.isValid(d) and d.isVisible()]

    wait(lambda: len(shown()) >= 1, f"{what} to show")
    dialogs = shown()
    check(len(dialogs) == 1, f"{len(dialogs)} {what} dialogs are open, expected one")
    dialog = dialogs[0]
    check(dialog.isVisible(), f"{what} is not visible")
    wait(dialog.isActiveWindow, f"{what} to become the active window")
    return dialog


def gone(dialog: QDialog, wait: Wait, what: str) -> str:
    """Wait until a dialog deleted on close is deleted; the log's words for it."""
    wait(lambda: not shiboken6.isValid(dialog), f"{what} to be deleted once closed")
    return SHOWN_AND_CLOSED


def escape_from(dialog: QDialog, what: str) -> None:
    """Esc, with the keyboard focus inside the dialog (where a person's key would go)."""
    widget = focus()
    check(widget is dialog or dialog.isAncestorOf(widget),
          f"the keyboard focus is on {type(widget).__name__}, not in {what}: Esc would not close it")
    press(Qt.Key.Key_Escape)


# ------------------------------------------------------------------ the cycle

def open_example_from_menu(window: MainWindow, example: str) -> None:
    """File → Examples → `example`."""
    actions = [a for a in window.examples_menu.actions() if a.data() == example]
    check(len(actions) == 1, f"File → Examples has no item for {example!r}")
    check(actions[0].isEnabled() and window.examples_menu.isEnabled(), "File → Examples is disabled")
    actions[0].trigger()


def run_cycle(window: MainWindow, example: str, wait: Wait, data_dir: Path | None = None,
              epochs: int = 1) -> CycleReport:
    """One cycle of ordinary use (see the module docstring); raises SoakError when anything expected fails.

    `window` is shown and holds an unmodified document (an empty one after the previous cycle's
    Ctrl+W); `data_dir` holds the MNIST-format files a 784-input network trains on.
    """
    dialogs: dict[str, str] = {}
    document = window.document

    # 1. File → Examples.
    check(not document.modified, "the window holds unsaved changes before the cycle")
    open_example_from_menu(window, example)
    wait(lambda: len(document.project.network.layers) > 0 and document.path is None and not document.modified,
         f"the example {example} to open")
    network = document.project.network
    check(len(network.layers) >= 1 and network.layers[0].has_bias, f"{example}: layer 1 needs a bias to edit")
    bias0, weight0 = float(network.layers[0].bias[0]), float(network.layers[0].weights[0, 0])
    check(bias0 != BIAS_VALUE and weight0 != WEIGHT_VALUE, f"{example} already holds the values the cycle types")
    original = [(layer.weights.copy(), None if layer.bias is None else layer.bias.copy()) for layer in network.layers]

    # 2. A bias on the canvas (the in-place editor), then a weight in the matrix editor's table.
    to_canvas(window, wait, ItemKey("bias_edge", 1, 0))
    type_text(BIAS_TYPED)  # the first key opens the canvas's editor; the rest go into it
    check(window.view.editor is not None and focus() is window.view.editor, "typing on the canvas opened no editor")
    press(Qt.Key.Key_Return)
    check(float(document.project.network.layers[0].bias[0]) == BIAS_VALUE,
          f"b1[0] is {document.project.network.layers[0].bias[0]} after typing {BIAS_TYPED} and Enter")

    to_canvas(window, wait, ItemKey("layer", 1))
    press(Qt.Key.Key_E, Ctrl)  # Network → Edit W and b…
    editor = window.matrix_editors.get(1)
    check(editor is not None and shiboken6.isValid(editor) and editor.isVisible(), "Ctrl+E showed no matrix editor")
    assert editor is not None
    wait(editor.isActiveWindow, "the matrix editor to become the active window")
    table = editor.table
    cell = editor.model.index(0, 0)
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, NoModifier, table.visualRect(cell).center())
    check(table.currentIndex() == cell and focus() is table, "clicking W1[1,1] did not put the cursor there")
    type_text(WEIGHT_TYPED)  # typing starts the cell's editor, as in a spreadsheet
    check(table.state() == QAbstractItemView.State.EditingState, "typing on the table's cell opened no editor")
    press(Qt.Key.Key_Return)  # the table's delegate commits in an event of its own
    wait(lambda: table.state() != QAbstractItemView.State.EditingState, "the table's cell editor to close")
    check(float(document.project.network.layers[0].weights[0, 0]) == WEIGHT_VALUE,
          f"W1[0,0] is {document.project.network.layers[0].weights[0, 0]} after typing {WEIGHT_TYPED} in the table")
    click(dialog_button(editor, QDialogButtonBox.StandardButton.Close))
    dialogs["matrix editor"] = gone(editor, wait, "the matrix editor")
    check(window.matrix_editors == {}, "the window still names a closed matrix editor")

    # 3. Undo, twice: the example's values are back.
    to_canvas(window, wait)
    press(Qt.Key.Key_Z, Ctrl)
    press(Qt.Key.Key_Z, Ctrl)
    layer = document.project.network.layers[0]
    check(float(layer.bias[0]) == bias0 and float(layer.weights[0, 0]) == weight0,
          f"after Undo twice b1[0] = {layer.bias[0]}, W1[0,0] = {layer.weights[0, 0]}; "
          f"the example has {bias0}, {weight0}")

    # 4. Step a whole pass to its update, and back to its start.
    to_canvas(window, wait)
    steps = 0
    while document.stepping.plan is None or not document.stepping.plan.at_end():
        check(steps < MAX_STEPS, f"no end of the pass after {MAX_STEPS} steps")
        press(Qt.Key.Key_F10)
        steps += 1
    plan = document.stepping.plan
    check(plan is not None and any(step.phase == Phase.UPDATE for step in plan.steps[:plan.index + 1]),
          "the pass ended without applying its update")
    back = 0
    while document.stepping.plan.index > 0:
        check(back < MAX_STEPS, f"not back at the start after {MAX_STEPS} steps back")
        press(Qt.Key.Key_F10, Shift)
        back += 1
    check(all(np.array_equal(layer.weights, w) and (b is None if layer.bias is None else np.array_equal(layer.bias, b))
              for layer, (w, b) in zip(document.project.network.layers, original)),
          "stepping back to the start did not restore the example's values bit for bit")

    # 5. The dialogs. The neuron map, large (two-input networks only).
    inputs = document.project.network.input_size
    if inputs == 2:
        to_canvas(window, wait, ItemKey("neuron", 1, 0))
        press(Qt.Key.Key_M, Ctrl | Shift)
        dialog = the_shown(window, NeuronMapDialog, wait, "the neuron map")
        escape_from(dialog, "the neuron map")
        dialogs["map large"] = gone(dialog, wait, "the neuron map")
    else:
        dialogs["map large"] = f"not applicable ({inputs} inputs; maps are drawn over two)"

    # Network → Train… (the panel stays for the run below), Rules… shown and closed.
    to_canvas(window, wait)
    press(Qt.Key.Key_T, Ctrl)
    panel = window.training_panel
    wait(lambda: window.training_dock.isVisible() and panel.rules_button.isVisible(), "the Training panel to show")
    click(panel.rules_button)
    wait(panel.rules.isVisible, "Rules… to show")
    wait(panel.rules.isActiveWindow, "Rules… to become the active window")
    escape_from(panel.rules, "Rules…")
    wait(lambda: not panel.rules.isVisible(), "Rules… to close")
    dialogs["rules"] = SHOWN_AND_CLOSED  # the panel keeps its one Rules dialog (it holds the settings)

    # Help → User Guide (F1) and Keyboard Shortcuts (Ctrl+/); New Network… (Ctrl+N), cancelled.
    to_canvas(window, wait)
    press(Qt.Key.Key_F1)
    guide = the_shown(window, GuideDialog, wait, "the user guide")
    click(dialog_button(guide, QDialogButtonBox.StandardButton.Close))
    dialogs["guide"] = gone(guide, wait, "the user guide")

    to_canvas(window, wait)
    press(Qt.Key.Key_Slash, Ctrl)
    shortcuts = the_shown(window, ShortcutsDialog, wait, "Keyboard Shortcuts")
    escape_from(shortcuts, "Keyboard Shortcuts")
    dialogs["shortcuts"] = gone(shortcuts, wait, "Keyboard Shortcuts")

    to_canvas(window, wait)
    press(Qt.Key.Key_N, Ctrl)
    before = document.project
    new = the_shown(window, NewNetworkDialog, wait, "New Network…")
    click(dialog_button(new, QDialogButtonBox.StandardButton.Cancel))
    dialogs["new network"] = gone(new, wait, "New Network…")
    check(document.project is before, "cancelling New Network… changed the network")

    # 6. A short run on the panel's dataset for this network (a toy set for two inputs, MNIST for 784).
    dataset = panel.dataset.currentData()
    if inputs == 784:
        check(dataset == "mnist", f"the Training panel chose {dataset!r} for a 784-input network")
        check(data_dir is not None, "a 784-input network trains on the digits: no data folder was given")
        panel.source.setText(str(data_dir))
    elif dataset == "function":  # no built-in set fits the network (cosine-memory's one ReLU output): type one
        panel.source.setText("x1 * x2")
    else:
        check(dataset in ("xor", "circles"), f"the Training panel chose {dataset!r} for a two-input network")
    panel.epochs.setValue(epochs)
    ended: list[object] = []
    window.trainer.ended.connect(ended.append)
    try:
        click(panel.start_button)
        wait(lambda: bool(ended), "the training run to end (TrainingController.ended)")
    finally:
        window.trainer.ended.disconnect(ended.append)
    result = ended[0]
    check(result is not None and not getattr(result, "error", None),
          f"the run failed: {panel.message.text() or getattr(result, 'error', '')}")
    trained = len(result.epochs)  # type: ignore[attr-defined]
    check(trained == epochs, f"the run trained {trained} epochs, not {epochs}")
    check(document.modified, "the run landed nothing in the document")

    # 7. Close the network (Ctrl+W), its changes let go.
    document.mark_clean()
    to_canvas(window, wait)
    press(Qt.Key.Key_W, Ctrl)
    check(len(document.project.network.layers) == 0 and not document.modified, "Ctrl+W did not close the network")
    missing = [name for name in DIALOGS if name not in dialogs]
    check(not missing, f"no outcome for {missing}")
    return CycleReport(dialogs, steps, trained)


# ------------------------------------------------------------------ the benchmark

def event_wait(predicate: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    """Process events (deferred deletes too, as QTest.qWait does) until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SoakError(f"no sign of {what} after {timeout:.0f} s")
        QTest.qWait(5)


def row(cycle: int, c: Counts, rss: float, seconds: float | None) -> str:
    took = "—" if seconds is None else f"{seconds:.2f}"
    return f"{cycle:>6} {c.widgets:>8} {c.qobjects:>9} {c.wrappers:>9} {c.listeners:>10} {rss:>8.1f} {took:>8}"


HEADER = f"{'cycle':>6} {'widgets':>8} {'QObjects':>9} {'wrappers':>9} {'listeners':>10} {'RSS MB':>8} {'seconds':>8}"


def spread(values: list[float], unit: str = "") -> str:
    low, high = min(values), max(values)
    return f"{low:g}{unit}" if low == high else f"{low:g}–{high:g}{unit}"


def verdict(at: dict[int, Counts], rss: dict[int, float], first: int, last: int,
            types_first: Counter[str], types_last: Counter[str]) -> str:
    """Whether widgets, QObjects and listeners held one level from cycle `first` to `last`, with the
    ranges seen and the QObject types whose number differs between the two."""
    cycles = [c for c in at if c >= first]
    steady = {at[c].same_objects() for c in cycles}
    ranges = (f"widgets {spread([at[c].widgets for c in cycles])}, "
              f"QObjects {spread([at[c].qobjects for c in cycles])}, "
              f"listeners {spread([at[c].listeners for c in cycles])}, RSS {rss[first]:.1f} → {rss[last]:.1f} MB")
    grown, shrunk = dict(types_last - types_first), dict(types_first - types_last)
    if len(steady) == 1 and not grown and not shrunk:
        return f"Flat from cycle {first} to {last}: {ranges}; every QObject type as many at {last} as at {first}."
    return (f"NOT flat from cycle {first} to {last}: {ranges}; QObject types grown {grown or 'none'}, "
            f"shrunk {shrunk or 'none'}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--example", default="cosine-memory")
    parser.add_argument("--epochs", type=int, default=1, help="epochs of each cycle's training run")
    parser.add_argument("--log", type=Path, default=None, help="one line per cycle (default soak-EXAMPLE.log)")
    args = parser.parse_args()
    if args.cycles < 1 or args.epochs < 1:
        parser.error("--cycles and --epochs must be at least 1")
    log_path = args.log or Path(f"soak-{args.example}.log")

    from offscreen import application  # benchmarks/offscreen.py: the offscreen platform, its notices left out

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support.digits, for 784 inputs
    from tests.support.digits import FILES, write_digits

    application()
    rss_mb()  # refuses before anything runs on a system without /proc
    first = 10 if args.cycles > 10 else 1  # the level: after the first cycles (see tests/ui/test_soak.py)
    with tempfile.TemporaryDirectory(prefix="nnstudio-soak-") as scratch, log_path.open("w", encoding="utf-8") as log:
        folder = Path(scratch)
        data_dir = write_digits(folder / "digits")
        written = sorted(p.name for p in data_dir.iterdir())
        expected = sorted(name for pair in FILES.values() for name in pair)
        check(written == expected, f"the digits folder holds {written}, expected {expected}")
        window = MainWindow(Document(), QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat))
        window.resize(1280, 800)
        window.show()
        check(QTest.qWaitForWindowExposed(window), "the window was never exposed")
        event_wait(window.isActiveWindow, "the window to become active")
        print(f"soak: {args.cycles} cycles of {args.example} in the window at {window.width()}×{window.height()}, "
              f"{args.epochs} epoch(s) a run; one line per cycle in {log_path}", flush=True)
        print(HEADER, flush=True)
        counts(window)  # the first walk makes a wrapper for each QObject it meets: every row counts after one
        at: dict[int, Counts] = {0: counts(window)}
        rss: dict[int, float] = {0: rss_mb()}
        print(row(0, at[0], rss[0], None), flush=True)
        log.write(f"cycle 0 (the window as opened) | widgets {at[0].widgets}, QObjects {at[0].qobjects}, "
                  f"wrappers {at[0].wrappers}, listeners {at[0].listeners}, RSS {rss[0]:.1f} MB\n")
        types_at: dict[int, Counter[str]] = {}
        for cycle in range(1, args.cycles + 1):
            began = time.perf_counter()
            report = run_cycle(window, args.example, event_wait, data_dir, args.epochs)
            seconds = time.perf_counter() - began
            now = at[cycle] = counts(window)
            rss[cycle] = rss_mb()
            log.write(f"cycle {cycle}: {report.words()} | steps {report.steps}, epochs {report.epochs} | "
                      f"widgets {now.widgets}, QObjects {now.qobjects}, wrappers {now.wrappers}, listeners "
                      f"{now.listeners}, RSS {rss[cycle]:.1f} MB, {seconds:.2f} s\n")
            log.flush()
            if cycle in TABLE_CYCLES or cycle == args.cycles:
                print(row(cycle, now, rss[cycle], seconds), flush=True)
            if cycle in (first, args.cycles):
                types_at[cycle] = qobject_types()
        print(verdict(at, rss, first, args.cycles, types_at[first], types_at[args.cycles]), flush=True)
        window.document.mark_clean()
        window.close()
        flush()


if __name__ == "__main__":
    main()
