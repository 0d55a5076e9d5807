"""Layers of maps added, inserted, removed and re-shaped (document/conv_edits.py): every shape after the edit
chained again, what still fits kept, impossible shapes refused by layer and field, one undo step each."""

import numpy as np
import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import architecture_of, build_from_architecture, describe_shapes
from nnstudio.core.network import DenseLayer
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer
from nnstudio.document import Document
from nnstudio.document import conv_edits as ce
from nnstudio.document.edits import EditError

LENET = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"


def lenet() -> Project:
    return Project(build_from_architecture(parse_architecture(LENET), seed=0), loss="cce")


def shapes(project: Project) -> str:
    return describe_shapes(architecture_of(project.network))


def rng() -> np.random.Generator:
    return np.random.default_rng(3)


def test_a_convolution_inserted_re_chains_the_shapes_and_keeps_what_fits():
    before = lenet()
    after = ce.insert_layer(before, 3, "c8k3p1", "he", rng())
    assert shapes(after) == "1×28×28 → 6×28×28 → 6×14×14 → 8×14×14 → 16×10×10 → 16×5×5 → 120 → 84 → 10"
    old, new = before.network.layers, after.network.layers
    assert new[0] is old[0] and new[6] is old[5] and new[7] is old[6]  # untouched layers are the same objects
    assert new[2].kernel.shape == (8, 6, 3, 3) and new[2].activation == "relu" and new[2].bias.tolist() == [0] * 8
    # c16k5 now reads 8 channels, not 6: its kernel is drawn afresh, its bias and activation kept
    assert new[3].kernel.shape == (16, 8, 5, 5) and np.array_equal(new[3].bias, old[2].bias)
    assert new[5] is old[4]  # 120 still reads 16×5×5 = 400 values


def test_pooling_inserted_resizes_the_dense_layer_after_the_maps():
    before = lenet()
    after = ce.insert_layer(before, 5, "a2s1", "he", rng())
    assert shapes(after) == "1×28×28 → 6×28×28 → 6×14×14 → 16×10×10 → 16×5×5 → 16×4×4 → 120 → 84 → 10"
    pool, dense = after.network.layers[4], after.network.layers[5]
    assert isinstance(pool, Pool2DLayer) and (pool.kind, pool.size, pool.stride) == ("avg", 2, 1)
    assert dense.weights.shape == (120, 256) and not np.array_equal(dense.weights[:, :256],
                                                                    before.network.layers[4].weights[:, :256])
    assert np.array_equal(dense.bias, before.network.layers[4].bias) and dense.activation == "relu"


def test_a_dense_layer_goes_after_the_maps_and_a_layer_of_maps_before_the_first_dense():
    project = lenet()
    after = ce.insert_layer(project, 5, "32", "he", rng())
    assert after.network.sizes == [784, 4704, 1176, 1600, 400, 32, 120, 84, 10]
    assert after.network.layers[4].weights.shape == (32, 400) and after.network.layers[5].weights.shape == (120, 32)
    assert ce.insertable(project.network, 5) == (True, True) and ce.insertable(project.network, 2) == (True, False)
    assert ce.insertable(project.network, 6) == (False, True)
    with pytest.raises(EditError, match=r"a dense layer cannot go before layer 3 \(6×14×14 maps in\)"):
        ce.insert_layer(project, 3, "32")
    with pytest.raises(EditError, match="c2k3 needs maps, and column 5 gives 120 plain numbers"):
        ce.insert_layer(project, 6, "c2k3")


def test_remove_a_pooling_layer_and_every_layer_after_follows():
    before = lenet()
    after = ce.remove_layer(before, 2, "he", rng())
    assert shapes(after) == "1×28×28 → 6×28×28 → 16×24×24 → 16×12×12 → 120 → 84 → 10"
    assert after.network.layers[1].kernel is before.network.layers[2].kernel  # 16 kernels over 6 channels: kept
    assert after.network.layers[3].weights.shape == (120, 2304)
    only = ce.remove_layer(ce.remove_layer(Project(build_from_architecture(parse_architecture("1x6x6-c2k3-m2"),
                                                                           output="identity")), 2), 1)
    assert only.network.layers == () and only.network.input_shape == (1, 6, 6)


