"""Run history in the .nnstudio file: written, read back equal, refused by field when wrong."""

import json
import math

import pytest

from nnstudio.core.run_comparison import differing_settings, legend
from nnstudio.core.runs import EpochRow, RunRecord, thin
from nnstudio.io import load_example
from nnstudio.io.network_file import NetworkFileError, dumps, loads

RUN = RunRecord("circles", {"epochs": 2, "batch_size": 16, "optimizer": "sgd", "learning_rate": 0.05, "seed": 0},
                (EpochRow(1, 0.69, 0.61, 0.75, 0.05, 300), EpochRow(2, 0.55, 0.50, 0.9, 0.05, 600)),
                ((16, 0.7), (600, 0.5)), 1.25, "finished", (2, 6, 2))


def test_runs_round_trip_through_the_file_and_old_files_have_none():
    project = load_example("xor")
    assert project.runs == ()  # a file written before runs were kept opens as it did
    faster = RunRecord("circles", {**RUN.settings, "learning_rate": 0.1}, RUN.epochs[:1], (), 0.5, "stopped", (2, 6, 2))
    back = loads(dumps(project.replace(runs=(RUN, faster))))
    assert back.runs == (RUN, faster)
    data = json.loads(dumps(project.replace(runs=(RUN,))))
    assert data["runs"][0]["epochs"][1] == [2, 0.55, 0.5, 0.9, 0.05, 600]


