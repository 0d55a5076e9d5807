"""Version 2 of the `.nnstudio` file: convolutional and pooling layers written, read back bit for bit, and every
fault of a hostile file named by field before any kernel is read or drawn (issue 33, docs/file-format.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import Conv2DLayer, Pool2DLayer
from nnstudio.io import NetworkFileError, dumps, load_example, load_project, loads, save_project

LENET = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"


def _conv_file(**changes) -> dict:
    """The conv-4x4 example's JSON with top-level or first-layer changes (`layer0`, `layer1`, `layers`)."""
    data = json.loads(dumps(load_example("conv-4x4")))
    for key, value in changes.items():
        if key.startswith("layer") and key[5:].isdigit():
            data["layers"][int(key[5:])].update(value)
        else:
            data[key] = value
    return data


def _refusal(data: dict) -> str:
    with pytest.raises(NetworkFileError) as caught:
        loads(json.dumps(data), "hostile.nnstudio")
    return str(caught.value)


def test_the_worked_example_reads_as_the_docs_write_it():
    project = load_example("conv-4x4")
    conv, pool, dense = project.network.layers
    assert project.network.input_shape == (1, 4, 4)
    assert isinstance(conv, Conv2DLayer) and conv.kernel.tolist() == [[[[1.0, 0.0], [-1.0, 2.0]]]]
    assert conv.bias.tolist() == [0.5] and conv.activation == "relu" and (conv.stride, conv.pad) == (1, 0)
    assert isinstance(pool, Pool2DLayer) and (pool.kind, pool.size, pool.stride) == ("max", 2, 2)
    assert dense.weights.tolist() == [[0.5]] and dense.bias.tolist() == [0.25]
    assert project.input.reshape(4, 4).tolist() == [[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 1]]


def test_lenet_round_trips_bit_for_bit_as_version_2(tmp_path):
    network = build_from_architecture(parse_architecture(LENET), seed=3)
    path = tmp_path / "lenet.nnstudio"
    save_project(Project(network=network), path)
    data = json.loads(path.read_text("utf-8"))
    assert data["version"] == 2 and data["input"] == {"size": 784, "shape": [1, 28, 28]}
    assert [layer.get("type", "dense") for layer in data["layers"]] == [
        "conv2d", "maxpool2d", "conv2d", "maxpool2d", "dense", "dense", "dense"]
    first = data["layers"][0]
    assert (first["channels"], first["kernel_size"], first["stride"], first["padding"]) == (6, 5, 1, 2)
    assert np.asarray(first["kernel"]).shape == (6, 1, 5, 5)  # (K, C, k, k), as PyTorch holds it
    assert load_project(path).network.same_as(network)


def test_a_dense_network_is_still_written_as_version_1_so_older_releases_open_it():
    assert json.loads(dumps(load_example("xor")))["version"] == 1


def test_typed_kernel_values_keep_their_text_and_same_padding_reads_as_its_number():
    data = _conv_file(layer0={"kernel": [[[["1/sqrt(2)", 0], [-1, "2^1"]]]], "bias": ["1/2"], "padding": 0})
    data["layers"][0].update(kernel_size=3, padding="same", kernel=[[[["1/sqrt(2)", 0, 0], [-1, "2^1", 0],
                                                                       [0, 0, 0]]]])
    data["layers"][1]["size"] = 4  # the maps stay 4×4 with "same" padding, so the pool takes them whole
    project = loads(json.dumps(data))
    conv = project.network.layers[0]
    assert conv.pad == 1 and conv.kernel[0, 0, 0, 0] == 1 / 2 ** 0.5 and conv.kernel[0, 0, 1, 1] == 2.0
    assert conv.kernel_text == {(0, 0, 0, 0): "1/sqrt(2)", (0, 0, 1, 1): "2^1"} and conv.bias_text == {0: "1/2"}
    written = json.loads(dumps(project))["layers"][0]
    assert written["padding"] == 1 and written["kernel"][0][0][0][0] == "1/sqrt(2)" and written["bias"] == ["1/2"]
    assert loads(dumps(project)).network.same_as(project.network)


def test_a_kernel_drawn_by_a_seeded_initialiser_is_the_same_each_time():
    data = _conv_file(layer0={"kernel": {"init": "he", "seed": 7}})
    first, again = loads(json.dumps(data)).network.layers[0], loads(json.dumps(data)).network.layers[0]
    assert np.array_equal(first.kernel, again.kernel) and first.kernel.shape == (1, 1, 2, 2)
    assert not np.array_equal(first.kernel, loads(json.dumps(_conv_file(layer0={"kernel": {"init": "he", "seed": 8}})
                                                              )).network.layers[0].kernel)


