"""Help → User guide: docs/guide.md, shipped as `nnstudio.docs`, shown with its pictures."""

from __future__ import annotations

import re
from contextlib import ExitStack
from importlib import resources
from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

GUIDE = "guide.md"
PICTURE_WIDTH = 840  # pixels; the dialog opens 900 wide


def guide_text() -> str:
    """The guide's Markdown, read through importlib.resources (works from a wheel and a checkout)."""
    return resources.files("nnstudio.docs").joinpath(GUIDE).read_text(encoding="utf-8")


class GuideDialog(QDialog):
    """The guide in a text browser: headings, tables, pictures and links to the file-format page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle("nnstudio user guide")
        self._files = ExitStack()  # the docs folder as a real path for as long as the dialog lives
        folder = self._files.enter_context(resources.as_file(resources.files("nnstudio.docs")))
        self.browser = QTextBrowser()
        self.browser.setObjectName("guideBrowser")
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(folder)])
        self.browser.setMarkdown(guide_text())
        # Pictures of the whole 1280-wide window are shown at the page's width; smaller ones as they are.
        def sized(match: re.Match[str]) -> str:
            width = QImage(str(Path(folder) / match.group(1))).width()
            return f'<img width="{min(width, PICTURE_WIDTH) if width > 0 else PICTURE_WIDTH}" src="{match.group(1)}"'

        self.browser.setHtml(re.sub(r'<img src="([^"]+)"', sized, self.browser.toHtml()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(900, 720)
        self.finished.connect(lambda _: self._files.close())
