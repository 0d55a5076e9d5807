"""Hand-set kernels (document/kernel_edits.py): typed cells, a bias, a named kernel, refusals by place, undo."""

import numpy as np
import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.project import Project
from nnstudio.document import Document
from nnstudio.document.edits import EditError
from nnstudio.document.kernel_edits import (
    apply_named_kernel,
    set_kernel_bias,
    set_kernel_block,
)
from nnstudio.io import load_example
from tests.support.conv_reference import SOBEL_X, correlate


def tiny() -> Project:
    """1×5×5 → one 3×3 convolution, identity, ending the network; the input a vertical stroke in column 1."""
    network = build_from_architecture(parse_architecture("1x5x5-c1k3"), output="identity", seed=0)
    x = np.zeros((5, 5))
    x[:, 1] = 1.0
    return Project(network, input=x.ravel())


def test_typed_block_sets_the_kernel_and_the_map_follows():
    document = Document(tiny())
    text = [[str(v) for v in row] for row in SOBEL_X]
    document.apply(set_kernel_block(document.project, 1, 0, 0, 0, 0, text), "Paste kernel", "values")
    document.apply(set_kernel_bias(document.project, 1, 0, "0"), "Set bias", "values")
    layer = document.project.network.layers[0]
    assert layer.kernel[0, 0].tolist() == SOBEL_X
    assert layer.kernel_text == {}  # plain numbers keep no text
    expected = correlate(tiny().input.reshape(5, 5), np.array(SOBEL_X, float), 0.0)
    assert expected.tolist() == [[0, 4, 0]] * 3  # brighter on the left of the window: > 0
    assert document.trace.layers[0].a.reshape(3, 3).tolist() == expected.tolist()


def test_an_expression_is_kept_as_typed_and_undo_restores_bit_for_bit():
    document = Document(tiny())
    before = np.array(document.project.network.layers[0].kernel)
    document.apply(set_kernel_block(document.project, 1, 0, 0, 1, 2, [["1/sqrt(2)"]]), "Set kernel cell", "values")
    layer = document.project.network.layers[0]
    assert layer.kernel[0, 0, 1, 2] == 1 / np.sqrt(2)
    assert layer.kernel_text == {(0, 0, 1, 2): "1/sqrt(2)"}
    document.undo()
    assert np.array_equal(document.project.network.layers[0].kernel, before)
    assert document.project.network.layers[0].kernel_text == {}


def test_a_bad_cell_is_refused_by_place_and_nothing_changes():
    project = Project(load_example("lenet").network)
    with pytest.raises(EditError, match=r"^kernel 2 of channel 1, row 3, column 1: "):
        set_kernel_block(project, 1, 1, 0, 1, 0, [["1", "2"], ["foo", "3"]])
    with pytest.raises(EditError, match="does not fit kernel 1's 5×5 grid over channel 1"):
        set_kernel_block(project, 1, 0, 0, 4, 4, [["1", "2"]])
    with pytest.raises(EditError, match="layer 2 is not a convolution"):
        set_kernel_block(project, 2, 0, 0, 0, 0, [["1"]])
    with pytest.raises(EditError, match="kernels 1 to 6, not 7"):
        set_kernel_bias(project, 1, 6, "1")
    with pytest.raises(EditError, match="^bias of kernel 1: "):
        set_kernel_bias(project, 1, 0, "1/")


def test_named_kernels_give_their_exact_grid():
    project = tiny()
    sobel = apply_named_kernel(project, 1, 0, 0, "sobel-x").network.layers[0]
    assert sobel.kernel[0, 0].tolist() == SOBEL_X
    blur = apply_named_kernel(project, 1, 0, 0, "box-blur").network.layers[0]
    assert np.all(blur.kernel[0, 0] == 1 / 9) and blur.kernel_text[(0, 0, 2, 2)] == "1/9"
    conv4 = load_example("conv-4x4")  # a 2×2 kernel: Sobel is defined for 3×3 only, refused by name
    with pytest.raises(EditError, match="Sobel x is defined for 3×3, not 2×2"):
        apply_named_kernel(conv4, 1, 0, 0, "sobel-x")
