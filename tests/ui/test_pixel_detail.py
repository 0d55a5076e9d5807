"""The Step dock's detail view of a map pixel (issue 35, point 3): z with the numbers substituted, one partial
sum per input channel, against sums written here in plain numpy and docs/conv-worked-example.md's numbers."""

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.ui.selection import ItemKey
from tests.support import conv_reference
from tests.ui.helpers import run_queued_events


def read(text: str) -> float:
    return float(text.replace("−", "-"))


def select(window, key: ItemKey) -> list[str]:
    """Select `key` as a click on the canvas does (the scene's public selection) and read the Step dock."""
    window.scene.select_key(key)
    assert window.scene.selected_key() == key
    run_queued_events()
    return window.step_panel.equations.toPlainText().splitlines()


def value_of(lines: list[str], start: str) -> float:
    """The number after the last " = " of the one line that starts with `start`."""
    found = [line for line in lines if line.startswith(start)]
    assert len(found) == 1, (start, lines)
    return read(found[0].rsplit(" = ", 1)[1].split()[0])


def partial_sums(lines: list[str]) -> list[float]:
    return [read(line.rsplit(" = ", 1)[1]) for line in lines if line.startswith("  channel ")]


def lenet_maps(window) -> list[tuple[np.ndarray, np.ndarray]]:
    project = window.document.project
    return conv_reference.forward(conv_reference.describe(project.network), project.network_input(project.input))


def test_a_lenet_conv_pixel_shows_every_channel_partial_sum_by_hand(make_window):
    window = make_window("lenet")
    lines = select(window, ItemKey("pixel", 3, 4, 5, channel=2))
    assert window.step_panel.equations_title.text() == "Detail of the selected map pixel"
    layer = window.document.project.network.layers[2]
    before = lenet_maps(window)[1][1].reshape(6, 14, 14)  # layer 2's a: the six pooled maps layer 3 reads
    window_cells = before[:, 4:9, 5:10]  # stride 1, no padding: rows 4–8, columns 5–9
    kernel = np.array(layer.kernel, float)[2]
    partials = [float(np.sum(kernel[c] * window_cells[c])) for c in range(6)]
    total = sum(partials)
    z = total + float(layer.bias[2])
    decimals = window.step_panel.digits.value() + 1
    assert lines[0] == "Layer 3, pixel (row 5, column 6) of channel 3"
    assert "Convolution: z = K ⋆ a + b, by input channel" in lines
    assert not any("W·a" in line for line in lines)
    assert partial_sums(lines) == pytest.approx(partials, abs=0.5 * 10**-decimals)
    assert value_of(lines, "Σ channels") == pytest.approx(total, abs=0.5 * 10**-decimals)
    bias_text = next(line for line in lines if line.startswith("z = ")).split(" = ")[1].split(" + ")[1]
    assert read(bias_text.strip("()")) == pytest.approx(float(layer.bias[2]), abs=0.5 * 10**-decimals)
    assert value_of(lines, "z = ") == pytest.approx(z, abs=0.5 * 10**-decimals)
    assert value_of(lines, "a = ReLU(") == pytest.approx(max(z, 0.0), abs=0.5 * 10**-decimals)
    # Below the summary, every channel's 5×5 kernel, window and products, nothing cut off: 6 × 25 products.
    blocks = [i for i, line in enumerate(lines) if line.startswith("channel ")]
    assert len(blocks) == 6
    for c, start in enumerate(blocks):
        products = [[read(cell) for cell in row.split()] for row in lines[start + 14:start + 19]]
        assert lines[start + 13] == "  K·a"
        np.testing.assert_allclose(products, kernel[c] * window_cells[c], atol=0.5 * 10**-decimals)
        shown_window = [[read(cell) for cell in row.split()] for row in lines[start + 8:start + 13]]
        np.testing.assert_allclose(shown_window, window_cells[c], atol=0.5 * 10**-decimals)
    # The window's digits setting: one more digit on the canvas, one more in the detail.
    window.step_panel.digits.setValue(5)
    lines = window.step_panel.equations.toPlainText().splitlines()
    assert value_of(lines, "z = ") == pytest.approx(z, abs=0.5e-6)
    assert len(next(line for line in lines if line.startswith("z = ")).rsplit(" = ", 1)[1].split(".")[1]) <= 6


