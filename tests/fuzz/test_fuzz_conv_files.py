"""Convolutional network files mutated from two valid ones (issue 33): conv-4x4 and a small LeNet-like
`1x8x8-c2k3p1-m2-c3k2s2-a1-4-3`. Each mutant loads into a Network whose forward pass runs — finite values, or
inf/nan only where a value in the file is extreme enough to overflow — and prints, steps and saves; or it is
refused with NetworkFileError naming the file and the field. Never another exception, never a traceback, never
an allocation the size a hostile shape asks for. Then the named hostile files through `nnstudio eval`: exit 2
and one line naming the field."""

from __future__ import annotations

import argparse
import contextlib
import io
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnstudio import cli, cli_eval_step
from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.errors import NNStudioError
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer
from nnstudio.core.trace import forward
from nnstudio.io import NetworkFileError, dumps, load_example, loads

from .conftest import MiB, bounded, count, examples
from .json_tree import mutate, parent, paths
from .network_files import assert_refused_by_name, garble, is_number

SOURCE = "fuzz-conv.nnstudio"
LENET = "1x8x8-c2k3p1-m2-c3k2s2-a1-4-3"
#: A value of the file beyond this may overflow to inf/nan on the way (shown as such, as the dense core does);
#: within it, every output is finite.
MODERATE = 1e6


def _lenet() -> Project:
    network = build_from_architecture(parse_architecture(LENET), hidden="relu", output="softmax", seed=7)
    x = np.round(np.sin(np.arange(network.input_size)) * 4) / 4  # quarter steps: ties for the pooling to meet
    return Project(network=network, loss="cce", input=x, target=np.array([0.0, 1.0, 0.0]), name="small LeNet")


BASES = {"conv-4x4": json.loads(dumps(load_example("conv-4x4"))), LENET: json.loads(dumps(_lenet()))}

HOSTILE = st.one_of(
    st.sampled_from([
        None, True, False, 0, -1, 1, 2, 3, 5, 9, 4096, 4097, 10**9, 2**63, -(2**63), 1e308, 1e-320, 0.5, 2.0,
        "", "same", "valid", "conv2d", "maxpool2d", "avgpool2d", "dense", "relu", "softmax", "tanh", "identity",
        "he", "exp(700)", "1/0", "\ud800", "2" + "π" * 900, "__import__('os')", "nan", [], {}, [[]], [[[[]]]],
        [None], [1, 4, 4], [1, 1024, 1024], [0, 4, 4], [3, 8, 8], [1, 8], {"init": "he"}, {"init": "he", "seed": 1},
        {"init": "normal", "params": {"std": -1}}, {"init": "constant", "params": {"value": 1e300}},
        {"size": 16, "shape": [1, 4, 4]}, {"slope": 1e308}, {"alpha": -1},
    ]),
    st.integers(-3, 20),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=10),
    st.lists(st.integers(-2, 9), max_size=4),
)

NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.floats(-10, 10),
    st.sampled_from(["1/sqrt(2)", "exp(700)", "2^1023", "1e300", "-1e-300", "0", "5/6", 1e300, -1e308, 0, -0.0]),
)

#: The fields that give a layer its shape, where a mutation most often lands a hostile geometry.
GEOMETRY = ("type", "channels", "kernel_size", "stride", "padding", "size", "shape")


