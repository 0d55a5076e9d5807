"""File → Export Canvas as PNG / SVG, File → Export Network… and File → Import Model….

Pictures: the canvas drawn without its editing buttons, written through `nnstudio/ui/saving.py`
(target checked first, bytes written atomically). Models: the window's side of
`nnstudio/interop/formats.py`. The format follows the file-type filter chosen in the dialog (or the
name's suffix). Everything is read and checked before the unsaved-changes question, and a refused file
leaves the open document as it was; a missing optional package is said with the command that installs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

from PySide6.QtCore import QBuffer, QMarginsF, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QMessageBox

from nnstudio.atomic import OutputPathError, check_can_write
from nnstudio.core.errors import NNStudioError
from nnstudio.document import Document
from nnstudio.interop.formats import EXPORTS, export_project, import_model_with_notes
from nnstudio.ui.canvas.scene import NetworkScene
from nnstudio.ui.canvas.view import NetworkView
from nnstudio.ui.saving import save_drawing, save_picture
from nnstudio.ui.window.actions import ActionSpec
from nnstudio.ui.window.files import Files
from nnstudio.ui.workers.training_worker import TrainingController


class ExchangeWindow(Protocol):
    """What export and import need of the window (MainWindow is one; it is also the dialogs' parent widget):
    its document and canvas, its File room (the remembered folder, the unsaved-changes question, replacing
    the document), and its ways of telling. Named here rather than imported, so that this module and
    main_window.py, which builds its menu from it, do not import each other."""

    document: Document
    trainer: TrainingController
    scene: NetworkScene
    view: NetworkView
    files: Files

    def report(self, message: str) -> None: ...
    def show_error(self, title: str, message: str) -> QMessageBox: ...
    def show_unexpected(self, title: str, what: str, error: Exception) -> QMessageBox: ...


EXPORT_FILTERS = {f"{fmt.label} (*{fmt.suffix})": fmt.name for fmt in EXPORTS}
IMPORT_FILTER = "Models (*.onnx *.safetensors);;ONNX model (*.onnx);;safetensors weights (*.safetensors)"


ACTIONS: list[ActionSpec] = [
    ActionSpec("export_png", "Export Canvas as &PNG…", None, "Save a picture of the canvas"),
    ActionSpec("export_svg", "Export Canvas as S&VG…", None, "Save the canvas as a vector drawing"),
    ActionSpec("export_model", "Export Net&work…", None,
               "Write the network as a PyTorch or NumPy script, an ONNX model or safetensors weights"),
    ActionSpec("import_model", "&Import Model…", None, "Open an ONNX or safetensors model as a new network"),
]


class Exports:
    """The four export and import actions; the canvas pictures are drawn here."""

    specs = ACTIONS  # the actions above, for build_actions

    def __init__(self, window: ExchangeWindow) -> None:
        self.window = window

    def handlers(self) -> dict[str, Callable[..., object]]:
        return {"export_png": self.export_png_dialog, "export_svg": self.export_svg_dialog,
                "export_model": lambda: export_dialog(self.window), "import_model": lambda: import_dialog(self.window)}

    def export_png_dialog(self) -> None:
        path = self.window.files.ask_save_path("Export canvas as PNG", "network.png", "PNG images (*.png)")
        if path and self.export_png(path):
            self.window.files.remember_folder(path)

    def export_svg_dialog(self) -> None:
        path = self.window.files.ask_save_path("Export canvas as SVG", "network.svg", "SVG drawings (*.svg)")
        if path and self.export_svg(path):
            self.window.files.remember_folder(path)

    def _export_rect(self) -> QRectF:
        return self.window.scene.network_rect().marginsAdded(QMarginsF(24, 24, 24, 24))

    def _render_scene(self, painter: QPainter, target: QRectF, source: QRectF) -> None:
        """The canvas as a picture: the same drawing without the editing buttons."""
        scene = self.window.scene
        scene.set_export_mode(True)
        try:
            scene.render(painter, target, source)
        finally:
            scene.set_export_mode(False)

    def _write_picture(self, path: str | Path, write: Callable[[], None]) -> bool:
        """Run `write` (ui/saving.py: checked target, atomic write); a refusal or a disk error is one message."""
        try:
            write()
        except NNStudioError as error:  # OutputPathError names the path and what it is
            self.window.show_error("Could not export", str(error))
            return False
        except OSError as error:
            self.window.show_error("Could not export", f"{path}: {error.strerror or error}")
            return False
        return True

    def export_png(self, path: str | Path, scale: float = 2.0) -> bool:
        if not self._write_picture(path, lambda: check_can_write(path)):  # before the canvas is drawn
            return False
        rect = self._export_rect()
        image = QImage(QSize(int(rect.width() * scale), int(rect.height() * scale)), QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._render_scene(painter, QRectF(image.rect()), rect)
        painter.end()
        return self._write_picture(path, lambda: save_picture(path, image))

    def export_svg(self, path: str | Path) -> bool:
        rect = self._export_rect()
        generator = QSvgGenerator()
        generator.setSize(rect.size().toSize())
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(self.window.document.display_name)

        def draw(buffer: QBuffer) -> bool:  # into memory; only save_drawing touches the disk
            generator.setOutputDevice(buffer)
            painter = QPainter()
            if not painter.begin(generator):
                return False
            self._render_scene(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
            painter.end()
            return True

        return self._write_picture(path, lambda: save_drawing(path, draw))


def export_dialog(window: ExchangeWindow) -> None:
    """Ask where and in which format, then export."""
    stem = window.document.path.stem if window.document.path else window.document.display_name
    path, chosen = QFileDialog.getSaveFileName(window, "Export network", str(Path(window.files.last_folder()) / stem),
                                               ";;".join(EXPORT_FILTERS))
    if path:
        export_to(window, EXPORT_FILTERS.get(chosen, "onnx"), path)


def export_to(window: ExchangeWindow, name: str, path: str | Path) -> bool:
    """Write the network on screen in format `name` to `path`; a message says what went wrong, if anything."""
    suffix = next(fmt.suffix for fmt in EXPORTS if fmt.name == name)
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(suffix)
    try:
        check_can_write(path)  # a FIFO, device, socket, folder or link: refused before the model is built
        written = export_project(window.document.project, name, path)
    except OutputPathError as error:  # its message names the path (or the script's values file) and what it is
        window.show_error("Could not export", str(error))
        return False
    except (NNStudioError, OSError, ValueError) as error:
        window.show_error("Could not export", f"{path}: {getattr(error, 'strerror', None) or error}")
        return False
    except Exception as error:  # an exporter's fault: the document is untouched (nothing was changed)
        window.show_unexpected("Could not export", str(path), error)
        return False
    window.files.remember_folder(path)
    window.report(f"Exported {', '.join(p.name for p in written)}")
    return True


def import_dialog(window: ExchangeWindow) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Import model", window.files.last_folder(), IMPORT_FILTER)
    if path:
        import_from(window, path)


def import_from(window: ExchangeWindow, path: str | Path) -> bool:
    """Open the model at `path` as a new, unsaved network (after asking about unsaved changes)."""
    path = Path(path)
    if window.trainer.running:
        window.report("Training… stop it before importing a model")
        return False
    try:
        imported = import_model_with_notes(path)
    except (NNStudioError, OSError) as error:
        message = str(error)
        if "--activations" in message:  # the command-line hint, said for the window
            message += ". In the window, import a safetensors file saved by nnstudio, or use the command line."
        window.show_error("Could not import the model", message)
        return False
    except Exception as error:  # a fault no check foresaw: the open document stays as it was
        window.show_unexpected("Could not import the model", str(path), error)
        return False
    if not window.files.maybe_save():
        return False
    project = imported.project
    if not project.name:
        project = project.replace(name=path.stem)
    # Unsaved: the model exists nowhere as a network file yet (the title says so with its *).
    if not window.files.replace_document("Could not import the model",
                                         lambda: window.document.new_project(project, False)):
        return False
    window.files.remember_folder(path)
    window.view.fit()
    # What the file held beyond the network (a predicted-class output, a ZipMap) is said, not dropped silently.
    notes = "".join(f"{note}; " for note in imported.notes)
    window.report(f"Imported {path.name}: {' → '.join(map(str, project.network.sizes))}; {notes}save it as a "
                  ".nnstudio file to keep it")
    return True