def test_a_lenet_pool_pixel_names_the_first_maximum(make_window):
    window = make_window("lenet")
    conv = lenet_maps(window)[2][1].reshape(16, 10, 10)  # layer 3's a, which layer 4 pools 2×2
    # One pixel whose window has a clear maximum, and one of ReLU's zeros (a tie: the first cell wins).
    windows = {(c, i, j): conv[c, 2 * i:2 * i + 2, 2 * j:2 * j + 2] for c, i, j in np.ndindex(16, 5, 5)}
    tied = next(p for p, w in windows.items() if np.count_nonzero(w == w.max()) > 1)
    clear = next(p for p, w in windows.items() if np.count_nonzero(w == w.max()) == 1 and np.argmax(w) == 3)
    for c, i, j in (tied, clear):
        lines = select(window, ItemKey("pixel", 4, i, j, channel=c))
        cells = windows[(c, i, j)]
        u, v = divmod(int(np.argmax(cells)), 2)
        assert f"the first maximum: window cell (row {u + 1}, column {v + 1}), pixel (row {2 * i + u + 1}, " \
               f"column {2 * j + v + 1}) of the map before" in lines
        assert "Pooling: z = the max of the 2×2 window (no weights, no activation)" in lines
        assert value_of(lines, "z = max") == pytest.approx(cells.max(), abs=0.5e-4)
        assert value_of(lines, "a = z") == pytest.approx(cells.max(), abs=0.5e-4)


def test_conv_4x4_detail_is_the_worked_example(make_window):
    """docs/conv-worked-example.md: z[0, 1] = 1·2 + 0·0 + (−1)·1 + 2·3 + 0.5 = 7.5; the pool takes 7.5 at
    (0, 1); δ[0, 1] = 1 and this pixel's share of ∂L/∂k is its whole ∂L/∂k, [[2, 0], [1, 3]]."""
    window = make_window("conv-4x4")
    lines = select(window, ItemKey("pixel", 1, 0, 1, channel=0))
    assert lines[:6] == ["Layer 1, pixel (row 1, column 2) of channel 1",
                         "Convolution: z = K ⋆ a + b, by input channel",
                         "  channel 1: Σ K·a = 7", "Σ channels = 7", "z = 7 + 0.5 = 7.5", "a = ReLU(7.5) = 7.5"]
    block = lines.index("channel 1   Σ K·a = 7")
    assert lines[block + 1:block + 10] == ["  K", "     1  0", "    −1  2", "  a (window)", "     2  0", "     1  3",
                                          "  K·a", "     2  0", "    −1  6"]
    assert select(window, ItemKey("pixel", 0, 1, 2, channel=0))[:2] == ["Input, pixel (row 2, column 3) of channel 1",
                                                                          "x = 3"]
    lines = select(window, ItemKey("pixel", 2, 0, 0, channel=0))
    assert "the first maximum: window cell (row 1, column 2), pixel (row 1, column 2) of the map before" in lines
    assert "z = max = 7.5" in lines and "a = z = 7.5" in lines
    # Stepping: nothing before the pass reaches it, then z, a, and after the backward pass δ and the shares.
    select(window, ItemKey("pixel", 1, 0, 1, channel=0))
    window.actions_by_name["step"].trigger()
    lines = window.step_panel.equations.toPlainText().splitlines()
    assert lines[-1] == "(not reached yet at this step)" and not any(line.startswith(("z ", "a ")) for line in lines)
    window.actions_by_name["step"].trigger()  # layer 1: z = K ⋆ a + b
    assert "Step 1 of" in window.step_panel.step_label.text() and "z = K ⋆ a + b" in window.step_panel.step_label.text()
    lines = window.step_panel.equations.toPlainText().splitlines()
    assert "z = 7 + 0.5 = 7.5" in lines and not any(line.startswith("a ") for line in lines)
    window.actions_by_name["run_backward"].trigger()
    lines = window.step_panel.equations.toPlainText().splitlines()
    assert "δ = ∂L/∂z = 1" in lines
    share = lines.index("  δ·a, this pixel's share of ∂L/∂K")
    assert lines[share + 1:share + 3] == ["    2 0", "    1 3"]  # its own column width (δ is often tiny)
    lines = select(window, ItemKey("pixel", 2, 0, 0, channel=0))
    assert "δ = ∂L/∂z = 1" in lines and "  sent back: all of δ to the maximum's cell" in lines