@st.composite
def mutated_conv_files(draw: st.DrawFn) -> bytes:
    data = json.loads(json.dumps(BASES[draw(st.sampled_from(sorted(BASES)))]))
    mode = draw(st.integers(0, 3))
    if mode == 0:  # values only: the kernels, weights and inputs become extreme, the shapes stay
        places = [p for p in paths(data) if p and p[0] in ("layers", "current", "optimizer")
                  and is_number(parent(data, p)[p[-1]]) and not set(p) & {*GEOMETRY, "activation", "name", "init"}]
        for _ in range(draw(st.integers(1, 6))):
            path = draw(st.sampled_from(places))
            parent(data, path)[path[-1]] = draw(NUMBERS)
        return json.dumps(data).encode()
    for _ in range(draw(st.integers(1, 3))):
        spots = [p for p in paths(data) if p]
        if mode == 1:  # the geometry: a layer's type, size, stride, padding, channels or the input's shape
            spots = [p for p in spots if p[-1] in GEOMETRY or (p[0] == "layers" and len(p) == 2)] or spots
        mutate(draw, data, draw(st.sampled_from(spots)), HOSTILE,
               ["type", "channels", "kernel_size", "stride", "padding", "size", "shape", "kernel", "extra"], 3,
               ["replace", "replace", "replace", "delete", "add", "grow", "cut"])
    raw = json.dumps(data, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return garble(draw, raw, ["none", "none", "none", "none", "truncate", "flip", "nan"])


def _values(project: Project) -> list[np.ndarray]:
    """Every number the forward pass reads: parameters, activation parameters, the input."""
    found = [np.asarray(project.input, dtype=float)]
    for layer in project.network.layers:
        found += [np.asarray(p, dtype=float) for p in layer.parameters() if p is not None]
        found.append(np.asarray(list(getattr(layer, "params", {}).values()) or [0.0], dtype=float))
    return found


def _runs_prints_steps_and_saves(project: Project) -> str:
    network = project.network
    trace = forward(network, project.network_input())
    assert trace.output.shape == (network.sizes[-1],)
    moderate = all(np.all(np.isfinite(v)) and np.all(np.abs(v) <= MODERATE) for v in _values(project))
    finite = bool(np.all(np.isfinite(trace.output)))
    assert finite or not moderate, "a file of moderate values gave inf/nan"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli_eval_step._print_eval(project, cli_eval_step._eval(project, None), 6)
    assert "ŷ" in out.getvalue()
    outcome = "forward finite" if finite else "forward overflowed to inf/nan (extreme values)"
    try:
        cli_eval_step._step(project, argparse.Namespace(lr=None, all_weights=False))
    except NNStudioError as error:
        assert str(error)
        outcome += ", step refused by name"
    again = loads(dumps(project), SOURCE)
    assert again.network.same_as(network) and again.network.input_shape == network.input_shape
    return outcome


@examples(150)
@given(mutated_conv_files())
def test_a_mutated_conv_file_loads_and_runs_or_is_refused_by_field(raw):
    with bounded("conv files", 64 * MiB):
        try:
            project = loads(raw, SOURCE)
        except NetworkFileError as error:
            assert_refused_by_name(error, SOURCE)
            count("conv files", "refused by name")
            return
        if not project.network.is_spatial:
            count("conv files", "loaded as dense")  # a mutation may take the maps out (a type deleted): still fine
        count("conv files", _runs_prints_steps_and_saves(project))


# ----------------------------------------------------------------------------- named hostile files, through the CLI


def _conv_4x4() -> dict:
    return json.loads(json.dumps(BASES["conv-4x4"]))


def _kernel_too_large(d: dict) -> None:
    d["layers"][0].update(kernel_size=6, padding=0, kernel={"init": "he", "seed": 1})


def _kernel_larger_than_padded(d: dict) -> None:
    d["layers"][0].update(kernel_size=7, padding=1, kernel={"init": "he", "seed": 1})


def _pool_after_dense(d: dict) -> None:
    d["layers"].append({"type": "maxpool2d", "size": 1})


def _conv_after_dense(d: dict) -> None:
    d["layers"].append({"type": "conv2d", "channels": 1, "kernel_size": 1, "activation": "relu",
                        "kernel": [[[[1]]]]})


def _dense_does_not_take_the_maps(d: dict) -> None:
    d["layers"][2]["weights"] = [[0.5, 0.5]]  # the pool gives 1×1×1 = 1 value, not 2


def _kernel_channels_do_not_chain(d: dict) -> None:
    d["layers"][0]["kernel"] = [[[[1, 0], [-1, 2]], [[1, 0], [-1, 2]]]]  # 2 input channels; the input has 1


def _over_the_activation_budget(d: dict) -> None:
    d["input"] = {"size": 1024 * 1024, "shape": [1, 1024, 1024]}
    d["layers"][0].update(channels=8, kernel_size=1, kernel={"init": "he", "seed": 1}, bias=None)
    del d["current"]


HOSTILE_FILES = {
    "kernel larger than the input": (_kernel_too_large,
                                     "layers[0]: kernel size 6 is larger than the padded height: 4 + 2·0 = 4"),
    "kernel larger than the padded input": (_kernel_larger_than_padded,
                                            "layers[0]: kernel size 7 is larger than the padded height: 4 + 2·1 = 6"),
    "pool larger than the maps": (lambda d: d["layers"][1].update(size=5),
                                  "layers[1]: pool size 5 is larger than the height: 3"),
    "stride 0": (lambda d: d["layers"][0].update(stride=0),
                 "layers[0].stride: expected a whole number from 1 to 4096, got 0"),
    "negative stride": (lambda d: d["layers"][0].update(stride=-2),
                        "layers[0].stride: expected a whole number from 1 to 4096, got -2"),
    "pooling stride 0": (lambda d: d["layers"][1].update(stride=0),
                         "layers[1].stride: expected a whole number from 1 to 4096, got 0"),
    "kernel size 0": (lambda d: d["layers"][0].update(kernel_size=0),
                      "layers[0].kernel_size: expected a whole number from 1 to 4096, got 0"),
    "negative padding": (lambda d: d["layers"][0].update(padding=-1),
                         "layers[0].padding: expected a whole number from 0 to 4096, got -1"),
    "pool after dense": (_pool_after_dense, ("layers[3].type: a maxpool2d layer reads maps (channels × height × "
                                             "width), but it follows a dense layer, whose output is flat")),
    "conv after dense": (_conv_after_dense, "layers[3].type: a conv2d layer reads maps"),
    "dense after maps takes the wrong size": (_dense_does_not_take_the_maps, "layers[2].weights: expected 1×1, got 1×2"),
    "kernel channels do not chain": (_kernel_channels_do_not_chain, "layers[0].kernel[0]: expected 1 entries"),
    "no input shape": (lambda d: d["input"].pop("shape"), "layers[0].type: a conv2d layer reads maps"),
    "input shape against its size": (lambda d: d["input"].update(shape=[1, 4, 5]),
                                     "input.size: expected 20 (input.shape 1×4×5), got 16"),
    "zero channels in": (lambda d: d["input"].update(shape=[0, 4, 4]), "input.shape[0]: expected a whole number"),
    "version 1 with a convolution": (lambda d: d.update(version=1), "input.shape: maps came in version 2"),
    "activation budget": (_over_the_activation_budget,
                          "layers: 1×1024×1024 → 8×1024×1024 → 8×512×512 → 1 gives 11,534,337 values per sample"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_a_hostile_conv_file_is_one_line_naming_its_field_and_exit_2(capsys, tmp_path, case):
    edit, expected = HOSTILE_FILES[case]
    data = _conv_4x4()
    edit(data)
    path = tmp_path / "hostile.nnstudio"
    path.write_text(json.dumps(data), encoding="utf-8")
    with bounded("conv files, named", 32 * MiB):  # refused from the numbers, before any map is allocated
        code = cli.main(["eval", str(path)])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith(f"nnstudio: error: hostile.nnstudio: {expected}"), lines[0]
    assert len(lines[0]) < 400


def test_the_bases_themselves_load_and_run():
    for data in BASES.values():
        project = loads(json.dumps(data).encode(), SOURCE)
        assert project.network.is_spatial and isinstance(project.network.layers[0], Conv2DLayer)
        assert _runs_prints_steps_and_saves(project) == "forward finite"
