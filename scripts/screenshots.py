"""Screenshots of the window at its default 1280×800 size, for looking at what a person sees.

    xvfb-run -s "-screen 0 1280x800x24" python scripts/screenshots.py OUT_DIR [EXAMPLE ...]

For each example (default: cosine-memory and backprop-4-2-3) it opens the window, fits the
canvas, and saves one PNG per step in STEPS and per edge mode: EXAMPLE-stepN-MODE.png.
Under X (Xvfb) the picture is the screen itself, taken with ImageMagick's `import -window root`,
so it shows what a person would see; elsewhere it falls back to QWidget.grab().
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from nnstudio.document import Document
from nnstudio.io.examples import load_example
from nnstudio.ui.window.main_window import MainWindow

STEPS = (0, 4, 7, 11)
MODES = ("weight", "gradient", "signal")


def settle(app: QApplication) -> None:
    end = time.monotonic() + 0.15
    while time.monotonic() < end:
        app.processEvents()


def save(window: MainWindow, path: Path) -> None:
    if os.environ.get("DISPLAY") and shutil.which("import"):
        subprocess.run(["import", "-window", "root", str(path)], check=True)
    else:
        window.grab().save(str(path))


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    examples = argv[1:] or ["cosine-memory", "backprop-4-2-3"]
    app = QApplication.instance() or QApplication(sys.argv[:1])
    # A fresh settings file: the window as a new user first sees it, not as an earlier run left it.
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    for name in examples:
        window = MainWindow(Document(load_example(name)), settings)
        window.resize(1280, 800)
        window.move(0, 0)
        window.show()
        settle(app)
        for mode in MODES:
            window.actions_by_name[f"edge_{mode}"].trigger()
            for step in STEPS:
                window.document.stepping.start()
                window.document.stepping.run_to(step)
                settle(app)
                save(window, out / f"{name}-step{step}-{mode}.png")
            window.document.stepping.reset()
            window.document.stepping.stop()
        window.document.mark_clean()
        window.settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
        window.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
