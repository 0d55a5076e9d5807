"""IDX files: round trips, and malformed files refused with clear messages."""

import gzip
import struct

import numpy as np
import pytest

from nnstudio.data import IdxError, read_idx, write_idx


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip(tmp_path, name, dtype):
    array = (np.arange(2 * 3 * 4) * 3 - 7).astype(dtype).reshape(2, 3, 4)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(back, array)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\x00\x00")


def test_reads_the_standard_layout_written_by_hand(tmp_path):
    """Header bytes as the MNIST page describes them: 0x00000803, then big-endian dimensions."""
    payload = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 2, 3) + bytes(range(12))
    (tmp_path / "x.gz").write_bytes(gzip.compress(payload))
    np.testing.assert_array_equal(read_idx(tmp_path / "x.gz"), np.arange(12, dtype=np.uint8).reshape(2, 2, 3))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "too short"),
        (b"\x00\x00", "too short"),
        (bytes([1, 0, 8, 1]) + struct.pack(">I", 1) + b"\x00", "bad magic number"),
        (bytes([0, 0, 0x42, 1]) + struct.pack(">I", 1) + b"\x00", "bad magic number"),
        (bytes([0, 0, 8, 0]), "zero dimensions"),
        (bytes([0, 0, 8, 3]) + struct.pack(">I", 5), "header ends early"),
        (bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + bytes(9), "the file holds 17 bytes"),
        (bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + bytes(5), "values (10 bytes in all)"),
        (bytes([0, 0, 8, 2]) + struct.pack(">2I", 60000, 784) + bytes(100), "60000×784"),
        (b"\x1f\x8b\x08\x00garbage", "broken gzip"),
    ],
)
def test_malformed_files_give_clear_errors(tmp_path, data, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(IdxError) as info:
        read_idx(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(IdxError, match="no such file"):
        read_idx(tmp_path / "none.gz")
    with pytest.raises(IdxError, match="is a folder"):
        read_idx(tmp_path)
