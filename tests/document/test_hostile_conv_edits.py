"""Hostile input on the doors that shape and fill a network with maps (document/conv_edits.py, kernel_edits.py):
layers over the parameter or activation budget, impossible geometry, junk and huge text, NaN and code typed into a
kernel. Each is refused with a message naming what is wrong, before anything large is allocated (peak memory
measured), and the document is left as it was: the same network, the same undo stack, undo and redo still right.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import (
    architecture_of,
    build_from_architecture,
    describe_shapes,
)
from nnstudio.core.errors import NNStudioError
from nnstudio.core.project import Project
from nnstudio.core.step_memory import step_memory_bytes
from nnstudio.document import Document
from nnstudio.document import conv_edits as ce
from nnstudio.document import kernel_edits as ke
from nnstudio.document.edits import EditError

LENET = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"
MiB = 2**20


def examples(count: int) -> settings:
    """Seeded (the same cases every run, as tests/fuzz does), nothing written beside the checkout."""
    return settings(max_examples=count, derandomize=True, database=None, deadline=None)
_LENET_PROJECT = Project(build_from_architecture(parse_architecture(LENET), seed=0), loss="cce")


def lenet_document() -> Document:
    """LeNet with one undoable edit already made, so a refused edit can be seen not to touch the undo stack."""
    document = Document(_LENET_PROJECT)
    document.apply(ke.set_kernel_block(document.project, 3, 0, 0, 0, 0, [["1/9"]]), "Set kernel cell", "values")
    return document


def refused(document: Document, peak_memory, action, *words: str, budget: int = MiB) -> str:
    """Run `action()` on `document`: it must raise NNStudioError whose message holds every one of `words`, peak
    memory under `budget`, the network and the undo stack untouched, and undo then redo still work."""
    before, steps, undo_text = document.project.network, len(document.undo_stack), document.undo_stack.undo_text()
    error, peak = peak_memory(action)
    assert isinstance(error, NNStudioError), error
    message = str(error)
    assert all(word in message for word in words), message
    assert "\n" not in message and "Traceback" not in message
    assert peak < budget, f"{peak / MiB:.1f} MiB allocated before refusing: {message}"
    assert document.project.network is before and document.project.network.same_as(before)
    assert len(document.undo_stack) == steps and document.undo_stack.undo_text() == undo_text
    document.undo()
    assert not document.project.network.same_as(before) or steps == 0
    document.redo()
    assert document.project.network.same_as(before)
    return message


def structure(document: Document, edit, *args: object):  # type: ignore[no-untyped-def]
    return lambda: document.structure_edit(edit, "hostile", *args)


def values(document: Document, edit, *args: object):  # type: ignore[no-untyped-def]
    return lambda: document.apply(edit(document.project, *args), "hostile", "values")


# ------------------------------------------------------------------ layers over the budgets

@pytest.mark.parametrize(("column", "text", "words"), [
    (1, "c4096k3p1", ("layer 1", "3,211,264 values", "2,097,152")),  # 4096 maps of 28×28: the activation budget
    (2, "c4096k3p1", ("layer 2", "at most 2,097,152")),
    (4, "c4096k3p1", ("12,895,626 weights", "8,388,608")),  # 4096 maps into c16k5: the parameter budget
    (5, "c4096k3p1", ("12,895,626 weights",)),
    (6, "c4096k3p1", ("needs maps", "column 5 gives 120 plain numbers")),
    (1, "4096", ("a dense layer cannot go before layer 1",)),
    (8, "c6k3", ("needs maps", "column 7 gives 10 plain numbers")),
    (1, "c6k29", ("kernel size 29 is larger than the padded height: 28 + 2·0 = 28",)),
    (1, "c6k3s0", ("stride must be a whole number from 1",)),
    (1, "c6k3p-1", ("padding cannot be negative",)),
    (1, "c6k3s-2", ("stride cannot be negative",)),
    (1, "c0k3", ("channels must be a whole number from 1",)),
    (1, "c6k0", ("kernel size must be a whole number from 1",)),
    (1, "c6k3p4097", ("padding must be a whole number from 0 to 4,096",)),
    (1, "m0", ("pool size",)),
    (3, "m29", ("pool size 29 is larger than the height: 14",)),
    (1, "c6k3-m2", ("more than one layer",)),
    (1, "", ("type one layer",)),
    (1, "c６k3", ("'c' needs a whole number",)),  # a full-width digit is not a digit of the notation
    (1, "1x28x28", ("the input is part 1 only",)),
    (0, "c6k3", ("columns 1 to 8, not 0",)),
    (99, "c6k3", ("columns 1 to 8, not 99",)),
])
def test_an_insert_over_a_budget_or_impossible_is_refused_before_allocating(peak_memory, column, text, words):
    document = lenet_document()
    refused(document, peak_memory, structure(document, ce.insert_layer, column, text), *words)


@pytest.mark.parametrize(("column", "text", "words"), [
    (1, "c4096k5s1p2", ("layer 1", "3,211,264 values")),  # the geometry form's channels at their maximum
    (1, "c6k4096s1p2", ("kernel size 4096 is larger than the padded height: 28 + 2·2 = 32",)),
    (1, "c6k5s1p4096", ("8216×8216 windows",)),  # padding at its maximum: 6 maps of 8,216×8,216 asked for
    (1, "c4096k4096s4096p4096", ("layer 3", "kernel size 5 is larger than the padded height: 1 + 2·0 = 1")),
    (3, "c4096k5s1p0", ("12,917,786 weights", "8,388,608")),
    (3, "c16k15s1p0", ("layer 3", "kernel size 15 is larger than the padded height: 14")),
    # a kernel that leaves the next pooling nothing to pool: the dense layer after would read 0 values
    (3, "c16k14s1p0", ("layer 4", "pool size 2 is larger than the height: 1")),
    (2, "m28s28", ("layer 3", "kernel size 5 is larger")),  # pooling to 1×1: the convolution after cannot read it
    (2, "m4096s4096", ("pool size 4096 is larger than the height: 28",)),
    (4, "m11s1", ("pool size 11 is larger than the height: 10",)),
    (1, "m2s2", ("layer 1 stays a convolution layer",)),
    (2, "c6k3", ("layer 2 stays a pooling layer",)),
    (5, "c6k3", ("layer 5 is not a convolution or pooling layer",)),
    (1, "c6k5s0p2", ("stride must be a whole number from 1",)),
])
def test_geometry_at_its_extremes_is_refused_before_allocating(peak_memory, column, text, words):
    document = lenet_document()
    refused(document, peak_memory, structure(document, ce.set_geometry, column, text), *words)


def test_notations_past_the_budgets_are_refused_by_the_parser_before_a_value_is_drawn(peak_memory):
    for text, words in (("1x2048x2048-c64k3", ("272,105,728", "2,097,152")),
                        ("1x1000x1000-c1k500-10", ("62,750,250,000 values a sample", "134,217,728")),  # 468 GiB
                        ("1x300x300-c1k150-10", ("513,022,500 values",)),  # 4 GiB of windows
                        ("1x1448x1448-m724s1", ("275,520,010,000",)),
                        ("1x1x1-c4096k1-4096-4096", ("would hold", "8,388,608")),
                        ("4096x4096x4096-10", ("68,719,476,746",))):
        error, peak = peak_memory(lambda text=text: build_from_architecture(parse_architecture(text), seed=0))
        assert isinstance(error, NNStudioError) and all(word in str(error) for word in words), error
        assert peak < MiB


def test_the_largest_allowed_insert_costs_what_its_budgets_say(peak_memory):
    """c4096k3p1 after LeNet's first pooling is within every budget (802,816 map values, 1.92 M parameters):
    accepted, and it allocates no more than its parameters (drawn, then cast) and one forward pass's working memory
    (c16k5 now lays out 4096×5×5 windows: 82 MB), as core/step_memory.py counts them."""
    document = lenet_document()
    error, peak = peak_memory(structure(document, ce.insert_layer, 3, "c4096k3p1"))
    assert error is None
    network = document.project.network
    assert network.parameter_count == 1_922_986
    assert peak < 2 * network.parameter_count * 8 + step_memory_bytes(network, 1, backward=False)
    assert document.undo_stack.undo_text() == "hostile"


def test_ten_megabytes_of_text_as_a_layer_are_refused_without_a_copy(peak_memory):
    document = lenet_document()
    text = "c" * 10_000_000
    for edit, args in ((ce.insert_layer, (1, text)), (ce.set_geometry, (1, text))):
        message = refused(document, peak_memory, structure(document, edit, *args), "10,000,000 characters",
                          budget=MiB)
        assert len(message) < 200
    error, peak = peak_memory(lambda: ce.preview_insert(document.project.network, 1, text))
    assert isinstance(error, EditError) and peak < MiB


def test_every_layer_removed_leaves_the_input_maps_and_undo_brings_lenet_back():
    document = lenet_document()
    before = document.project.network
    while document.project.network.layers:
        document.structure_edit(ce.remove_layer, "Remove", 1)
    assert document.project.network.input_shape == (1, 28, 28) and document.project.network.layers == ()
    with pytest.raises(EditError, match="there is no layer at column 1"):
        document.structure_edit(ce.remove_layer, "Remove", 1)
    for _ in range(7):
        document.undo()
    assert document.project.network.same_as(before)


def test_structure_edits_wait_while_training_holds_the_network(peak_memory):
    document = lenet_document()
    document.structure_locked = True
    refused(document, peak_memory, structure(document, ce.insert_layer, 3, "c8k3p1"), "stop training first")


# ------------------------------------------------------------------ kernels typed and pasted

@pytest.mark.parametrize(("cell", "words"), [
    ("nan", ("row 2, column 3", "unknown name 'nan'")), ("inf", ("unknown name 'inf'",)),
    ("-inf", ("unknown name 'inf'",)), ("1e400", ("too large",)), ("sqrt(-1)", ("sqrt() needs a number ≥ 0",)),
    ("__import__('os')", ("unexpected character",)), ("exec('1')", ("unexpected character",)),
    ("1/0", ("division by zero",)),
    ("2**99999", ("exponent",)), ("exp(1000)", ("exp() needs a number ≤ 709",)), ("1+" * 3000 + "1", ("limit 1000",)),
    ("(" * 600 + "1" + ")" * 600, ("limit 1000",)), ("", ("empty expression",)), ("\x00", ("unexpected character",)),
    ("0x10", ("unknown name",)),
])
def test_a_bad_kernel_cell_is_refused_by_its_place(peak_memory, cell, words):
    document = lenet_document()
    refused(document, peak_memory, values(document, ke.set_kernel_block, 1, 2, 0, 1, 2, [[cell]]),
            "kernel 3 of channel 1", *words)


@pytest.mark.parametrize(("args", "words"), [
    ((1, 0, 0, 3, 3, [["1", "2", "3"]] * 3), ("a 3×3 block at row 4, column 4 does not fit kernel 1's 5×5 grid",)),
    ((1, 0, 0, -1, 0, [["1"]]), ("does not fit",)),
    ((1, 0, 0, 0, 0, [["1"] * 100_000]), ("a 1×100000 block",)),  # 100k cells: refused by shape, none parsed
    ((1, 0, 0, 0, 0, [["1"]] * 100_000), ("a 100000×1 block",)),
    ((1, 0, 0, 0, 0, [[]]), ("there is no value to set",)),
    ((1, 0, 0, 0, 0, []), ("there is no value to set",)),
    ((1, 6, 0, 0, 0, [["1"]]), ("kernels 1 to 6, not 7",)),
    ((1, -1, 0, 0, 0, [["1"]]), ("kernels 1 to 6, not 0",)),
    ((3, 0, 6, 0, 0, [["1"]]), ("channels 1 to 6, not 7",)),
    ((2, 0, 0, 0, 0, [["1"]]), ("layer 2 is not a convolution",)),
    ((9, 0, 0, 0, 0, [["1"]]), ("no layer at column 9",)),
    ((1, 0, 0, 0, 0, [["1+1"] * 5] * 5 + [["1"]]), ("does not fit",)),
])
def test_a_block_that_overflows_or_misses_the_grid_is_refused_whole(peak_memory, args, words):
    document = lenet_document()
    refused(document, peak_memory, values(document, ke.set_kernel_block, *args), *words)


def test_a_block_of_long_expressions_is_refused_by_its_characters_before_any_is_evaluated(peak_memory):
    """Each cell under one expression's 1,000 characters, 225 of them over a paste's 200,000."""
    document = Document(Project(build_from_architecture(parse_architecture("1x16x16-c1k15-2"), seed=0)))
    document.apply(ke.set_kernel_block(document.project, 1, 0, 0, 0, 0, [["2"]]), "Set kernel cell", "values")
    cell = "+".join(["1"] * 499)  # 997 characters
    message = refused(document, peak_memory, values(document, ke.set_kernel_block, 1, 0, 0, 0, 0, [[cell] * 15] * 15),
                      "224,325 characters of expressions", "at most 200,000")
    assert "nothing was changed" in message
    fits = ke.set_kernel_block(document.project, 1, 0, 0, 0, 0, [[cell] * 5] * 5)  # 24,925: each evaluated
    assert fits.network.layers[0].kernel[0, 0, 4, 4] == 499


def test_a_bad_cell_late_in_a_block_leaves_the_whole_kernel_as_it_was(peak_memory):
    document = lenet_document()
    block = [["1", "2", "3"], ["4", "nan", "6"]]
    refused(document, peak_memory, values(document, ke.set_kernel_block, 1, 0, 0, 0, 0, block), "row 2, column 2")


@pytest.mark.parametrize("text", ["nan", "1e400", "", "__import__('os')", "1+" * 200_000])
def test_a_bad_bias_is_refused(peak_memory, text):
    document = lenet_document()
    refused(document, peak_memory, values(document, ke.set_kernel_bias, 1, 0, text), budget=2 * MiB)


@pytest.mark.parametrize(("notation", "name", "words"), [
    ("1x4x4-c2k1-3", "laplacian", ("1×1 kernels", "Laplacian is defined for 3×3, not 1×1")),
    ("1x4x4-c2k1-3", "sobel-x", ("not 1×1",)),
    ("1x4x4-c2k2-3", "identity", ("2×2 kernels", "odd size")),
    ("1x4x4-c2k2-3", "sobel-y", ("not 2×2",)),
    ("1x4x4-c2k2-3", "nope", ("unknown kernel 'nope'",)),
    ("1x4x4-c2k2-3", "", ("unknown kernel ''",)),
])
def test_a_named_kernel_that_does_not_fit_a_tiny_kernel_is_refused(peak_memory, notation, name, words):
    document = Document(Project(build_from_architecture(parse_architecture(notation), seed=0)))
    document.structure_edit(ce.insert_layer, "an undo step", 2, "5")
    refused(document, peak_memory, values(document, ke.apply_named_kernel, 1, 0, 0, name), *words)


def test_named_kernels_that_do_fit_one_by_one_and_two_by_two():
    tiny = Project(build_from_architecture(parse_architecture("1x4x4-c2k1-c1k2-3"), seed=0))
    one = ke.apply_named_kernel(tiny, 1, 1, 0, "identity").network.layers[0].kernel
    assert one[1, 0].tolist() == [[1.0]]
    two = ke.apply_named_kernel(tiny, 2, 0, 1, "box-blur").network.layers[1]
    assert two.kernel[0, 1].tolist() == [[0.25, 0.25], [0.25, 0.25]] and two.kernel_text[(0, 1, 1, 1)] == "1/4"


# ------------------------------------------------------------------ fuzzed: any text, any place

LAYER_TOKENS = ["c", "k", "s", "p", "m", "a", "psame", "0", "1", "3", "5", "28", "4096", "99999", "-", "x", "×", " ",
                "１", "\x00", "e", "."]


@examples(150)
@given(column=st.integers(-1, 10), text=st.lists(st.sampled_from(LAYER_TOKENS), max_size=12).map("".join),
       geometry=st.booleans())
def test_any_layer_text_at_any_column_gives_a_network_or_a_one_line_refusal(column, text, geometry):
    project = _LENET_PROJECT
    edit = ce.set_geometry if geometry else ce.insert_layer
    try:
        result = edit(project, column, text, "he", np.random.default_rng(0))
    except EditError as error:
        assert "\n" not in str(error) and len(str(error)) < 400
        return
    arch = architecture_of(result.network)
    assert arch.parameter_count() <= 2**23 and sum(arch.sizes) <= 2**21
    assert describe_shapes(parse_architecture("-".join([LENET.split("-")[0]] + [s.text() for s in arch.layers])))


@examples(150)
@given(cells=st.lists(st.lists(st.text(max_size=12) | st.sampled_from(["nan", "1e400", "1/9", "-0", "sqrt(2)"]),
                               max_size=7), max_size=7), row=st.integers(-1, 5), col=st.integers(-1, 5))
def test_any_block_anywhere_sets_finite_values_or_is_refused_whole(cells, row, col):
    project = _LENET_PROJECT
    try:
        result = ke.set_kernel_block(project, 1, 0, 0, row, col, cells)
    except EditError as error:
        assert "\n" not in str(error)
        return
    kernel = result.network.layers[0].kernel
    assert np.all(np.isfinite(kernel))
    assert np.array_equal(kernel[1:], project.network.layers[0].kernel[1:])
