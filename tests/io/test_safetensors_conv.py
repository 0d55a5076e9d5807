"""safetensors carries convolutional networks: kernels as (K, C, k, k) tensors W{l}, the strides, paddings and
poolings in the `nnstudio` metadata, read back bit for bit; and hostile files refused by field, before a tensor
is read."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.limits import MAX_ACTIVATIONS, MAX_PARAMETERS
from nnstudio.core.network import Conv2DLayer, DenseLayer, Network, Pool2DLayer
from nnstudio.core.project import Project
from nnstudio.io.errors import NetworkFileError
from nnstudio.interop import safetensors_file
from nnstudio.interop.safetensors_file import load_safetensors, save_safetensors, safetensors_bytes

NETWORKS = {
    "lenet-like": ("1x12x12-c4k3p1-m2-c6k3s2-a2-10", "relu", "softmax", set()),
    "no-bias-stride-2": ("3x9x9-c5k3s2p2-m3s2-8-2", "tanh", "sigmoid", {1, 3}),
    "ends-in-pooling": ("2x8x8-c3k2-a2s3", "elu", "identity", set()),
    "ends-in-convolution": ("1x6x6-m2-c2k2", "swish", "identity", {2}),
}


def conv_network(name: str, dtype: str = "float64") -> Network:
    text, hidden, output, no_bias = NETWORKS[name]
    network = build_from_architecture(parse_architecture(text), hidden=hidden, output=output, seed=11,
                                      no_bias=no_bias, dtype=dtype)
    rng = np.random.default_rng(3)  # biases that are not all zero, so a lost bias shows
    layers = [layer.replace(bias=rng.normal(size=layer.bias.shape).astype(dtype)) if layer.bias is not None
              else layer for layer in network.layers]
    return network.with_layers(layers)


@pytest.mark.parametrize("name", sorted(NETWORKS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_convolutional_network_comes_back_bit_for_bit(name, dtype, tmp_path):
    network = conv_network(name, dtype)
    path = tmp_path / "net.safetensors"
    save_safetensors(Project(network, loss="mse", name=name), path)
    back = load_safetensors(path)
    assert back.network.same_as(network)
    assert back.network.input_shape == network.input_shape and back.name == name and back.loss == "mse"


def test_the_reference_package_reads_kernels_as_k_c_k_k_and_the_metadata_says_the_layers(tmp_path):
    safetensors = pytest.importorskip("safetensors.numpy", reason="the interop extra is not installed")
    network = conv_network("lenet-like")
    path = tmp_path / "net.safetensors"
    save_safetensors(Project(network, loss="cce"), path)
    tensors = safetensors.load_file(str(path))
    assert sorted(tensors) == ["W1", "W3", "W5", "b1", "b3", "b5"]  # by layer number; pooling holds none
    np.testing.assert_array_equal(tensors["W1"], network.layers[0].kernel)
    assert tensors["W1"].shape == (4, 1, 3, 3) and tensors["W3"].shape == (6, 4, 3, 3)
    meta = json.loads(_header(path.read_bytes())["__metadata__"]["nnstudio"])
    assert meta["input_shape"] == [1, 12, 12]
    assert [layer["type"] for layer in meta["layers"]] == ["conv2d", "max_pool2d", "conv2d", "avg_pool2d", "dense"]
    assert meta["layers"][2] == {"type": "conv2d", "in_shape": [4, 6, 6], "out_shape": [6, 2, 2],
                                 "kernel": [6, 4, 3, 3], "stride": 2, "padding": 0}
    assert meta["layers"][3] == {"type": "avg_pool2d", "in_shape": [6, 2, 2], "out_shape": [6, 1, 1], "size": 2,
                                 "stride": 2}


def test_a_dense_networks_metadata_is_as_it_always_was():
    network = Network(2, (DenseLayer(np.ones((3, 2)), None, "relu"), DenseLayer(np.ones((1, 3)), np.zeros(1))))
    meta = json.loads(_header(safetensors_bytes(Project(network)))["__metadata__"]["nnstudio"])
    assert "layers" not in meta and "input_shape" not in meta


def _header(data: bytes) -> dict:
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length])


def _write(path, tensors: dict[str, np.ndarray], meta: dict) -> None:
    """A safetensors file written by hand, saying what the test wants it to say."""
    header: dict = {"__metadata__": {"nnstudio": json.dumps(meta)}}
    blobs, offset = [], 0
    for name, values in tensors.items():
        blob = np.ascontiguousarray(values, dtype="<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(values.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def _good() -> tuple[dict[str, np.ndarray], dict]:
    """A valid file's tensors and metadata (1×6×6 → conv 2k3p1 → max 2 → dense 3), each test spoiling one part."""
    network = Network(36, (Conv2DLayer(np.full((2, 1, 3, 3), 0.5), np.zeros(2), (1, 6, 6), 1, 1, "relu"),
                           Pool2DLayer("max", (2, 6, 6), 2),
                           DenseLayer(np.full((3, 18), 0.25), np.zeros(3), "softmax")), (1, 6, 6))
    data = safetensors_bytes(Project(network, loss="cce"))
    meta = json.loads(_header(data)["__metadata__"]["nnstudio"])
    tensors = {"W1": np.full((2, 1, 3, 3), 0.5), "b1": np.zeros(2), "W3": np.full((3, 18), 0.25), "b3": np.zeros(3)}
    return tensors, meta