def test_the_step_dock_never_writes_w_a_plus_b_for_a_layer_of_maps(make_window):
    window = make_window("conv-4x4")
    seen = []
    window.actions_by_name["step"].trigger()
    while True:
        text = window.step_panel.step_label.text()
        seen.append(text)
        if "layer 1:" in text or "layer 2:" in text:
            assert "W·a" not in text, text
        if window.document.stepping.plan.at_end():
            break
        window.actions_by_name["step"].trigger()
    assert any("layer 1: z = K ⋆ a + b" in text for text in seen)
    assert any("layer 2: z = max of each window" in text for text in seen)
    assert any("layer 3: z = W·a + b" in text for text in seen)  # the dense output keeps its words


def test_a_lenet_pixel_on_the_padding_and_its_delta_after_the_backward_pass(make_window):
    """Layer 1 pads by 2: pixel (0, 0) reads a window hanging over the padding (zeros); once the backward pass
    reaches it, δ and this pixel's share of ∂L/∂K equal a backward pass written in plain numpy loops."""
    window = make_window("lenet")
    project = window.document.project
    x = project.network_input(project.input)
    _, deltas = conv_reference.backward(conv_reference.describe(project.network), x, project.target, project.loss)
    delta_maps = deltas[0].reshape(6, 28, 28)
    edge = np.zeros((28, 28), bool)
    edge[:2, :] = edge[:, :2] = True  # pixels whose 5×5 window hangs over the padding at the top or left
    channel, row, col = np.unravel_index(np.argmax(np.abs(delta_maps) * edge), delta_maps.shape)
    assert delta_maps[channel, row, col] != 0  # a pixel the backward pass really reaches
    kernel = np.array(project.network.layers[0].kernel, float)[channel, 0]
    cells = np.pad(x.reshape(28, 28), 2)[row:row + 5, col:col + 5]
    key = ItemKey("pixel", 1, int(row), int(col), channel=int(channel))
    lines = select(window, key)
    assert "(the window hangs over the padding: those cells read 0)" in lines
    assert partial_sums(lines) == pytest.approx([float(np.sum(kernel * cells))], abs=0.5e-4)
    window.actions_by_name["step"].trigger()
    window.actions_by_name["run_backward"].trigger()
    run_queued_events()
    assert window.scene.selected_key() == key
    lines = window.step_panel.equations.toPlainText().splitlines()
    delta = delta_maps[channel, row, col]  # small (the example is trained: L ≈ 0.0009): read at 10 decimals
    window.step_panel.digits.setValue(9)
    lines = window.step_panel.equations.toPlainText().splitlines()
    decimals = 10
    assert abs(delta) > 1e-8, delta
    assert value_of(lines, "δ = ∂L/∂z") == pytest.approx(delta, abs=0.5 * 10**-decimals, rel=1e-6)
    share = lines.index("  δ·a, this pixel's share of ∂L/∂K")
    shown = [[read(cell) for cell in row.split()] for row in lines[share + 1:share + 6]]
    np.testing.assert_allclose(shown, delta * cells, atol=0.5 * 10**-decimals)


