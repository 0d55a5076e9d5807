"""Run history in the .nnstudio file: written, read back equal, refused by field when wrong."""

import json
import math

import pytest

from nnstudio.core.runs import EpochRow, RunRecord, differing_settings, legend, thin
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
    (lambda r: r["epochs"][0].__setitem__(1, "x"), "runs[0].epochs[0]: expected a finite number"),
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