@pytest.mark.parametrize("change, message", [
    (lambda r: r.update(epochs=[[1, 0.5]]), "runs[0].epochs[0]: expected [epoch, train loss"),
    (lambda r: r.update(settings={"password": 1}), "runs[0].settings.password: not a setting"),
    (lambda r: r["epochs"][0].__setitem__(1, "x"), "runs[0].epochs[0][1]: train loss: expected a number, got text"),
    (lambda r: r.update(colour="red"), "runs[0]: unknown key 'colour'"),
])
def test_a_bad_run_is_refused_by_field(change, message):
    data = json.loads(dumps(load_example("xor").replace(runs=(RUN,))))
    change(data["runs"][0])
    with pytest.raises(NetworkFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        loads(json.dumps(data))


def test_the_legend_names_the_setting_that_differs_and_curves_are_thinned():
    other = RunRecord("circles", {**RUN.settings, "learning_rate": 0.1}, RUN.epochs, (), 1.0)
    keys = differing_settings([RUN, other])
    assert keys == ["learning_rate"]
    assert legend(RUN, 1, keys) == "1: lr 0.05" and legend(other, 2, keys) == "2: lr 0.1"
    points = [(i, float(i)) for i in range(2000)]
    thinned = thin(points, 500)
    assert len(thinned) == 500 and thinned[0] == (0, 0.0) and thinned[-1] == (1999, 1999.0)
    assert math.isclose(RUN.final_accuracy, 0.9)


# ------------------------------------------------------------------ issue 29: bounded, typed, checked where they enter

def _run(rows: int = 1) -> dict:
    """A run as the file holds it, with `rows` epoch rows (1: read as lists; 3 or more: as one array)."""
    return {"dataset": "circles", "settings": dict(RUN.settings, l2=0.0, schedule="constant", stop="none"),
            "epochs": [[n, 0.5, 0.4, 0.75, 0.05, 300 * n] for n in range(1, rows + 1)],
            "train_curve": [[16 * n, 0.7] for n in range(1, rows + 1)], "seconds": 1.25, "outcome": "finished",
            "sizes": [2, 6, 2]}


def _file_with(*runs: dict) -> str:
    data = json.loads(dumps(load_example("xor")))
    data["runs"] = list(runs)
    return json.dumps(data)


def _refused(text: str) -> str:
    with pytest.raises(NetworkFileError) as refused:
        loads(text, "runs.nnstudio")
    return str(refused.value)


HUGE = "1" + "0" * 400  # 10^400: JSON allows it, no float holds it (math.isfinite(10**400) raises)


@pytest.mark.parametrize("rows", [1, 3])
def test_an_epoch_of_1e20_is_refused_by_its_field(rows):
    run = _run(rows)
    run["epochs"][0][0] = 1e20
    assert _refused(_file_with(run)) == ("runs.nnstudio: runs[0].epochs[0][0]: epoch must be a whole number from 1 "
                                         "to 1,000,000, got 1e+20")


@pytest.mark.parametrize("rows", [1, 3])
@pytest.mark.parametrize("column, name", [(0, "epoch"), (1, "train loss"), (2, "test loss"), (3, "accuracy"),
                                          (4, "learning rate"), (5, "samples seen")])
def test_ten_to_the_400_in_each_column_of_an_epoch_row_is_refused_by_its_field(rows, column, name):
    text = _file_with(_run(rows)).replace("[1, 0.5, 0.4, 0.75, 0.05, 300]", json.dumps(
        [HUGE if k == column else v for k, v in enumerate(["1", "0.5", "0.4", "0.75", "0.05", "300"])]).replace(
        '"', ""))
    assert _refused(text) == (f"runs.nnstudio: runs[0].epochs[0][{column}]: {name} must be a finite number, got a "
                              "number too large for a float")  # on one line: the 400 digits are not echoed


@pytest.mark.parametrize("place, field, rule", [
    (("train_curve", 0, 0), "runs[0].train_curve[0][0]", "samples seen must be a finite number"),
    (("train_curve", 0, 1), "runs[0].train_curve[0][1]", "train loss must be a finite number"),
    (("seconds",), "runs[0].seconds", "expected a finite number ≥ 0 ≤ 1e+09"),
    (("settings", "learning_rate"), "runs[0].settings.learning_rate", "expected a finite number ≥ 0"),
    (("settings", "l2"), "runs[0].settings.l2", "expected a finite number ≥ 0"),
    (("settings", "epochs"), "runs[0].settings.epochs", "expected a whole number from 1 to 1,000,000"),
    (("settings", "batch_size"), "runs[0].settings.batch_size", "expected a whole number from 1 to 1,000,000"),
    (("settings", "seed"), "runs[0].settings.seed", "expected a whole number from 0 to 18,446,744,073,709,551,615"),
    (("sizes", 1), "runs[0].sizes[1]", "expected a whole number from 1 to 2,097,152"),
])
def test_ten_to_the_400_anywhere_else_in_a_run_is_refused_by_its_field(place, field, rule):
    run = _run()
    target = run
    for key in place[:-1]:
        target = target[key]
    target[place[-1]] = "HUGE"
    message = _refused(_file_with(run).replace('"HUGE"', HUGE))
    assert message.startswith(f"runs.nnstudio: {field}: {rule}"), message
    assert len(message) < 300  # 400 digits are not echoed


@pytest.mark.parametrize("key, value, message", [
    ("learning_rate", "0.1", "runs[0].settings.learning_rate: expected a finite number ≥ 0, got text"),
    ("learning_rate", -0.5, "runs[0].settings.learning_rate: expected a finite number ≥ 0, got -0.5"),
    ("epochs", 2.5, "runs[0].settings.epochs: expected a whole number from 1 to 1,000,000, got 2.5"),
    ("batch_size", True, "runs[0].settings.batch_size: expected a whole number from 1 to 1,000,000, got true/false"),
    ("seed", -1, "runs[0].settings.seed: expected a whole number from 0 to 18,446,744,073,709,551,615, got -1"),
    ("optimizer", 3, "runs[0].settings.optimizer: expected text, got a number"),
    ("schedule", None, "runs[0].settings.schedule: expected text, got null"),
    ("stop", "\ud800", "runs[0].settings.stop: holds an unpaired surrogate \\ud800, which is not text"),
])
def test_each_setting_is_typed_by_its_key(key, value, message):
    run = _run()
    run["settings"][key] = value
    assert _refused(_file_with(run)) == f"runs.nnstudio: {message}"


def test_texts_are_cut_to_their_limits_and_whole_float_settings_read_as_whole_numbers():
    run = _run()
    run["settings"].update(optimizer="x" * 1000, epochs=3.0)
    run.update(dataset="d" * 1000, outcome="o" * 1000)
    read = loads(_file_with(run)).runs[0]
    assert read.settings["optimizer"] == "x" * 200 and read.dataset == "d" * 200 and read.outcome == "o" * 500
    assert read.settings["epochs"] == 3 and isinstance(read.settings["epochs"], int)


@pytest.mark.parametrize("rows", [1, 3])
@pytest.mark.parametrize("column, value, message", [
    (3, 2, "accuracy must be a number from 0 to 1 or null, got 2"),
    (3, -0.25, "accuracy must be a number from 0 to 1 or null, got -0.25"),
    (1, None, "train loss must be a finite number, got null"),
    (0, None, "epoch must be a whole number from 1 to 1,000,000, got null"),
    (0, 0, "epoch must be a whole number from 1 to 1,000,000, got 0"),
    (0, 1.5, "epoch must be a whole number from 1 to 1,000,000, got 1.5"),
    (4, -1, "learning rate must be a finite number ≥ 0 or null, got -1"),
    (5, 2.5, "samples seen must be a whole number from 0 to 1,000,000,000,000, got 2.5"),
    (5, 10**13, "samples seen must be a whole number from 0 to 1,000,000,000,000, got 1e+13"),
    (2, 1e999, "test loss must be a finite number, got a number too large for a float"),
])
def test_each_value_of_an_epoch_row_is_checked_by_its_column(rows, column, value, message):
    run = _run(rows)
    run["epochs"][-1][column] = value
    text = _file_with(run).replace("Infinity", "1e999")
    assert _refused(text) == f"runs.nnstudio: runs[0].epochs[{rows - 1}][{column}]: {message}"


def test_a_nan_token_in_a_run_is_refused_and_null_means_none_where_allowed():
    run = _run(3)
    assert "NaN is not allowed" in _refused(_file_with(run).replace("0.75", "NaN", 1))
    run["epochs"][1][2:5] = [None, None, None]  # no test part, no accuracy, no learning rate: allowed
    row = loads(_file_with(run)).runs[0].epochs[1]
    assert math.isnan(row.test_loss) and row.accuracy is None and math.isnan(row.learning_rate)
    assert (row.epoch, row.train_loss, row.samples_seen) == (2, 0.5, 600)


def test_sixty_five_runs_are_refused_not_cut():
    assert _refused(_file_with(*[_run()] * 65)) == "runs.nnstudio: runs: holds 65 runs; a file may hold at most 64"


def test_a_run_of_10001_rows_is_refused_and_a_curve_of_501_points():
    run = _run(10_001)
    assert _refused(_file_with(run)) == ("runs.nnstudio: runs[0].epochs: holds 10,001 rows; a run keeps at most "
                                         "10,000")
    run = _run(2)
    run["train_curve"] = [[n, 0.5] for n in range(501)]
    assert _refused(_file_with(run)) == ("runs.nnstudio: runs[0].train_curve: holds 501 rows; a run keeps at most "
                                         "500")


@pytest.mark.parametrize("change, message", [
    (lambda r: r.update(epochs=[[1, 2, 3]] * 20), ("runs[0].epochs[0]: expected [epoch, train loss, test loss, "
                                                  "accuracy, learning rate, samples seen]")),
    (lambda r: r.update(epochs={"a": 1}), ("runs[0].epochs: expected a list of rows [epoch, train loss, test loss, "
                                          "accuracy, learning rate, samples seen], got an object")),
    (lambda r: r.update(sizes=[2] * 200), ("runs[0].sizes: holds 200 sizes; a network has at most 129 (its input "
                                           "and 128 layers)")),
    (lambda r: r.update(sizes=list(range(1, 21)) + [0.5]), ("runs[0].sizes[20]: expected a whole number from 1 to "
                                                           "2,097,152, got 0.5")),  # a layer of maps: C·H·W values
    (lambda r: r.update(settings=[1] * 20), "runs[0].settings: expected an object, got a list"),
    (lambda r: r.update(dataset=["a"]), "runs[0].dataset: expected text, got a list"),
])
def test_a_run_of_the_wrong_shape_is_refused_by_its_field(change, message):
    run = _run(3)
    change(run)
    assert _refused(_file_with(run)) == f"runs.nnstudio: {message}"


def test_64_runs_of_10000_rows_open_round_trip_and_cost_what_the_file_size_allows(tmp_path, peak_memory):
    from nnstudio.core.runs import EpochRows, run_to_json
    from nnstudio.io import load_project

    rows = [[n, 1 / n, 2 / n, None if n % 3 else 0.5, 0.01, 50 * n] for n in range(1, 10_001)]
    run = {"dataset": "circles", "settings": dict(RUN.settings), "seconds": 2.5, "outcome": "finished",
           "sizes": [2, 6, 2], "epochs": rows, "train_curve": [[16, 0.7], [600, 0.5]]}
    path = tmp_path / "runs.nnstudio"
    path.write_text(_file_with(*[run] * 64), encoding="utf-8")  # json.dumps: the file nnstudio writes, compact
    size = path.stat().st_size
    project, peak = peak_memory(lambda: load_project(path))
    assert not isinstance(project, Exception), project
    assert len(project.runs) == 64 and all(isinstance(read.epochs, EpochRows) for read in project.runs)
    assert run_to_json(project.runs[63]) == run  # every number as it was written, null where it was null
    assert project.runs[5].epochs[1].accuracy is None and project.runs[5].epochs[2].accuracy == 0.5
    assert project.runs[0].epochs[9_999] == EpochRow(10_000, 1e-4, 2e-4, None, 0.01, 500_000)
    assert loads(dumps(project.replace(runs=project.runs[:2]))).runs == project.runs[:2]
    assert peak < 4 * size + 64 * 2**20
