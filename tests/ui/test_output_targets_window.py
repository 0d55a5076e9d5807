"""Every save and export of the window refuses a target that is not a regular file or a new name (issue 29):
a message box names the path and what it is, the node stays what it was, and the open document keeps its
network, its file and its unsaved state.

Each FIFO has a non-blocking reader held open by the test: a regression that opened it for writing (as
`QImage.save(path)` did) finds a reader instead of blocking the test, and the test sees what came through.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from tests.ui.helpers import error_boxes

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, device nodes and links as POSIX has them")

PRECIOUS = b"the file the link points at\n"


def _answer_save_dialog(monkeypatch, path: Path, chosen: str = "") -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (str(path), chosen))


class Planted:
    """A node of `kind` at `path`; `intact()` says it is still that node and nothing was written through it."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind, self.reader = path, kind, None
        if kind == "fifo":
            os.mkfifo(path)
            self.reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        elif kind == "device":
            if os.geteuid() != 0:
                pytest.skip("mknod of a character device needs root")
            os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # the null device's numbers, in tmp_path
        else:
            (path.parent / "precious.bin").write_bytes(PRECIOUS)
            os.symlink("precious.bin", path)

    def intact(self) -> bool:
        mode = os.lstat(self.path).st_mode
        if self.kind == "fifo":
            try:
                came = os.read(self.reader, 1 << 16)
            except BlockingIOError:
                came = b""
            return stat.S_ISFIFO(mode) and came == b""
        if self.kind == "device":
            return stat.S_ISCHR(mode)
        return (stat.S_ISLNK(mode) and os.readlink(self.path) == "precious.bin"
                and (self.path.parent / "precious.bin").read_bytes() == PRECIOUS)

    def close(self) -> None:
        if self.reader is not None:
            os.close(self.reader)


WHAT = {"fifo": "is a named pipe (FIFO)", "device": "is a character device", "symlink": "is a symbolic link"}


def _save_as(window, monkeypatch, path):
    _answer_save_dialog(monkeypatch, path)
    assert window.save_as() is False


def _export_png(window, monkeypatch, path):
    _answer_save_dialog(monkeypatch, path)
    window.export_png_dialog()


def _export_svg(window, monkeypatch, path):
    _answer_save_dialog(monkeypatch, path)
    window.export_svg_dialog()


def _export_model(window, monkeypatch, path):
    _answer_save_dialog(monkeypatch, path, "ONNX model (*.onnx)")
    window.actions_by_name["export_model"].trigger()


def _export_curves(window, monkeypatch, path):
    _answer_save_dialog(monkeypatch, path)
    window.training_panel.exports.export_csv()


def _export_plot(window, monkeypatch, path):
    _answer_save_dialog(monkeypatch, path)
    window.training_panel.exports.export_png()


OUTPUTS = {"save-as": (_save_as, "out.nnstudio"), "canvas-png": (_export_png, "out.png"),
           "canvas-svg": (_export_svg, "out.svg"), "model": (_export_model, "out.onnx"),
           "curves-csv": (_export_curves, "out.csv"), "plot-png": (_export_plot, "out.png")}


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink"])
@pytest.mark.parametrize("output", list(OUTPUTS))
def test_a_refused_target_is_a_message_the_node_stays_and_the_document_is_kept(
        make_window, qtbot, tmp_path, monkeypatch, output, kind):
    window = make_window("xor")
    saved = tmp_path / "net.nnstudio"
    assert window.save_to(saved)
    on_disk = saved.read_bytes()
    window.document.set_weight(1, 0, 0, "3")  # unsaved work that must survive
    before = window.document.project
    act, name = OUTPUTS[output]
    planted = Planted(tmp_path / name, kind)
    try:
        act(window, monkeypatch, planted.path)
        qtbot.waitUntil(lambda: bool(error_boxes()))
        message = error_boxes()[-1].text()
        assert message.startswith(f"{planted.path}: {WHAT[kind]}"), message
        assert planted.intact()
    finally:
        planted.close()
    assert window.document.project is before and window.document.modified
    assert window.document.path == saved and saved.read_bytes() == on_disk
    leftovers = {p.name for p in tmp_path.iterdir()} - {"net.nnstudio", name, "precious.bin", "settings.ini"}
    assert not leftovers  # no temporary file, no renamed copy


def test_save_as_onto_a_fifo_then_onto_a_new_name_saves(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window("xor")
    window.document.set_weight(1, 0, 0, "3")
    planted = Planted(tmp_path / "pipe.nnstudio", "fifo")
    try:
        _save_as(window, monkeypatch, planted.path)
        qtbot.waitUntil(lambda: bool(error_boxes()))
        assert "pipe.nnstudio: is a named pipe (FIFO); give the name of a regular file or a new one" in \
            error_boxes()[-1].text()
        assert window.document.path is None and window.document.modified and planted.intact()
    finally:
        planted.close()
    _answer_save_dialog(monkeypatch, tmp_path / "kept.nnstudio")
    assert window.save_as() is True
    assert window.document.path == tmp_path / "kept.nnstudio" and not window.document.modified