def test_the_place_read_in_a_long_detail_is_kept_through_a_step(make_window):
    """LeNet's third layer: 6 channels of 5×5 grids scroll; a step or the digits keep the place, another pixel
    starts at its top."""
    window = make_window("lenet")
    select(window, ItemKey("pixel", 3, 4, 5, channel=2))
    scroll = window.step_panel.equations.verticalScrollBar()  # in pixels
    line = window.step_panel.equations.fontMetrics().lineSpacing()
    assert scroll.maximum() > 40 * line  # longer than the dock: it scrolls, nothing is cut off
    scroll.setValue(40 * line)
    window.step_panel.digits.setValue(4)
    assert scroll.value() >= 35 * line  # kept, give or take a wrapped line of words (grid rows never wrap)
    window.actions_by_name["step"].trigger()
    run_queued_events()
    assert scroll.value() == 0 or window.step_panel.equations.toPlainText().endswith("(not reached yet at this step)")
    window.actions_by_name["run_forward"].trigger()
    run_queued_events()
    scroll.setValue(40 * line)
    window.actions_by_name["step"].trigger()  # the loss: the same pixel, the same lines
    run_queued_events()
    assert scroll.value() >= 35 * line  # kept (give or take the lines the taller step label takes from the view)
    select(window, ItemKey("pixel", 3, 0, 0, channel=0))
    assert scroll.value() == 0


def test_a_click_on_a_map_pixel_shows_its_detail(make_window, qtbot):
    """The whole path: a mouse click on pixel (row 1, column 2) of conv-4x4's conv map, then the Step dock."""
    window = make_window("conv-4x4")
    window.step_dock.raise_()
    key = ItemKey("pixel", 1, 0, 1, channel=0)
    rect = window.scene.key_rect(key)
    assert rect is not None
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=window.view.mapFromScene(rect.center()))
    run_queued_events()
    assert window.scene.selected_key() == key
    lines = window.step_panel.equations.toPlainText().splitlines()
    assert lines[0] == "Layer 1, pixel (row 1, column 2) of channel 1" and "z = 7 + 0.5 = 7.5" in lines


GRID_ROW = re.compile(r" {4}[ −\d.e]+")  # a row of a grid: numbers only, indented under the grid's name


def laid_out(window) -> list[tuple[str, int, float]]:
    """Each block of the Step dock's detail as the view lays it out: its text, its number of lines, its width."""
    document = window.step_panel.equations.document()
    document.documentLayout().documentSize()  # lay out the whole document, not only the part in view
    blocks, block = [], document.begin()
    while block.isValid():
        layout = block.layout()
        width = max((layout.lineAt(i).naturalTextWidth() for i in range(layout.lineCount())), default=0.0)
        blocks.append((block.text(), layout.lineCount(), width))
        block = block.next()
    return blocks


def test_every_grid_row_reads_on_one_line_at_the_default_window(make_window):
    """The walk's LeNet layer-3 pixel at 1280×800: each 5-number row of K, a, K·a (and δ·a after the backward
    pass) wrapped onto two lines at the dock's width. Rows never wrap: a wider row scrolls sideways; words wrap."""
    window = make_window("lenet")
    window.step_dock.raise_()
    select(window, ItemKey("pixel", 3, 4, 8, channel=7))
    view = window.step_panel.equations
    for grids_a_channel in (3, 4):  # K, a, K·a; then with δ·a
        blocks = laid_out(window)
        rows = [(text, lines, width) for text, lines, width in blocks if GRID_ROW.fullmatch(text)]
        assert len(rows) == 6 * grids_a_channel * 5
        assert all(len(text.split()) == 5 for text, _, _ in rows)
        assert [lines for _, lines, _ in rows] == [1] * len(rows)
        widest = max(width for _, _, width in rows)
        assert widest > view.viewport().width()  # the dock as it opens is narrower than a row of 4-decimal cells…
        assert view.horizontalScrollBar().maximum() >= widest - view.viewport().width()  # … so it scrolls to it
        prose = next(lines for text, lines, _ in blocks if text.startswith("Per channel: the 5×5 kernel K"))
        assert prose > 1  # the words still wrap to the dock
        window.actions_by_name["step"].trigger()
        window.actions_by_name["run_backward"].trigger()
        run_queued_events()


