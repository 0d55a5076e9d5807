"""The Training panel's Pace row (ui/panels/training/pace_row.py): a toy set is watched by default, and "as fast
as possible" is one click away, before a run and while it goes."""

from nnstudio.training.pace import Pace


def _xor_panel(make_window):
    window = make_window("xor")
    window.actions_by_name["train"].trigger()
    panel = window.training_panel
    assert panel.dataset.currentData() == "xor"
    return window, panel


def test_a_default_xor_run_is_watched_and_as_fast_as_possible_is_one_click_away(make_window):
    window, panel = _xor_panel(make_window)
    pace = panel.request().config.pace
    steps = panel.epochs.value() * 1  # four points in one batch: a step an epoch
    assert pace == Pace(steps_per_update=1, updates_per_second=0.5)
    assert steps / pace.steps_per_update / pace.updates_per_second >= 10 and pace.updates_per_second <= 30
    assert panel.pace_row.words.text() == "watch: 1 step per update, 0.5 updates/s, about 10 s"
    assert panel.pace_row.isVisible() and panel.pace_row.fastest.isEnabled()

    panel.pace_row.fastest.click()  # one click
    assert panel.request().config.pace is None and panel.pace_row.words.text() == "as fast as possible"
    panel.pace_row.fastest.click()
    panel.epochs.setValue(300)
    panel.batch.setValue(1)  # 1,200 steps: two an update, 30 updates a second, 20 s
    assert panel.request().config.pace == Pace(2, 30.0)
    assert panel.pace_row.words.text() == "watch: 2 steps per update, 30 updates/s, about 20 s"


def test_other_sets_train_as_fast_as_possible_and_a_toy_set_keeps_the_persons_choice(make_window):
    window, panel = _xor_panel(make_window)
    panel.pace_row.fastest.click()
    panel.dataset.setCurrentIndex(panel.dataset.findData("mnist"))
    assert panel.pace_row.fastest.isChecked() and not panel.pace_row.fastest.isEnabled()
    assert panel.pace_row.pace() is None
    panel.dataset.setCurrentIndex(panel.dataset.findData("circles"))
    assert panel.pace_row.fastest.isChecked() and panel.pace_row.pace() is None  # the person's choice stayed
    panel.pace_row.fastest.click()
    assert panel.pace_row.pace() == Pace(1, 5.0)  # 5 epochs × 10 steps (300 training points, batch 32): 10 s


def test_as_fast_as_possible_clicked_while_the_run_goes_reaches_its_control(qtbot, make_window):
    window, panel = _xor_panel(make_window)
    planned = panel.request().config.pace
    assert planned is not None
    with qtbot.waitSignal(window.trainer.ended, timeout=60000) as ended:
        panel.start_button.click()
        assert panel.pace_row.fastest.isEnabled() and not panel.epochs.isEnabled()  # usable while running
        panel.pace_row.fastest.click()
        assert window.trainer.control.pace_for(planned) is None
    assert ended.args[0] is not None and ended.args[0].epochs_done == panel.epochs.value()
