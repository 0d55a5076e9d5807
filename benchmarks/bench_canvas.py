"""Canvas speed: time to build the scene and to repaint it fully, printed as figures.

    python benchmarks/bench_canvas.py

Runs offscreen (no display needed). Networks: the cosine-memory example and a
784-256-128-10 MLP with a 28×28 image input.
"""

from __future__ import annotations

from offscreen import application  # noqa: E402  (benchmarks/offscreen.py: sets QT_QPA_PLATFORM before Qt loads)

from PySide6.QtCore import QRectF  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from nnstudio.core import build_network  # noqa: E402
from timing import median_time  # noqa: E402  (benchmarks/timing.py, beside this script)
from nnstudio.core.project import Project  # noqa: E402
from nnstudio.document import Document  # noqa: E402
from nnstudio.io import load_example  # noqa: E402
from nnstudio.ui.canvas.scene import NetworkScene  # noqa: E402
from nnstudio.ui.canvas.view import NetworkView  # noqa: E402


def measure(name: str, project: Project) -> None:
    document = Document(project)
    scene = NetworkScene(document)
    view = NetworkView(scene)
    view.resize(1280, 800)
    view.show()
    view.fit()
    QApplication.processEvents()
    build = median_time(scene.rebuild, 10)
    image = QImage(1280, 800, QImage.Format.Format_ARGB32_Premultiplied)

    def repaint() -> None:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.render(painter, QRectF(image.rect()), view.viewport().rect())
        painter.end()

    paint = median_time(repaint, 20)

    def pan_and_zoom() -> None:
        view.zoom_in()
        view.translate(40, 0)
        repaint()
        view.zoom_out()

    interaction = median_time(pan_and_zoom, 20)
    print(f"{name:28s} items {len(scene.items()):4d}   build scene {build * 1e3:7.2f} ms   "
          f"full repaint {paint * 1e3:7.2f} ms   zoom+pan+repaint {interaction * 1e3:7.2f} ms")
    view.close()


def main() -> None:
    app = application()
    measure("cosine-memory (2-3-1)", load_example("cosine-memory"))
    measure("mnist-mlp (784-128-10)", load_example("mnist-mlp"))
    big = build_network([784, 256, 128, 10], ["relu", "relu", "softmax"], "he", seed=0)
    measure("784-256-128-10", Project(big, loss="cce", input_image=(28, 28)))
    app.quit()


if __name__ == "__main__":
    main()