def test_the_hand_written_good_file_imports(tmp_path):
    tensors, meta = _good()
    _write(tmp_path / "good.safetensors", tensors, meta)
    network = load_safetensors(tmp_path / "good.safetensors").network
    assert [type(layer).__name__ for layer in network.layers] == ["Conv2DLayer", "Pool2DLayer", "DenseLayer"]


def _spoil(what: str, tensors: dict, meta: dict) -> None:
    layers = meta["layers"]
    if what == "kernel not square":
        tensors["W1"] = np.full((2, 1, 3, 2), 0.5)
    elif what == "kernel not what the metadata says":
        layers[0]["kernel"] = [2, 1, 2, 2]
    elif what == "kernel reads other channels":
        tensors["W1"] = np.full((2, 3, 3, 3), 0.5)
    elif what == "kernel larger than the padded input":
        tensors["W1"] = np.full((2, 1, 9, 9), 0.5)
        del layers[0]["kernel"]
    elif what == "pool stride 0":
        layers[1]["stride"] = 0
    elif what == "negative padding":
        layers[0]["padding"] = -1
    elif what == "dense does not chain":
        tensors["W3"] = np.full((3, 19), 0.25)
    elif what == "out_shape not the chain's":
        layers[1]["out_shape"] = [2, 2, 2]
    elif what == "unknown layer type":
        layers[1]["type"] = "lp_pool2d"
    elif what == "weights for a pooling":
        tensors["W2"] = np.ones((1, 1))
    elif what == "input shape of zero channels":
        meta["input_shape"] = [0, 6, 6]
    elif what == "layers not a list":
        meta["layers"] = {"0": "conv2d"}
    elif what == "an activation on a pooling":
        meta["activations"][1] = "relu"
    elif what == "a layer the metadata does not list":
        tensors["W4"] = np.ones((1, 3))
    elif what == "pooling after a dense layer":
        tensors.clear()
        tensors["W1"] = np.ones((4, 36))
        meta.update(activations=["relu", "identity"], layers=[{"type": "dense"},
                                                             {"type": "max_pool2d", "size": 2, "stride": 2}])