def test_a_float32_file_keeps_kernels_in_float32():
    project = loads(json.dumps(_conv_file(precision="float32")))
    assert project.network.layers[0].kernel.dtype == np.float32


HOSTILE = {
    "kernel larger than the padded input": (
        {"layer0": {"kernel_size": 5, "kernel": [[[[0] * 5] * 5]]}},
        "layers[0]: kernel size 5 is larger than the padded height: 4 + 2·0 = 4"),
    "stride 0": ({"layer0": {"stride": 0}}, "layers[0].stride: expected a whole number from 1 to 4096, got 0"),
    "negative stride": ({"layer0": {"stride": -2}}, "layers[0].stride: expected a whole number from 1 to 4096, got -2"),
    "pool stride 0": ({"layer1": {"stride": 0}}, "layers[1].stride: expected a whole number from 1 to 4096, got 0"),
    "negative padding": ({"layer0": {"padding": -1}}, "layers[0].padding: expected a whole number from 0 to 4096"),
    "same padding with a stride": ({"layer0": {"padding": "same", "stride": 2}}, "layers[0].padding: 'same' padding"),
    "no channels": ({"layer0": {"channels": 0}}, "layers[0].channels: expected a whole number from 1 to 4096, got 0"),
    "kernel of the wrong shape": ({"layer0": {"kernel": [[[[1, 0, 2], [-1, 2, 2]]]]}}, "layers[0].kernel[0][0][0]: expected 2 entries"),
    "kernel with a NaN": ({"layer0": {"kernel": [[[[1, None], [-1, 2]]]]}}, "layers[0].kernel[0][0][0][1]: expected a number, got null"),
    "softmax on maps": ({"layer0": {"activation": "softmax"}}, "layers[0].activation: softmax is only for a flat"),
    "unknown type": ({"layer1": {"type": "maxpool3d"}}, "layers[1].type: unknown name 'maxpool3d'"),
    "pool window larger than the maps": ({"layer1": {"size": 4}}, "layers[1]: pool size 4 is larger than the height: 3"),
    "input size not the shape's": ({"input": {"size": 15, "shape": [1, 4, 4]}},
                                   "input.size: expected 16 (input.shape 1×4×4), got 15"),
    "maps without an input shape": ({"input": {"size": 16}}, "layers[0].type: a conv2d layer reads maps"),
    "maps in a version-1 file": ({"version": 1}, "input.shape: maps came in version 2 of the format; this file says "
                                                 "version 1"),
    "a conv in a version-1 file": ({"version": 1, "input": {"size": 16}},
                                   "layers[0].type: convolution and pooling came in version 2 of the format"),
    "an unknown conv key": ({"layer0": {"dilation": 2}}, "layers[0].dilation: unknown field"),
}


