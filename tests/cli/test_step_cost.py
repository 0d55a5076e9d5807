"""`nnstudio step` and `eval` cost what they should (issue 29): a step over the step memory budget is refused
before it starts, with the figure; a large network's per-edge values are not printed unless asked for, and
when they are they come out as they always did, a row at a time."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from nnstudio import cli, cli_eval_step, cli_values
from nnstudio.core import step_memory
from nnstudio.io import load_project


def _run(capsys, *args):
    status = cli.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_step_over_the_memory_budget_is_refused_with_its_figure_and_writes_nothing(capsys, monkeypatch, tmp_path):
    # backprop-4-2-3 by hand (float64, sgd): P = 4·2 + 2 + 2·3 + 3 = 19; trace 4 + 2·5 = 14; gradients 19 + 5 + 6 =
    # 30; updated 19; scratch 3 × 10 (the first layer's 8 + 2): 93 values, 744 bytes.
    monkeypatch.setattr(step_memory, "STEP_MEMORY_BYTES", 700)
    out = tmp_path / "after.nnstudio"
    status, stdout, stderr = _run(capsys, "step", "backprop-4-2-3", "--out", str(out))
    assert status == 2 and stdout == ""
    assert stderr == ("nnstudio: error: one step of 4-2-3 would need about 744 bytes of working memory; a step "
                      "may use at most 700 bytes\n")
    assert not out.exists()


def test_eval_counts_only_its_forward_pass(capsys, monkeypatch):
    # The trace alone: 4 + 2·(2 + 3) = 14 values, 112 bytes: within 120, where a step (744 bytes) is not.
    monkeypatch.setattr(step_memory, "STEP_MEMORY_BYTES", 120)
    assert _run(capsys, "eval", "backprop-4-2-3")[0] == 0
    monkeypatch.setattr(step_memory, "STEP_MEMORY_BYTES", 100)
    status, _, stderr = _run(capsys, "eval", "backprop-4-2-3")
    assert status == 2 and "an evaluation of 4-2-3 would need about 112 bytes of working memory" in stderr


def test_a_large_networks_per_edge_values_are_left_out_unless_asked_for(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(cli_values, "PRINTED_WEIGHTS", 13)  # backprop-4-2-3 holds 4·2 + 2·3 = 14 weights
    out = tmp_path / "after.nnstudio"
    status, text, _ = _run(capsys, "step", "backprop-4-2-3", "--out", str(out))
    assert status == 0
    assert "  ∂L/∂W = 3×2 values (not printed)\n" in text and "  W1 = 2×4 values (not printed)\n" in text
    assert text.rstrip().endswith("(∂L/∂W and the updated W of 14 weights are not printed (more than 13): "
                                  "--all-weights prints them, --out FILE saves the updated network)")
    assert "δ     = [" in text and "b1 = [" in text  # the per-neuron values are all still there
    data = json.loads(_run(capsys, "step", "backprop-4-2-3", "--json")[1])
    assert [layer["grad_weights"] for layer in data["layers"]] == [None, None]
    assert [layer["new_weights"] for layer in data["layers"]] == [None, None]
    assert data["weights_omitted"].startswith("∂L/∂W and the updated W of 14 weights are not printed")
    # --out still saves every updated weight; --all-weights prints them exactly as below the limit.
    saved = load_project(out).network.layers[0].weights
    everything = json.loads(_run(capsys, "step", "backprop-4-2-3", "--json", "--all-weights")[1])
    np.testing.assert_array_equal(everything["layers"][0]["new_weights"], saved)
    monkeypatch.setattr(cli_values, "PRINTED_WEIGHTS", 14)
    assert json.loads(_run(capsys, "step", "backprop-4-2-3", "--json")[1]) == everything
    assert _run(capsys, "step", "backprop-4-2-3")[1] == _run(capsys, "step", "backprop-4-2-3", "--all-weights")[1]


def test_matrices_written_a_row_at_a_time_read_as_they_always_did():
    values = np.array([[1.5, -0.0, 2e-20], [np.nan, -np.inf, 3.0]])
    out = io.StringIO()
    cli_values.write_matrix(out, "  W1 = ", values, 10)
    assert out.getvalue() == f"  W1 = {cli_eval_step._fmt(values, 10)}\n"
    document = {"a": [1, None], "w": values, "v": np.array([-0.0, 0.5]), "s": "δ"}
    out = io.StringIO()
    cli_values.write_json(document, out)
    assert out.getvalue() == json.dumps({"a": [1, None], "w": (values + 0.0).tolist(), "v": [0.0, 0.5], "s": "δ"})


@pytest.mark.slow
def test_the_largest_network_a_small_file_declares_steps_without_printing_millions_of_numbers(capsys, tmp_path):
    # 2048-2048 without biases: 4,194,304 drawn weights (MAX_DRAWN_WEIGHTS) from a file of a few hundred bytes,
    # plus a written 1×2048 layer. Its step once printed tens of MB of text; now the per-edge matrices are
    # summarised and the whole output is a few tens of KB.
    path = tmp_path / "wide.nnstudio"
    path.write_text(json.dumps({
        "format": "nnstudio.network", "version": 1, "input": {"size": 2048},
        "layers": [{"size": 2048, "activation": "relu", "weights": {"init": "he"}},
                   {"size": 1, "activation": "identity", "weights": [[0.5] * 2048]}],
        "current": {"target": [0]}}))
    assert len(path.read_bytes()) < 20_000
    status, text, _ = _run(capsys, "step", str(path))
    assert status == 0 and len(text) < 100_000
    assert text.count("2048×2048 values (not printed)") == 2


def test_a_small_file_may_not_ask_for_more_drawn_weights_than_its_size_allows(capsys, tmp_path):
    # 2048-2048-2048 drawn by an initialiser: 8,388,608 weights (64 MiB) from 211 bytes — refused before drawing.
    path = tmp_path / "wider.nnstudio"
    path.write_text(json.dumps({
        "format": "nnstudio.network", "version": 1, "input": {"size": 2048},
        "layers": [{"size": 2048, "activation": "relu", "weights": {"init": "he"}},
                   {"size": 2048, "activation": "relu", "weights": {"init": "he"}}]}))
    status, _, err = _run(capsys, "step", str(path))
    assert status == 2 and err.count("\n") == 1
    assert "layers: asks for 8,388,608 weights drawn by an initialiser; a file may ask for at most 4,194,304" in err
