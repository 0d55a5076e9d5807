"""The user guide's pictures, taken from the real window, so they never go stale.

    python scripts/guide_screenshots.py [OUT_DIR]      # default: docs/images

Each picture is made by driving the window as a person would (the New Network dialog, typing
on the canvas, stepping, training) and grabbing the widget. It runs offscreen unless a display
is set. tests/ui/test_guide.py runs it into a scratch folder on every CI run and checks that
it makes every picture docs/guide.md shows.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from nnstudio.document import Document  # noqa: E402
from nnstudio.io.examples import load_example  # noqa: E402
from nnstudio.ui.window.main_window import MainWindow  # noqa: E402
from nnstudio.ui.selection import ItemKey  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1280, 800)
sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or by runpy: its sibling below
import guide_screenshots_conv as conv  # noqa: E402


def settle(app: QApplication, seconds: float = 0.15) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()


def window_for(app: QApplication, settings: QSettings, example: str | None) -> MainWindow:
    window = MainWindow(Document(load_example(example)) if example else Document(), settings)
    window.resize(*SIZE)
    window.show()
    settle(app)
    return window


def shot(widget: QWidget, path: Path) -> None:
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")


def overview(app: QApplication, settings: QSettings, out: Path) -> None:
    window = window_for(app, settings, "cosine-memory")
    shot(window, out / "overview.png")
    window.close()


def new_network(app: QApplication, settings: QSettings, out: Path) -> None:
    window = window_for(app, settings, None)
    shot(window, out / "empty-canvas.png")
    dialog = window.new_network()
    dialog.sizes.setText("784-128-10")
    settle(app)
    shot(dialog, out / "new-network.png")
    dialog.reject()
    window.close()


def typing(app: QApplication, settings: QSettings, out: Path) -> None:
    window = window_for(app, settings, "cosine-memory")
    window.scene.select_key(ItemKey("edge", 1, 1, 0))
    window.view.setFocus()
    from PySide6.QtTest import QTest

    QTest.keyClicks(window.view, "1")  # the first key opens the cell's editor, which then has the keys
    QTest.keyClicks(window.view.editor, "/sqrt(2)")
    settle(app)
    shot(window.view, out / "typing.png")
    QTest.keyClick(window.view.editor, Qt.Key.Key_Escape)
    window.close()


def stepping(app: QApplication, settings: QSettings, out: Path) -> None:
    window = window_for(app, settings, "backprop-4-2-3")
    window.step_dock.raise_()
    for _ in range(9):
        window.actions_by_name["step"].trigger()
    window.actions_by_name["edge_gradient"].trigger()
    settle(app)
    shot(window, out / "stepping.png")
    window.document.stepping.stop()
    window.close()


def training(app: QApplication, settings: QSettings, out: Path) -> None:
    window = window_for(app, settings, "xor")
    window.actions_by_name["train"].trigger()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("xor"))
    panel.epochs.setValue(1500)
    panel.pace_row.fastest.click()  # the picture is of the finished run: no need to watch it for 17 s
    settle(app)
    panel.start_button.click()
    deadline = time.monotonic() + 60
    while window.trainer.running and time.monotonic() < deadline:
        settle(app, 0.05)
    settle(app, 0.4)
    window.training_dock.raise_()  # the plot, rather than the results that come up when a run ends
    settle(app, 0.2)
    shot(window, out / "training.png")
    window.document.mark_clean()
    window.close()


def lessons(app: QApplication, settings: QSettings, out: Path) -> None:
    """The cosine-memory lesson at its second task, checked with a bias that is close but not −1/√2 (in a window
    of its own settings: the pictures before leave the Training dock open, which a first lesson would not see)."""
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = window_for(app, settings, None)
    window.actions_by_name["lessons"].trigger()
    window.lessons.start("cosine-memory")
    window.lessons.go_to(1)
    window.document.set_all_biases(1, "-0.7")
    window.lessons_panel.page_view.task_box.check()
    settle(app, 0.3)
    shot(window, out / "lessons.png")
    window.document.mark_clean()
    window.close()


PICTURES: list[tuple[str, Callable[[QApplication, QSettings, Path], None]]] = [
    ("overview", overview), ("new-network", new_network), ("typing", typing), ("stepping", stepping),
    ("training", training), ("lessons", lessons),
]
PICTURES += conv.pictures(conv.Kit(settle, window_for, shot, SIZE))  # chapter 5, convolutional networks


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    # The lesson's working network is kept in the user data folder: a scratch one here, not the person's own.
    scratch = tempfile.mkdtemp()
    os.environ["XDG_DATA_HOME"] = os.environ["APPDATA"] = scratch
    app = QApplication.instance() or QApplication(sys.argv[:1])
    # A fresh settings file: the window as a new user first sees it.
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    for name, make in PICTURES:
        make(app, settings, out)  # type: ignore[arg-type]
        settle(app)
    for window in app.topLevelWidgets():
        if isinstance(window, MainWindow):
            window.document.mark_clean()
    print(f"wrote {len(list(out.glob('*.png')))} pictures to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