@pytest.mark.parametrize("changes, message", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_conv_file_is_refused_by_field(changes, message):
    assert message in _refusal(_conv_file(**changes))


def test_maps_after_a_dense_layer_are_refused_naming_the_layer():
    data = _conv_file()
    data["layers"] = [data["layers"][0], data["layers"][2], {"type": "maxpool2d", "size": 1}]
    data["layers"][1]["weights"] = [[0.5] * 9]
    assert "layers[2].type: a maxpool2d layer reads maps (channels × height × width), but it follows a dense " \
           "layer" in _refusal(data)


def test_activations_over_the_budget_are_refused_before_any_kernel_is_drawn(peak_memory):
    data = _conv_file(input={"size": 1024 * 1024, "shape": [1, 1024, 1024]},
                      current={}, layer0={"channels": 8, "kernel_size": 1, "kernel": {"init": "he"}, "bias": None})
    data["layers"][1]["size"] = 1024
    data["layers"][2]["weights"] = {"init": "he"}
    outcome, peak = peak_memory(lambda: loads(json.dumps(data), "big.nnstudio"))
    assert isinstance(outcome, NetworkFileError)
    # 1,048,576 input values + 8 × 1,048,576 maps + 8 pooled (one 1024×1024 window each) + 1 output, by hand
    assert str(outcome) == ("big.nnstudio: layers: 1×1024×1024 → 8×1024×1024 → 8×1×1 → 1 gives "
                            f"{1_048_576 * 9 + 8 + 1:,} values per sample (its input and every layer's maps); a "
                            f"network may give at most 2,097,152")
    assert peak < 8 * 2**20  # the shapes were counted; no 8 MiB map or kernel was made


def test_an_input_over_the_budget_is_refused_by_its_shape():
    message = _refusal(_conv_file(input={"size": 3 * 1024 * 1024, "shape": [3, 1024, 1024]}))
    assert "input.shape: 3×1024×1024 is 3,145,728 values; an input may have at most 2,097,152" in message


def test_a_large_kernel_of_small_grids_is_written_as_rows_and_reads_back_bit_for_bit():
    network = build_from_architecture(parse_architecture("16x6x6-c64k3p1-c32k1-4"), seed=5)
    kernel = network.layers[0].kernel  # 64 × 16 × 3 × 3 = 9,216 values in grids of 9: rows
    typed = network.with_layer(0, network.layers[0].replace(kernel_text={(2, 1, 0, 2): "1/sqrt(2)"}))
    data = json.loads(dumps(Project(network=typed)))
    rows = data["layers"][0]["kernel"]
    assert len(rows) == 64 and all(len(row) == 16 * 9 for row in rows)
    assert rows[2][1 * 9 + 0 * 3 + 2] == "1/sqrt(2)"  # (c, i, j) = (1, 0, 2) in (C, k, k) order
    assert rows[5][4 * 9 + 2 * 3 + 1] == kernel[5, 4, 2, 1]
    assert np.asarray(data["layers"][1]["kernel"]).shape == (32, 64, 1, 1)  # 2,048 values: nested, as written
    read = loads(json.dumps(data)).network.layers[0]
    assert read.kernel_text == {(2, 1, 0, 2): "1/sqrt(2)"} and read.kernel[2, 1, 0, 2] == 1 / 2 ** 0.5
    assert np.array_equal(np.delete(read.kernel.ravel(), 2 * 144 + 9 + 2), np.delete(kernel.ravel(), 2 * 144 + 9 + 2))


def test_a_kernel_in_rows_of_the_wrong_length_is_refused_by_field():
    data = _conv_file(layer0={"kernel": [[1, 0, -1]]})
    assert "layers[0].kernel[0]: expected 4 entries" in _refusal(data)


def test_npz_weights_of_a_conv_network_are_numbered_as_step_numbers_layers_and_load_back(tmp_path):
    from nnstudio.io import load_npz, save_npz

    network = build_from_architecture(parse_architecture("2x6x6-c3k3p1-m2-c4k2-4"), seed=2)
    path = tmp_path / "weights.npz"
    save_npz(network, path)
    with np.load(path) as archive:  # numpy's own reader, allow_pickle False by default
        assert sorted(archive.files) == ["W1", "W3", "W4", "b1", "b3", "b4"]  # layer 2 is the pool: no entry
        assert archive["W1"].shape == (3, 2, 3, 3) and archive["W3"].shape == (4, 3, 2, 2)
        assert np.array_equal(archive["W3"], network.layers[2].kernel)
    zeroed = network.with_layers(layer.with_parameters(*(None if a is None else np.zeros_like(a)
                                                         for a in layer.parameters())) for layer in network.layers)
    assert load_npz(zeroed, path).same_as(network)


def test_a_convolution_whose_windows_pass_the_budget_is_refused_before_its_first_forward_pass(peak_memory):
    """1×1000×1000 read by one 500×500 kernel: a million input values and 251,001 map values a sample, within the
    activation budget, and 250,001 parameters, within theirs, but its forward pass would lay out 1·500²·501·501 =
    62,750,250,000 window values (468 GiB as float64). The file is refused by field before any kernel is drawn."""
    side, k = 1000, 500
    data = _conv_file(input={"size": side * side, "shape": [1, side, side]}, current={},
                      layer0={"kernel_size": k, "kernel": {"init": "he"}})
    data["layers"][1]["size"] = 1  # max pool 2 of 1×501×501 → 1×250×250
    data["layers"][2].update({"weights": {"init": "he"}})
    outcome, peak = peak_memory(lambda: loads(json.dumps(data), "windows.nnstudio"))
    assert isinstance(outcome, NetworkFileError)
    windows = 1 * k * k * (side - k + 1) ** 2
    assert windows == 62_750_250_000
    assert f"its 501×501 windows of 1×500×500 are {windows:,} values a sample; a layer may lay out at most " \
           f"{2**27:,}" in str(outcome)
    assert str(outcome).startswith("windows.nnstudio: layers")
    assert peak < 16 * 2**20