def test_geometry_draws_the_kernel_afresh_and_re_chains():
    before = lenet()
    after = ce.set_geometry(before, 1, ce.conv_text(4, 3, 1, 0), "he", rng())
    assert shapes(after) == "1×28×28 → 4×26×26 → 4×13×13 → 16×9×9 → 16×4×4 → 120 → 84 → 10"
    conv = after.network.layers[0]
    assert isinstance(conv, Conv2DLayer) and conv.kernel.shape == (4, 1, 3, 3) and conv.bias.tolist() == [0] * 4
    assert after.network.layers[4].weights.shape == (120, 256)
    pooled = ce.set_geometry(before, 2, ce.pool_text("max", 3, 2), "he", rng())
    assert shapes(pooled).startswith("1×28×28 → 6×28×28 → 6×13×13 → 16×9×9")
    with pytest.raises(EditError, match="stays a pooling layer"):
        ce.set_geometry(before, 2, "c2k3")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: ce.set_geometry(p, 3, "c16k20s1p0"),
     'layer 3 "c16k20s1p0": kernel size 20 is larger than the padded height: 14 + 2·0 = 14'),
    (lambda p: ce.insert_layer(p, 1, "m40"), 'layer 1 "m40": pool size 40 is larger than the height: 28'),
    (lambda p: ce.insert_layer(p, 2, "c0k3"), 'layer 2 "c0k3": channels must be a whole number from 1'),
    (lambda p: ce.insert_layer(p, 2, "c4"), 'layer 2 "c4": a convolution needs its kernel size'),
    (lambda p: ce.insert_layer(p, 2, "c4k3 m2"), "'c4k3 m2' is more than one layer"),
    (lambda p: ce.insert_layer(p, 2, "  "), "type one layer"),
    (lambda p: ce.remove_layer(p, 9), "there is no layer at column 9"),
])
def test_impossible_shapes_are_refused_by_layer_and_field(edit, message):
    project = lenet()
    with pytest.raises(EditError) as refused:
        edit(project)
    assert message in str(refused.value)


def test_each_edit_is_one_undo_step_and_a_refusal_leaves_the_document():
    document = Document(lenet())
    first = document.project
    document.structure_edit(ce.insert_layer, "Insert c8k3p1 as layer 3", 3, "c8k3p1")
    document.structure_edit(ce.set_geometry, "Set layer 3", 3, "c4k3s1p1")
    assert document.project.network.layers[2].kernel.shape == (4, 6, 3, 3)
    assert document.undo_stack.undo_text() == "Set layer 3"
    with pytest.raises(EditError):
        document.structure_edit(ce.set_geometry, "Set layer 3", 3, "c4k30s1p1")
    assert document.project.network.layers[2].kernel.shape == (4, 6, 3, 3)
    document.undo()
    document.undo()
    assert document.project is first
    document.structure_locked = True
    with pytest.raises(EditError, match="while it is training"):
        document.structure_edit(ce.remove_layer, "Remove layer 1", 1)


def test_the_edge_detector_removed_and_added_again_by_edits():
    project = Project(build_from_architecture(parse_architecture("1x28x28-c1k3"), output="identity", no_bias={1}))
    empty = ce.remove_layer(project, 1)
    assert empty.network.sizes == [784] and empty.network.input_shape == (1, 28, 28)
    again = ce.insert_layer(empty, 1, "c1k3", activation="identity", bias=False)
    (conv,) = again.network.layers
    assert conv.out_shape == (1, 26, 26) and conv.bias is None and conv.activation == "identity"
    assert isinstance(ce.insert_layer(again, 2, "10").network.layers[1], DenseLayer)