def test_a_pool_pixels_tiny_delta_is_never_written_0_in_the_grid_of_where_it_went(make_window):
    """The walk's LeNet layer 4, pixel (row 3, column 3) of channel 4: its δ rounds to 0 at 4 decimals. The
    sentence says all of δ went to the maximum's cell; that cell reads δ as the line above writes it (significant
    digits, a short exponent, a typographic minus), and only the cells δ did not reach read 0."""
    window = make_window("lenet")
    project = window.document.project
    x = project.network_input(project.input)
    specs = conv_reference.describe(project.network)
    passes, deltas = conv_reference.backward(specs, x, project.target, project.loss)
    delta = float(deltas[3].reshape(16, 5, 5)[3, 2, 2])
    assert 0 < abs(delta) < 0.5e-4  # a δ that 4 decimals write as 0
    u, v = divmod(int(np.argmax(passes[2][1].reshape(16, 10, 10)[3, 4:6, 4:6])), 2)  # the first maximum
    select(window, ItemKey("pixel", 4, 2, 2, channel=3))
    window.actions_by_name["step"].trigger()
    window.actions_by_name["run_backward"].trigger()
    run_queued_events()
    lines = window.step_panel.equations.toPlainText().splitlines()
    written = next(line for line in lines if line.startswith("δ = ∂L/∂z = ")).rsplit(" = ", 1)[1]
    assert re.fullmatch(r"−?\d\.\d{3}e−\d", written) and read(written) == pytest.approx(delta, rel=1e-3)
    sent = lines.index("  sent back: all of δ to the maximum's cell")
    cells = [row.split() for row in lines[sent + 1:sent + 3]]
    assert cells[u][v] == written
    assert [cell for i, row in enumerate(cells) for j, cell in enumerate(row) if (i, j) != (u, v)] == ["0"] * 3


def test_a_hidden_step_dock_leaves_a_pixels_detail_for_when_it_is_shown(make_window, monkeypatch):
    """A run's snapshot arrives twice a second: behind the Inspector, the Step dock does not work out LeNet's grids
    for it. Shown again, it reads the snapshot's numbers."""
    from nnstudio.ui.panels.network import pixel_detail_view

    window = make_window("lenet")
    key = ItemKey("pixel", 1, 3, 4, channel=2)
    before = value_of(select(window, key), "z = ")
    window.inspector_dock.raise_()
    run_queued_events()
    calls = []
    computed = pixel_detail_view.pixel_detail
    monkeypatch.setattr(pixel_detail_view, "pixel_detail", lambda *args: calls.append(args) or computed(*args))
    network = window.document.project.network
    layer = network.layers[0]
    window.document.set_preview(network.with_layer(0, layer.replace(bias=layer.bias + 1.0)))  # a run's snapshot
    run_queued_events()
    assert calls == []
    assert value_of(window.step_panel.equations.toPlainText().splitlines(), "z = ") == before
    window.step_dock.raise_()
    run_queued_events()
    assert len(calls) == 1
    z = float(window.document.shown_trace.layers[0].z[(2 * 28 + 3) * 28 + 4])  # channel 3, row 4, column 5
    assert z == pytest.approx(before + 1.0, abs=1e-4)  # the snapshot's bias, not the document's
    assert value_of(window.step_panel.equations.toPlainText().splitlines(), "z = ") == pytest.approx(z, abs=5e-4)
    window.document.set_preview(None)
