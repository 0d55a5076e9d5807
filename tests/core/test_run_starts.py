"""Where a run started (issue 31, item 4): the parameter fingerprint, fresh weights from a seed, the start
worked out against the earlier runs, the words Results → Runs shows, and the record's start in the file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.core import build_network
from nnstudio.core.init import reinitialise, usual_init
from nnstudio.core.parameter_print import parameter_print
from nnstudio.core.run_comparison import run_start, shared_starts, start_words
from nnstudio.core.runs import RunFieldError, RunRecord, RunStart, run_from_json, run_to_json

HEX = "expected 16 lowercase hex digits (a parameter fingerprint)"
NET = build_network([2, 3, 2], ["relu", "softmax"], "xavier", seed=0)


def _with_bit_flipped(network, layer: int, which: str):
    old = network.layers[layer]
    array = np.array(getattr(old, which))
    array.view(np.uint64).flat[0] ^= 1  # the lowest bit of one float64
    return network.with_layer(layer, old.replace(**{which: array}))


def test_equal_parameters_print_alike_and_one_bit_changed_prints_otherwise():
    same = build_network([2, 3, 2], ["relu", "softmax"], "xavier", seed=0)
    assert parameter_print(NET) == parameter_print(same)
    assert len(parameter_print(NET)) == 16 and int(parameter_print(NET), 16) >= 0
    for layer in (0, 1):
        for which in ("weights", "bias"):
            assert parameter_print(_with_bit_flipped(NET, layer, which)) != parameter_print(NET), (layer, which)
    # the typed text and the activation are not parameters; float32 values print as their float64 copy
    assert parameter_print(NET.with_layer(0, NET.layers[0].replace(activation="tanh"))) == parameter_print(NET)
    small = NET.astype("float32")
    assert parameter_print(small) == parameter_print(small.astype("float64"))
    # a layer without bias is not the layer with zero bias
    no_bias = build_network([2, 3, 2], ["relu", "softmax"], "xavier", seed=0, bias=False)
    assert parameter_print(no_bias) != parameter_print(NET)


def test_fresh_weights_come_again_from_their_seed_with_each_layers_usual_initialiser():
    typed = NET.with_layer(0, NET.layers[0].replace(weight_text={(0, 0): "1/3"}))
    one, two = reinitialise(typed, 3), reinitialise(NET, 3)
    for a, b in zip(one.layers, two.layers):
        assert np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)
    assert parameter_print(one) == parameter_print(two) != parameter_print(reinitialise(NET, 4))
    assert one.layers[0].weight_text == {} and [layer.activation for layer in one.layers] == ["relu", "softmax"]
    assert all(not layer.bias.any() for layer in one.layers)
    assert usual_init("relu") == "he" and usual_init("tanh") == usual_init("softmax") == "xavier"
    rng = np.random.default_rng(3)  # He for the ReLU layer (normal), then Xavier (uniform) for the softmax
    assert np.array_equal(one.layers[0].weights, rng.normal(0.0, np.sqrt(2 / 2), size=(3, 2)))
    assert np.array_equal(one.layers[1].weights, rng.uniform(-np.sqrt(6 / 5), np.sqrt(6 / 5), size=(2, 3)))
    assert reinitialise(NET.astype("float32"), 3).dtype == np.float32


def _run(start: RunStart | None, end: str = "") -> RunRecord:
    return RunRecord("xor", {"learning_rate": 0.5}, [], start=start, end_fingerprint=end)


def test_a_start_is_worked_out_against_the_earlier_runs():
    trained = _with_bit_flipped(NET, 0, "weights")
    first = _run(RunStart("fresh", parameter_print(NET), 0), parameter_print(trained))
    assert run_start("fresh", NET, 7, []) == RunStart("fresh", parameter_print(NET), 7)
    assert run_start("as-is", NET, 7, []) == RunStart("as-is", parameter_print(NET))
    assert run_start("as-is", trained, 0, [first]).kind == "continued"  # a second plain Start
    assert run_start("as-is", NET, 0, [first]).kind == "same"  # the first run undone and started again
    assert run_start("same", NET, 0, [first]) == RunStart("same", parameter_print(NET))


def test_titles_and_the_overlay_line_say_where_runs_started():
    a, b, c = "a" * 16, "b" * 16, "c" * 16
    runs = (_run(RunStart("fresh", a, 3), b), _run(RunStart("continued", b), c), _run(RunStart("same", a), b),
            _run(RunStart("same", a), c), _run(None), _run(RunStart("as-is", c)), _run(RunStart("continued", "d" * 16)))
    assert [start_words(runs, i) for i in range(len(runs))] == [
        "fresh, seed 3", "continued from run 1", "from the start of run 1", "from the start of run 1",
        "start not recorded", "the network as it was", "continued from an earlier run"]
    assert shared_starts(runs, [0]) == ""
    assert shared_starts(runs, [2, 3]) == "runs 3 and 4 share a start (run 1's)"
    assert shared_starts(runs, [0, 2, 3]) == "runs 1, 3 and 4 share a start (run 1's)"
    assert shared_starts(runs, [0, 1]) == "different starts"
    assert shared_starts(runs, [0, 1, 2]) == "runs 1 and 3 share a start (run 1's); run 2 starts differently"
    assert shared_starts(runs, [1, 4]) == "run 5's start is not recorded"


def test_the_start_is_kept_in_the_file_and_an_older_record_without_it_still_opens():
    run = _run(RunStart("fresh", "0123456789abcdef", 2**64 - 1), "fedcba9876543210")
    data = json.loads(json.dumps(run_to_json(run)))
    assert data["start"] == {"kind": "fresh", "fingerprint": "0123456789abcdef", "seed": 2**64 - 1}
    assert data["end_fingerprint"] == "fedcba9876543210"
    assert run_from_json(data, "runs[0]") == run
    older = {key: value for key, value in data.items() if key not in ("start", "end_fingerprint")}
    read = run_from_json(older, "runs[0]")
    assert read.start is None and read.end_fingerprint == "" and "start" not in run_to_json(read)
    same = _run(RunStart("same", "0123456789abcdef"))
    assert run_from_json(json.loads(json.dumps(run_to_json(same))), "runs[0]") == same


@pytest.mark.parametrize("start, end, message", [
    ([], None, "runs[0].start: expected an object, got a list"),
    ({"kind": "lucky", "fingerprint": "0" * 16}, None,
     "runs[0].start.kind: expected one of fresh, same, continued, as-is, got 'lucky'"),
    ({"kind": "same", "fingerprint": "0" * 15}, None, f"runs[0].start.fingerprint: {HEX}, got '000000000000000'"),
    ({"kind": "same", "fingerprint": 12}, None, f"runs[0].start.fingerprint: {HEX}, got a number"),
    ({"kind": "fresh", "fingerprint": "0" * 16}, None, "runs[0].start.seed: a fresh start needs its seed"),
    ({"kind": "fresh", "fingerprint": "0" * 16, "seed": -1}, None,
     "runs[0].start.seed: expected a whole number from 0 to 18,446,744,073,709,551,615, got -1"),
    ({"kind": "same", "fingerprint": "0" * 16, "seed": 1}, None,
     "runs[0].start.seed: only a fresh start has a seed, this one is 'same'"),
    ({"kind": "same", "fingerprint": "0" * 16, "from": 1}, None, "runs[0].start: unknown key 'from'"),
    (None, "ABCDEF0123456789", f"runs[0].end_fingerprint: {HEX}, got 'ABCDEF0123456789'"),
])
def test_a_faulty_start_is_refused_by_its_field(start, end, message):
    data = run_to_json(_run(None))
    if start is not None:
        data["start"] = start
    if end is not None:
        data["end_fingerprint"] = end
    with pytest.raises(RunFieldError) as caught:
        run_from_json(data, "runs[0]")
    assert str(caught.value) == message
