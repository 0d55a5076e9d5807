"""run_record: the one function the window's controller and `nnstudio train` build a run's record with."""

from nnstudio.core import build_network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.core.runs import MAX_CURVE_POINTS, MAX_RUNS, RunRecord, with_run
from nnstudio.data.named import load_named
from nnstudio.training import StepProgress, TrainingConfig, TrainingResult, drive, train
from nnstudio.training.run_record import describe_stop, run_record, step_point
from nnstudio.training.schedule import Schedule, StopRules


def test_the_record_holds_the_settings_the_epochs_and_the_step_losses_the_loop_reported():
    data = load_named("circles")
    config = TrainingConfig(epochs=3, batch_size=16, optimizer=OptimizerConfig("momentum", learning_rate=0.05, l2=0.001),
                            seed=4, schedule=Schedule("step", 2, 0.5), stop=StopRules(0.999, 5, True),
                            report_seconds=0.0)  # a record at every check of the clock, whatever the machine
    run = train(build_network([2, 6, 2], ["tanh", "softmax"], seed=0), "cce", data.train, data.test, config)
    records: list = []
    result = drive(run, records.append)
    seen = [record for record in records if isinstance(record, StepProgress) and record.curve]  # the curve's points
    steps = [step_point(record) for record in seen]
    made = run_record("circles", config, result, steps)

    assert made.dataset == "circles" and made.sizes == (2, 6, 2) and made.seconds == result.seconds
    assert made.settings == {"epochs": 3, "batch_size": 16, "optimizer": "momentum", "learning_rate": 0.05,
                             "l2": 0.001, "seed": 4, "schedule": "step decay ×0.5 every 2 epochs",
                             "stop": "at 99.9%; after 5 epochs without progress, best kept"}
    assert [(r.epoch, r.train_loss, r.test_loss, r.accuracy, r.learning_rate, r.samples_seen) for r in made.epochs] == \
        [(e.epoch, e.train_loss, e.test_loss, e.test_accuracy, e.learning_rate, e.samples_seen) for e in result.epochs]
    assert [r.learning_rate for r in made.epochs] == [0.05, 0.05, 0.025]
    # fewer points than the limit: every curve point the loop reported (a step each: 57 steps), as (samples, loss)
    assert len(seen) == 57 < MAX_CURVE_POINTS and made.train_curve == tuple((r.samples_seen, r.loss) for r in seen)
    assert made.outcome == "finished"


def test_a_long_curve_is_thinned_and_the_outcome_says_how_the_run_ended():
    data = load_named("xor")
    config = TrainingConfig(epochs=1, batch_size=4)
    ended = drive(train(build_network([2, 2, 1], ["tanh", "sigmoid"], seed=0), "bce", data.train, data.test, config))
    points = [(i, 1.0 / (i + 1)) for i in range(3 * MAX_CURVE_POINTS)]
    made = run_record("xor", config, ended, points)
    assert len(made.train_curve) == MAX_CURVE_POINTS and made.train_curve[0] == points[0] \
        and made.train_curve[-1] == points[-1]
    assert made.settings["stop"] == "none" and made.settings["schedule"] == "constant"
    failed = run_record("xor", config, TrainingResult(ended.network, [], error="the loss became nan"), [])
    assert failed.outcome == "the loss became nan" and failed.epochs == () and failed.final_accuracy is None
    stopped = run_record("xor", config, TrainingResult(ended.network, ended.epochs, stopped=True), [])
    assert stopped.outcome == "stopped"
    ruled = run_record("xor", config, TrainingResult(ended.network, ended.epochs, stop_reason="reached 100%"), [])
    assert ruled.outcome == "reached 100%"


def test_stop_rules_in_words():
    assert describe_stop(StopRules()) == "none"
    assert describe_stop(StopRules(target_accuracy=0.98)) == "at 98.0%"
    assert describe_stop(StopRules(patience=3)) == "after 3 epochs without progress"


def test_a_documents_runs_keep_the_latest_sixty_four():
    assert MAX_RUNS == 64  # the limit a file's runs are read against (core/limits.py)
    runs: tuple[RunRecord, ...] = ()
    for number in range(67):
        runs = with_run(runs, RunRecord(f"run {number}", {}, ()))
    assert len(runs) == 64
    assert [run.dataset for run in runs[:2]] == ["run 3", "run 4"] and runs[-1].dataset == "run 66"


def test_a_long_runs_rows_are_thinned_to_ten_thousand_first_and_last_kept_and_the_file_opens_again():
    from nnstudio.io import dumps, load_example, loads
    from nnstudio.training.progress import EpochResult

    config = TrainingConfig(epochs=25_000, batch_size=4)
    network = build_network([2, 2, 1], ["tanh", "sigmoid"], seed=0)
    epochs = [EpochResult(n, 1.0 / n, 2.0 / n, 0.5, None, None, 0.0, 0.0, 0.1, 4 * n) for n in range(1, 25_001)]
    record = run_record("xor", config, TrainingResult(network, epochs), [])
    assert len(record.epochs) == 10_000  # MAX_RUN_ROWS, evenly spread over the 25,000 epochs
    assert record.epochs[0].epoch == 1 and record.epochs[-1].epoch == 25_000
    assert record.epochs[-1].train_loss == 1.0 / 25_000 and record.epochs[-1].samples_seen == 100_000
    gaps = {b.epoch - a.epoch for a, b in zip(record.epochs[:-1], record.epochs[1:])}
    assert gaps <= {2, 3}  # 24,999 epochs between the first and last, in 9,999 even steps
    assert " · 25000 epochs · " in record.title(1)  # the epochs trained, not the rows kept
    back = loads(dumps(load_example("xor").replace(runs=(record,)))).runs[0]
    assert back == record and len(back.epochs) == 10_000