HOSTILE = {
    "kernel not square": ("W1", "(K, C, k, k)"),
    "kernel not what the metadata says": ("nnstudio metadata: layers[0].kernel", "says 2×1×2×2"),
    "kernel reads other channels": ("W1", "reads 3 channel(s)"),
    "kernel larger than the padded input": ("W1", "kernel size 9 is larger than the padded height"),
    "pool stride 0": ("nnstudio metadata: layers[1].stride", "from 1 to 4096"),
    "negative padding": ("nnstudio metadata: layers[0].padding", "from 0 to 4096"),
    "dense does not chain": ("W3", "takes 19 inputs but the layer before it gives 18"),
    "out_shape not the chain's": ("nnstudio metadata: layers[1].out_shape", "says 2×2×2"),
    "unknown layer type": ("nnstudio metadata: layers[1].type", "'lp_pool2d'"),
    "weights for a pooling": ("W2", "a pooling, which has no weights"),
    "input shape of zero channels": ("nnstudio metadata: input_shape[0]", "from 1 to"),
    "layers not a list": ("nnstudio metadata: layers", "expected a list"),
    "an activation on a pooling": ("layer 2", "a pooling layer has none"),
    "a layer the metadata does not list": ("W4", "the metadata lists 3 layers"),
    "pooling after a dense layer": ("nnstudio metadata: layers[1].type", "follows a dense layer"),
}


@pytest.mark.parametrize("what", sorted(HOSTILE))
def test_a_hostile_convolutional_file_is_refused_by_field(what, tmp_path):
    tensors, meta = _good()
    _spoil(what, tensors, meta)
    path = tmp_path / "hostile.safetensors"
    _write(path, tensors, meta)
    field, words = HOSTILE[what]
    with pytest.raises(NetworkFileError) as refused:
        load_safetensors(path)
    assert refused.value.field == field, str(refused.value)
    assert words in refused.value.reason


def test_maps_beyond_the_activation_budget_are_refused_before_any_tensor_is_read(tmp_path, monkeypatch):
    """64×256×256 input values (4 Mi, over MAX_ACTIVATIONS) with a 1×1 kernel: a few bytes of tensors, and the
    budget the core checks refuses it from the header alone."""
    assert 64 * 256 * 256 > MAX_ACTIVATIONS
    meta = {"activations": ["relu", "identity"], "input_shape": [64, 256, 256],
            "layers": [{"type": "conv2d", "stride": 1, "padding": 0}, {"type": "max_pool2d", "size": 2, "stride": 2}]}
    path = tmp_path / "huge.safetensors"
    _write(path, {"W1": np.ones((1, 64, 1, 1))}, meta)
    reads: list[int] = []
    real = safetensors_file.read_at_most
    monkeypatch.setattr(safetensors_file, "read_at_most", lambda handle, n: reads.append(n) or real(handle, n))
    with pytest.raises(NetworkFileError) as refused:
        load_safetensors(path)
    assert f"{MAX_ACTIVATIONS:,}" in refused.value.reason and refused.value.field == ""
    assert len(reads) == 2  # the header's length and the header: no tensor


def test_a_kernel_over_the_parameter_budget_is_refused_from_its_declared_shape(tmp_path):
    """The header claims a 4096×4096×1×1 kernel (16 Mi parameters): refused by the budget, though the file holds
    the bytes, before they are read."""
    meta = {"activations": ["identity"], "input_shape": [4096, 1, 1],
            "layers": [{"type": "conv2d", "stride": 1, "padding": 0}]}
    path = tmp_path / "params.safetensors"
    header = {"__metadata__": {"nnstudio": json.dumps(meta)},
              "W1": {"dtype": "F32", "shape": [4096, 4096, 1, 1], "data_offsets": [0, 4096 * 4096 * 4]}}
    text = json.dumps(header).encode()
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(text)) + text)
        handle.truncate(8 + len(text) + 4096 * 4096 * 4)  # a sparse file: the bytes are there, all zero
    with pytest.raises(NetworkFileError) as refused:
        load_safetensors(path)
    assert f"at most {MAX_PARAMETERS:,}" in refused.value.reason and refused.value.field == ""
