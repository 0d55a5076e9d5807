"""Hostile datasets (issue 13, class 3): IDX headers, gzip bombs, bad pixels and labels, empty splits, CSV
over the csv module's limits or float32's range, and typed functions that overflow. Each is refused by name,
before anything large is inflated or allocated, and without a warning on the terminal."""

from __future__ import annotations

import gzip
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest

from nnstudio.data.dataset import DatasetError
from nnstudio.data.idx import IdxError, read_idx, write_idx
from nnstudio.data.image_sets import FILE_NAMES, load_image_set
from nnstudio.data.tabular import from_function, load_csv

MiB = 2**20



def _idx_header(code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def test_dimensions_whose_product_wraps_int64_are_refused_by_the_budget(tmp_path, peak_memory):
    # 2^32−1 four times is 3.4e38 values: np.prod in int64 wraps it to a small number
    path = tmp_path / "wrap.idx"
    path.write_bytes(_idx_header(0x08, (2**32 - 1,) * 4) + b"\0" * 16)
    outcome, peak = peak_memory(lambda: read_idx(path))
    assert isinstance(outcome, IdxError)
    assert "the header claims 4294967295×4294967295×4294967295×4294967295 values" in str(outcome)
    assert "an IDX file may hold at most 1 GiB" in str(outcome)
    assert peak < MiB


def test_an_empty_dimension_beside_a_huge_one_is_refused_by_name(tmp_path):
    """0 × 4294967295 holds nothing, but numpy refuses to even shape it ("array is too big"): found by
    the fuzz tests under a newer hypothesis."""
    path = tmp_path / "empty.idx"
    path.write_bytes(_idx_header(0x08, (0, 2**32 - 1)))
    with pytest.raises(IdxError, match="the header claims 0×4294967295 values; a dimension of 4,294,967,295 is more "
                                       "than an IDX file of at most 1 GiB can hold"):
        read_idx(path)


def test_a_header_declaring_more_than_the_file_holds_is_refused_before_allocating(tmp_path, peak_memory):
    path = tmp_path / "short.idx"
    path.write_bytes(_idx_header(0x08, (60000, 28, 28)) + b"\0" * 100)
    outcome, peak = peak_memory(lambda: read_idx(path))
    assert str(outcome) == (f"{path}: the header says 60000×28×28 values (47040016 bytes in all) but the file holds "
                            "116 bytes")
    assert peak < MiB
    gz = tmp_path / "short.idx.gz"
    gz.write_bytes(gzip.compress(_idx_header(0x08, (60000, 28, 28)) + b"\0" * 100))
    outcome, peak = peak_memory(lambda: read_idx(gz))
    assert "but the file holds only 116 bytes" in str(outcome)


def test_a_gzip_member_inflating_far_past_its_header_is_never_inflated_whole(tmp_path, peak_memory):
    """10 images declared, 256 MiB of zeros behind them (0.25 MB stored): refused after reading 10 images."""
    path = tmp_path / "bomb-images.gz"
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    parts = [compressor.compress(_idx_header(0x08, (10, 28, 28)))]
    block = b"\0" * (16 * MiB)
    parts += [compressor.compress(block) for _ in range(16)]
    parts.append(compressor.flush())
    path.write_bytes(b"".join(parts))
    assert path.stat().st_size < MiB
    outcome, peak = peak_memory(lambda: read_idx(path))
    assert "but the file holds more bytes" in str(outcome)
    assert peak < 4 * MiB


def test_broken_gzip_is_refused_by_name(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(_idx_header(0x08, (2, 2)) + b"\1\2\3\4")[:-6])
    with pytest.raises(IdxError, match="broken gzip data"):
        read_idx(path)


def _image_set(folder: Path, train_images, train_labels, test_images, test_labels) -> Path:
    folder.mkdir(exist_ok=True)
    for role, array in (("train_images", train_images), ("train_labels", train_labels),
                        ("test_images", test_images), ("test_labels", test_labels)):
        write_idx(folder / FILE_NAMES[role], array)
    return folder


def _good(n: int = 4):
    images = np.zeros((n, 2, 2), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    return images, labels


@pytest.mark.parametrize("change, message", [
    (lambda ti, tl: (ti.astype(">f4") * np.float32(np.nan), tl), "train images hold NaN, infinite or out-of-range"),
    (lambda ti, tl: (np.full(ti.shape, np.inf, ">f8"), tl), "train images hold NaN, infinite or out-of-range"),
    (lambda ti, tl: (np.full(ti.shape, 1e300, ">f8"), tl), "train images hold NaN, infinite or out-of-range"),
    (lambda ti, tl: (ti, np.full(tl.shape, np.nan, ">f4")), "train labels are float32 values; labels must be whole"),
    (lambda ti, tl: (ti, tl.astype(">f8")), "train labels are float64 values; labels must be whole numbers"),
    (lambda ti, tl: (ti, tl.astype(">i4") - 3), "train labels outside 0…9 (found -3…0)"),
    (lambda ti, tl: (ti[:0], tl[:0]), "train split holds no images"),
])
def test_bad_pixels_labels_and_empty_splits_are_refused_by_name(tmp_path, change, message):
    images, labels = _good()
    bad_images, bad_labels = change(images, labels)
    folder = _image_set(tmp_path / "set", bad_images, bad_labels, *_good())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way to the message
        with pytest.raises(DatasetError) as info:
            load_image_set("mnist", folder, allow_download=False)
    assert message in str(info.value), str(info.value)


def test_an_empty_test_split_is_refused_too(tmp_path):
    images, labels = _good()
    folder = _image_set(tmp_path / "set", images, labels, images[:0], labels[:0])
    with pytest.raises(DatasetError, match="test split holds no images"):
        load_image_set("mnist", folder, allow_download=False)


def test_images_wider_than_a_network_input_are_refused(tmp_path):
    folder = _image_set(tmp_path / "set", np.zeros((2, 65, 65), np.uint8), np.zeros(2, np.uint8), *_good())
    with pytest.raises(DatasetError, match=r"images \(65×65\): 4,225 inputs per sample; a network takes 1 to 4,096"):
        load_image_set("mnist", folder, allow_download=False)


# ----------------------------------------------------------------------------- CSV and functions


def test_a_field_over_the_csv_modules_limit_is_refused_by_name(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("a,y\n" + "1" * 200_000 + ",1\n")
    with pytest.raises(DatasetError, match=r"wide.csv: not readable as CSV \(field larger than field limit"):
        load_csv(path)


def test_a_nul_byte_in_csv_is_refused_by_name(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"a,y\n1\0,2\n")
    with pytest.raises(DatasetError) as info:
        load_csv(path)
    assert "nul.csv" in str(info.value)


def test_1e39_in_a_csv_column_is_refused_naming_the_cell_without_warnings(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("a,b,y\n1,2,3\n4,1e39,6\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DatasetError, match=r"big.csv: line 3, column 'b': 1e\+39 does not fit in float32"):
            load_csv(path)
    path.write_text("a,y\n1,3\n4,-1e39\n")
    with pytest.raises(DatasetError, match=r"line 3, target column 'y': -1e\+39 does not fit in float32"):
        load_csv(path)


def test_csv_from_a_device_or_fifo_is_refused_at_once(tmp_path):
    with pytest.raises(DatasetError, match="/dev/zero: is a device, not a CSV file"):
        load_csv("/dev/zero")


@pytest.mark.parametrize("text, message", [
    ("2^1023", "function '2^1023' is 8.99e+307, beyond float32's ±3.4e+38"),
    ("exp(100*x1)", "beyond float32's"),
    ("2" + "π" * 900, "ππ…' is not finite at"),
])
def test_a_function_overflowing_float32_is_blamed_on_the_function(text, message):
    with pytest.raises(DatasetError) as info:
        from_function(text)
    assert message in str(info.value), str(info.value)
    assert "learning rate" not in str(info.value)


def test_a_function_dataset_over_the_sample_budget_is_refused_before_sampling(peak_memory):
    outcome, peak = peak_memory(lambda: from_function("x1", n=2_000_000))
    assert "function: 2,000,000 samples; a dataset may hold at most 1,000,000" in str(outcome)
    assert peak < MiB
