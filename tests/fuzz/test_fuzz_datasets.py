"""IDX files and CSV text, mutated from valid ones: each reads into finite float32 data the network can take,
or is refused with the dataset's own error naming the file — never another exception, never a warning on the
terminal, never an allocation past the file's own size."""

from __future__ import annotations

import gzip
import struct
import warnings

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nnstudio.data.dataset import DatasetError
from nnstudio.data.idx import TYPES, IdxError, read_idx
from nnstudio.data.image_sets import FILE_NAMES, load_image_set
from nnstudio.data.tabular import load_csv

from .conftest import MiB, bounded, count, examples

# The IDX type byte and the big-endian type it stands for, written out from the format's description.
IDX_TYPE_CODES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
DIMENSION = st.one_of(st.integers(0, 6), st.sampled_from([28, 60000, 2**16, 2**31, 2**32 - 1]))


def _idx(array: np.ndarray, code: int) -> bytes:
    return bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(TYPES[code]).tobytes()


@st.composite
def idx_files(draw: st.DrawFn) -> bytes:
    """A header (often valid, sometimes not) and a payload that may or may not match it; maybe gzip."""
    if draw(st.booleans()):  # a well-formed file: exact payload, values that may be NaN or out of range
        code = draw(st.sampled_from(sorted(TYPES)))
        shape = tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=3)))
        values = draw(st.lists(st.floats(width=64), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
        with np.errstate(all="ignore"):
            data = _idx(np.array(values, dtype=np.float64).reshape(shape), code)
        return gzip.compress(data, mtime=0) if draw(st.booleans()) else data
    code = draw(st.one_of(st.sampled_from(sorted(TYPES)), st.integers(0, 255)))
    dims = draw(st.lists(DIMENSION, min_size=0, max_size=4))
    ndim = draw(st.one_of(st.just(len(dims)), st.integers(0, 255)))
    magic = draw(st.sampled_from([b"\0\0", b"\0\0", b"\0\0", b"\1\0", b"\x1f\x8b"]))
    header = magic + bytes([code, ndim]) + b"".join(struct.pack(">I", d) for d in dims)
    itemsize = TYPES[code].itemsize if code in TYPES else 1
    declared = int(np.prod(dims, dtype=object)) * itemsize if dims else 0
    size = declared if declared <= 4096 and draw(st.booleans()) else draw(st.integers(0, 4096))
    payload = draw(st.binary(min_size=size, max_size=size))
    if draw(st.booleans()) and code in TYPES and declared <= 4096:  # real values, including NaN and inf
        values = draw(st.lists(st.floats(width=64), min_size=declared // itemsize, max_size=declared // itemsize))
        with np.errstate(all="ignore"):
            payload = np.array(values, dtype=np.float64).astype(TYPES[code]).tobytes()
    data = header + payload
    cut = draw(st.sampled_from(["none", "none", "cut"]))
    if cut == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()):
        data = gzip.compress(data, mtime=0)
        if draw(st.integers(0, 4)) == 0:
            data = data[: draw(st.integers(0, len(data)))]
    return data


@examples(300)
@given(idx_files())
def test_an_idx_file_reads_exactly_what_it_declares_or_is_refused(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz.idx"
    path.write_bytes(data)
    with warnings.catch_warnings(), bounded("IDX files", 2 * MiB):
        warnings.simplefilter("error")
        try:
            array = read_idx(path)
        except IdxError as error:
            assert str(error).startswith(str(path)) and len(str(error)) < 400, str(error)
            count("IDX files", "refused by name")
            return
    assert array.nbytes <= 4096
    # What it declares, decoded here by the format's own rules: that shape, that type, those values, and
    # not one byte more or fewer in the file.
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    assert raw[:2] == b"\0\0"
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    declared = np.dtype(IDX_TYPE_CODES[raw[2]])
    assert len(raw) == 4 + 4 * ndim + int(np.prod(dims, dtype=object)) * declared.itemsize
    expected = np.frombuffer(raw, dtype=declared, offset=4 + 4 * ndim).reshape(dims)
    assert array.shape == dims and array.dtype == declared.newbyteorder("=")
    np.testing.assert_array_equal(array, expected)
    count("IDX files", "read")


@st.composite
def image_splits(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """Images (n × h × w) and labels (n) of any IDX type, with values that may be NaN, ±inf, negative or ≥ 10."""
    n = draw(st.integers(0, 5))
    n_labels = n if draw(st.integers(0, 5)) else draw(st.integers(0, 6))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    image_code, label_code = draw(st.sampled_from(sorted(TYPES))), draw(st.sampled_from(sorted(TYPES)))
    pixels = draw(st.lists(st.one_of(st.integers(0, 255), st.floats(width=64)), min_size=n * h * w,
                           max_size=n * h * w))
    labels = draw(st.lists(st.one_of(st.integers(0, 9), st.integers(0, 9), st.integers(-3, 300),
                                     st.floats(width=64)), min_size=n_labels, max_size=n_labels))
    with np.errstate(all="ignore"):
        images = _idx(np.array(pixels, dtype=np.float64).reshape(n, h, w), image_code)
        label_bytes = _idx(np.array(labels, dtype=np.float64), label_code)
    if draw(st.integers(0, 5)) == 0:
        images = draw(idx_files())
    return images, label_bytes


@examples(150)
@given(image_splits(), image_splits())
def test_an_image_set_of_fuzzed_files_is_finite_data_or_a_dataset_error(tmp_path_factory, train, test):
    folder = tmp_path_factory.getbasetemp() / "set"
    folder.mkdir(exist_ok=True)
    for role, data in (("train_images", train[0]), ("train_labels", train[1]), ("test_images", test[0]),
                       ("test_labels", test[1])):
        (folder / FILE_NAMES[role]).write_bytes(gzip.compress(data, mtime=0) if data[:2] != b"\x1f\x8b" else data)
    with warnings.catch_warnings(), bounded("image sets", 4 * MiB):
        warnings.simplefilter("error")
        try:
            train, test = load_image_set("mnist", folder, allow_download=False)
        except DatasetError as error:  # IdxError is one
            assert str(folder) in str(error) and len(str(error)) < 400, str(error)
            count("image sets", "refused by name")
            return
    for split in (train, test):
        assert len(split) >= 1 and split.x.dtype == np.float32 and np.all(np.isfinite(split.x))
        assert split.y.dtype == np.int64 and split.y.min() >= 0 and split.y.max() <= 9
    count("image sets", "read")


CELL = st.one_of(st.sampled_from(["1", "0", "-2.5", "1e39", "-1e39", "1e308", "nan", "inf", "-inf", "", " ", "a",
                                  "cat", '"1,2"', '"', "1e-320", "0x10", "１", "\u0000", "9" * 400]),
                 st.floats(width=32, allow_nan=False).map(repr), st.text(max_size=6))


NUMERIC = st.one_of(st.integers(-9, 9).map(str), st.floats(width=32, allow_nan=False, allow_infinity=False).map(repr),
                    st.sampled_from(["1e39", "-3.5e38", "1e-320", " 2 ", "+1", ".5"]))


@st.composite
def csv_texts(draw: st.DrawFn) -> str:
    columns = draw(st.integers(1, 5))
    rows = [",".join(draw(st.sampled_from(["a", "b", "c", "y", "x1", ""])) for _ in range(columns))]
    cells = CELL if draw(st.booleans()) else NUMERIC  # half the files hold numbers only, some of them extreme
    ragged = draw(st.sampled_from([False] * 9 + [True]))
    for _ in range(draw(st.integers(0, 8))):
        width = draw(st.integers(0, 7)) if ragged else columns
        rows.append(",".join(draw(cells) for _ in range(width)))
    text = "\n".join(rows)
    if draw(st.sampled_from([False] * 19 + [True])):
        text = text + "," + "7" * 140_000  # a field over the csv module's limit
    return text


@examples(300)
@given(csv_texts())
def test_csv_text_reads_into_finite_float32_data_or_is_refused(tmp_path_factory, text):
    path = tmp_path_factory.getbasetemp() / "fuzz.csv"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with warnings.catch_warnings(), bounded("CSV files", 8 * MiB):
        warnings.simplefilter("error")
        try:
            data = load_csv(path)
        except DatasetError as error:
            assert str(error).startswith(str(path)) and len(str(error)) < 600, str(error)
            count("CSV files", "refused by name")
            return
    assert data.x.dtype == np.float32 and np.all(np.isfinite(data.x)) and len(data) >= 1
    assert data.classes is not None or np.all(np.isfinite(data.y))
    count("CSV files", "read")
