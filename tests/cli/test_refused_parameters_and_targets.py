"""The command line refuses what the core used to accept (issue 29), with exit status 2, one line naming the field
or the target, and the output file untouched: an ELU α a float32 file cannot hold, and binary cross-entropy
training on targets outside [0, 1]."""

from __future__ import annotations

import json

from nnstudio import cli


def _run(capsys, *args):
    status = cli.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_an_elu_alpha_a_float32_file_cannot_hold_is_refused_by_field(capsys, tmp_path):
    path = tmp_path / "elu.nnstudio"
    path.write_text(json.dumps({
        "format": "nnstudio.network", "version": 1, "precision": "float32", "input": {"size": 1},
        "layers": [{"size": 1, "activation": "elu", "params": {"alpha": 1e308}, "weights": [[1]]}],
        "current": {"input": [-1], "target": [0]}}))
    before = path.read_bytes()
    out = tmp_path / "after.nnstudio"
    for command in ("eval", "step"):
        status, stdout, stderr = _run(capsys, command, str(path), *(["--out", str(out)] if command == "step" else []))
        assert status == 2 and stdout == ""
        assert stderr == ("nnstudio: error: elu.nnstudio: layers[0].params.alpha: 1e+308 does not fit in float32 "
                          "(limit ±3.403e+38); use precision float64 or a smaller value\n")
    assert path.read_bytes() == before and not out.exists()


def test_training_with_bce_on_targets_outside_0_1_is_refused_naming_the_first(capsys, tmp_path):
    made = tmp_path / "net.nnstudio"
    assert _run(capsys, "new", "2-3-1", "--output", "sigmoid", "--out", str(made))[0] == 0  # bce after sigmoid
    data = tmp_path / "double.csv"
    data.write_text("a,b,y\n1,2,0.5\n3,4,0\n2,2,1\n0,1,2\n5,5,0.25\n1,1,0\n2,3,1\n4,4,0.5\n")
    out = tmp_path / "trained.nnstudio"
    status, _, stderr = _run(capsys, "train", str(made), "--dataset", str(data), "--epochs", "3", "--quiet",
                             "--seed", "0", "--out", str(out))
    assert status == 2
    assert stderr.endswith("target 2 for binary cross-entropy: each target must lie in [0, 1]\n")
    assert len(stderr.strip().splitlines()) == 1 and not out.exists()
