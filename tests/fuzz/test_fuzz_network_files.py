"""Network files mutated from the built-in examples: each loads and then prints, steps and saves, or is refused
with NetworkFileError naming the file (and the field) — never another exception, never past the time or memory
budget. Mutations are structural (a value replaced by a hostile one, a key deleted or added, a list cut or
grown) and textual (bytes cut, flipped or inserted, a number given thousands of digits)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from importlib import resources
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nnstudio import cli_eval_step
from nnstudio.core.errors import NNStudioError
from nnstudio.io import NetworkFileError, dumps, loads

from .conftest import MiB, bounded, count, examples
from .json_tree import mutate, parent, paths
from .network_files import assert_refused_by_name, garble, is_number

SOURCE = "fuzz.nnstudio"
# The built-in examples, and "small-image": mnist-mlp's shape of file (image input, initialisers, softmax,
# class labels) at 4×4 → 8 → 10, so every case stays cheap under tracemalloc.
BASES = ["cosine-memory", "backprop-4-2-3", "xor", "small-image"]


def _base(name: str) -> Any:
    if name == "small-image":
        data = _base("mnist-mlp")
        data["input"] = {"size": 16, "image": [4, 4]}
        data["layers"][0]["size"], data["layers"][0]["bias"] = 8, [0.0] * 8
        data["current"]["input"] = data["current"]["input"][300:316]
        return data
    text = (resources.files("nnstudio.resources") / "examples" / f"{name}.nnstudio").read_text(encoding="utf-8")
    return json.loads(text)


HOSTILE = st.one_of(
    st.sampled_from([
        None, True, False, 0, -1, 1, 2, 3, 4097, 10**9, 2**63, -(2**63), 1e308, -1e308, 1e-320, 1e300, 1e39,
        0.5, "", "relu", "softmax", "float32", "float64", "he", "normal", "uniform", "1/0", "exp(700)", "2^1024",
        "\ud800", "\udfff", "x\u0000y", "2" + "π" * 900, "π" * 999, "(" * 70 + "1" + ")" * 70, "1" + "+1" * 499,
        "__import__('os')", "nan", "inf", [], {}, [[]], [None], {"init": "he"}, {"init": "uniform", "params": {
            "low": -1e308, "high": 1e308}}, {"init": "normal", "params": {"std": -1}},
        {"init": "constant", "params": {"value": 1e300}}, {"init": "he", "seed": -1}, {"init": "he", "seed": 2**70},
    ]),
    st.integers(-5, 50),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=12),
    st.lists(st.integers(-3, 3), max_size=5),
)


NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.floats(-10, 10),
    st.sampled_from(["1/sqrt(2)", "-√2/2", "exp(700)", "2^1023", "1e300", "-1e-300", "0", "5/6", "2π", 1e300, -1e308,
                     1e-320, 0, -0.0]),
)


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    data = _base(draw(st.sampled_from(BASES)))
    if draw(st.integers(0, 2)) == 0:  # values only: the file stays well formed, its numbers become extreme
        places = [p for p in paths(data) if p and p[0] in ("layers", "current", "samples", "optimizer")
                  and is_number(parent(data, p)[p[-1]]) and p[-1] not in ("size", "activation", "name", "init")]
        for _ in range(draw(st.integers(1, 6))):
            path = draw(st.sampled_from(places))
            parent(data, path)[path[-1]] = draw(NUMBERS)
        return json.dumps(data).encode()
    for _ in range(draw(st.integers(1, 4))):
        spots = [p for p in paths(data) if p]
        mutate(draw, data, draw(st.sampled_from(spots)), HOSTILE,
               ["extra", "size", "bias", "params", "labels", "image"], 3,
               ["replace", "replace", "replace", "delete", "add", "grow", "cut"])
    raw = json.dumps(data, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return garble(draw, raw, ["none", "none", "none", "truncate", "flip", "insert", "digits", "nan"])


def _prints_steps_and_saves(project) -> str:
    """The promise for anything that loads: it prints, steps (or is refused by name) and saves."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        if project.network.layers:
            cli_eval_step._print_eval(project, cli_eval_step._eval(project, None), 6)
    assert "ŷ" in out.getvalue() or not project.network.layers
    outcome = "loaded, stepped, saved"
    if project.network.layers:
        try:
            cli_eval_step._step(project, argparse.Namespace(lr=None, all_weights=False))
        except NNStudioError as error:
            assert str(error)
            outcome = "loaded, step refused by name, saved"
    text = dumps(project)
    text.encode("utf-8")  # no lone surrogate can reach a file
    again = loads(text, SOURCE)
    assert again.network.same_as(project.network)
    return outcome


@examples(250)
@given(mutated_files())
def test_a_mutated_network_file_loads_and_works_or_is_refused_by_name(raw):
    with bounded("network files", 192 * MiB):
        try:
            project = loads(raw, SOURCE)
        except NetworkFileError as error:
            assert_refused_by_name(error, SOURCE)
            count("network files", "refused by name")
            return
        count("network files", _prints_steps_and_saves(project))
