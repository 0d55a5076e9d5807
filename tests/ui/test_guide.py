"""The user guide: its pictures come from the real window by a script, and Help → User guide shows it."""

import re
import runpy
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument

from nnstudio.ui.panels.help.guide_dialog import GuideDialog, guide_text

ROOT = Path(__file__).resolve().parents[2]


def pictures_in_guide() -> list[str]:
    return re.findall(r"!\[[^\]]*\]\((images/[^)]+\.png)\)", guide_text())


def test_the_screenshot_script_still_makes_every_picture_the_guide_shows(qapp, tmp_path):
    script = runpy.run_path(str(ROOT / "scripts" / "guide_screenshots.py"))
    assert script["main"]([str(tmp_path)]) == 0
    shown = pictures_in_guide()
    assert len(shown) >= 5
    for picture in shown:
        image = QImage(str(tmp_path / Path(picture).name))
        assert not image.isNull(), picture
        assert image.width() >= 400 and image.height() >= 300, (picture, image.size())
        assert (ROOT / "docs" / picture).is_file(), f"{picture} is not in docs/ (run scripts/guide_screenshots.py)"
    overview = QImage(str(tmp_path / "overview.png"))
    assert (overview.width(), overview.height()) == (1280, 800)  # the default window, as a person sees it


def test_help_user_guide_opens_the_guide_with_its_pictures(qtbot, make_window):
    window = make_window("cosine-memory")
    window.actions_by_name["guide"].trigger()
    dialogs = [d for d in window.findChildren(GuideDialog) if d.isVisible()]
    assert len(dialogs) == 1
    browser = dialogs[0].browser
    text = browser.toPlainText()
    for heading in ("Build a network", "Type in weights and biases", "Step through the forward and backward pass",
                    "Train", "Convolutional networks", "Lessons", "Files", "The command line"):
        assert heading in text
    for picture in pictures_in_guide():
        image = browser.document().resource(QTextDocument.ResourceType.ImageResource, QUrl(picture))
        assert image is not None and not image.isNull() and image.width() >= 400, picture  # found and loaded
    dialogs[0].close()


def test_the_examples_menu_describes_each_example(make_window):
    window = make_window()
    actions = window.examples_menu.actions()
    assert len(actions) >= 4 and window.examples_menu.toolTipsVisible()
    cosine = next(a for a in actions if a.data() == "cosine-memory")
    assert "Three memories stored as the rows of W1" in cosine.toolTip()
    assert cosine.statusTip().startswith("Three memories stored as the rows of W1")
