"""The plots of the docks hidden at launch are made when first shown (panels/lazy_plot.py), and then show all
that happened while there was no plot: a run's points, the log axis, the rewound moment, a plane."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from nnstudio.core.neuron_maps import plane_bounds
from nnstudio.data.named import load_named
from nnstudio.training import EpochResult, StepProgress


def test_a_window_opens_without_making_the_plots_of_its_hidden_docks(make_window):
    window = make_window("lenet")
    assert not window.training_dock.isVisible() and not window.results_dock.isVisible()
    training, results = window.training_panel.plot, window.results_panel
    assert not training.place.built() and not results.runs.place.built() and not results.boundary.place.built()


def test_what_the_training_plot_was_told_while_hidden_is_drawn_when_the_dock_is_first_shown(qtbot, make_window):
    window = make_window("xor")
    plot = window.training_panel.plot
    losses = [0.9, 0.7, 0.4, 0.3]
    for k, loss in enumerate(losses, start=1):
        plot.add_step(StepProgress(epoch=1, step=k, steps_per_epoch=4, samples_seen=10 * k, loss=loss,
                                   samples_per_second=100.0, curve=True))
    plot.add_epoch(EpochResult(1, 0.5, 0.45, 0.75, None, None, 100.0, 0.1, 0.1, 40), 40.0)
    window.training_panel.log_loss.setChecked(True)
    plot.mark_moment(20.0, "epoch 1")
    plot.redraw()  # the timer's redraw while hidden draws nothing, and loses nothing
    assert not plot.place.built()

    window.actions_by_name["train"].trigger()  # as a person opens the training panel
    qtbot.waitUntil(lambda: plot.place.built() and plot.place.isVisible())
    x, y = plot.raw.getData()
    assert list(x) == [10.0, 20.0, 30.0, 40.0]
    # the log axis draws log10 of the loss
    np.testing.assert_allclose(y, np.log10(losses), atol=1e-12)
    _, accuracy = plot.accuracy.getData()
    assert list(accuracy) == [0.75]
    assert plot.plot.getPlotItem().getAxis("left").labelText == "loss (log scale)"
    assert plot.moment.isVisible() and plot.moment.value() == pytest.approx(20.0)


@pytest.fixture
def rough_plots():
    """pyqtgraph as a fresh process has it (no antialiasing) until a window sets it; put back afterwards."""
    before = pg.getConfigOption("antialias")
    pg.setConfigOptions(antialias=False)
    yield
    pg.setConfigOptions(antialias=before)


def test_a_plane_set_while_the_boundary_tab_was_hidden_is_framed_when_it_is_first_shown(qtbot, rough_plots,
                                                                                       make_window):
    window = make_window("xor")
    results = window.results_panel
    data = load_named("circles")
    results.set_data(data)  # the last run's data, while the Results dock is hidden
    assert not results.boundary.place.built() and results.boundary.bounds == plane_bounds(data.train.x)

    window.actions_by_name["train"].trigger()
    window.results_dock.raise_()
    results.tabs.setCurrentWidget(results.boundary)
    qtbot.waitUntil(lambda: results.boundary.place.built() and results.boundary.place.isVisible())
    item = results.boundary.plot.getPlotItem()
    assert item.getAxis("left").isVisible() and item.getAxis("bottom").isVisible()
    (x_lo, x_hi), (y_lo, y_hi) = plane_bounds(data.train.x)
    qtbot.waitUntil(lambda: item.viewRange()[1][1] - item.viewRange()[1][0] <= 1.1 * (y_hi - y_lo))
    (view_x_lo, view_x_hi), (view_y_lo, view_y_hi) = item.viewRange()
    assert view_x_lo <= x_lo and x_hi <= view_x_hi and view_y_lo <= y_lo and y_hi <= view_y_hi
    assert results.boundary.image.image is not None and len(results.boundary.points.data) == len(data.train.x[:1000])
    # drawn smooth, though the training plot (once where smooth drawing was asked for) was never made
    assert results.boundary.points.opts["antialias"] is True
