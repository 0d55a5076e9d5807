"""`.npz` weight archives mutated from a valid one: each loads into the network's own shapes with finite values,
or is refused with NetworkFileError — never another exception, never unpickled, never inflated past the
network's size."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nnstudio.io import NetworkFileError, load_example, load_npz

from .conftest import MiB, bounded, count, examples

NETWORK = load_example("cosine-memory").network


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=array.dtype.hasobject)
    return buffer.getvalue()


def _header(shape: tuple[int, ...], descr: str) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


ARRAYS = st.one_of(
    st.sampled_from(["valid", "valid", "valid"]),
    st.sampled_from(["float32", "int64", "text", "object", "nan", "inf", "huge", "transposed", "scalar", "claims",
                     "truncated", "garbage", "fortran"]),
)


@st.composite
def archives(draw: st.DrawFn) -> bytes:
    members: dict[str, bytes] = {}
    originals = {"W1": np.asarray(NETWORK.layers[0].weights), "b1": np.asarray(NETWORK.layers[0].bias),
                 "W2": np.asarray(NETWORK.layers[1].weights)}
    for name, array in originals.items():
        kind = draw(ARRAYS)
        payload = {
            "valid": lambda: _npy(array),
            "float32": lambda: _npy(array.astype(np.float32)),
            "int64": lambda: _npy(array.astype(np.int64)),
            "text": lambda: _npy(array.astype(str)),
            "object": lambda: _npy(np.array([object()], dtype=object)),
            "nan": lambda: _npy(np.full(array.shape, np.nan)),
            "inf": lambda: _npy(np.full(array.shape, -np.inf)),
            "huge": lambda: _npy(np.full(array.shape, 1e308)),
            "transposed": lambda: _npy(array.T.copy()),
            "scalar": lambda: _npy(np.float64(1.0)),
            "claims": lambda: _header((100_000, 100_000), "<f8") + b"\0" * 64,
            "truncated": lambda: _npy(array)[: draw(st.integers(0, len(_npy(array))))],
            "garbage": lambda: draw(st.binary(max_size=200)),
            "fortran": lambda: _npy(np.asfortranarray(array)),
        }[kind]()
        rename = draw(st.sampled_from([name, name, name, name, name.lower(), name + "x", "W9"]))
        if draw(st.integers(0, 9)):
            members[rename] = payload
    buffer = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, payload in members.items():
            archive.writestr(name + ".npy", payload)
    data = buffer.getvalue()
    if draw(st.integers(0, 4)) == 0 and data:  # damage the archive itself
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    return data


@examples(250)
@given(archives())
def test_an_npz_loads_into_the_networks_shapes_or_is_refused(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz.npz"
    path.write_bytes(data)
    with bounded("npz archives", 2 * MiB):
        try:
            network = load_npz(NETWORK, path)
        except NetworkFileError as error:
            assert str(error).startswith(str(path)) and len(str(error)) < 400, str(error)
            count("npz archives", "refused by name")
            return
    for new, old in zip(network.layers, NETWORK.layers):
        assert new.weights.shape == old.weights.shape and np.all(np.isfinite(new.weights))
        assert (new.bias is None) == (old.bias is None)
    count("npz archives", "loaded")
