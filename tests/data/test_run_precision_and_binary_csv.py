"""Data at the run's precision (a float64 run reads k/255 in float64), and a CSV of 0/1 targets as two classes."""

import numpy as np
import pytest

from nnstudio.data import write_idx
from nnstudio.data.dataset import normalise_split
from nnstudio.data.named import load_named
from nnstudio.data.tabular import load_csv

EVERY_SHADE = np.arange(256, dtype=np.uint8).reshape(16, 4, 4)  # 16 images of 4×4: every pixel value once


def write_image_set(folder, images=EVERY_SHADE, labels=None):
    labels = np.arange(len(images), dtype=np.uint8) % 10 if labels is None else labels
    for prefix in ("train", "t10k"):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)


def test_a_float64_load_gives_k_over_255_in_float64_and_a_float32_load_float32_only(tmp_path):
    write_image_set(tmp_path)
    k = np.arange(256).reshape(16, 16)
    exact = np.array([[int(v) / 255 for v in row] for row in k])  # Python's division: k/255 rounded once, to float64
    wide = load_named("mnist", tmp_path, dtype="float64")
    assert wide.train.x.dtype == np.float64 and wide.test.x.dtype == np.float64
    np.testing.assert_array_equal(wide.train.x, exact)
    rounded = np.float32(exact).astype(np.float64)  # what float64 training read before: float32's k/255
    assert np.count_nonzero(rounded != exact) > 200  # so the equality above tells the two apart

    narrow = load_named("mnist", tmp_path)
    assert narrow.train.x.dtype == np.float32  # a float32 run holds no float64 copy
    np.testing.assert_array_equal(narrow.train.x, np.float32(exact))


def test_normalising_keeps_the_precision_and_raw_inputs_are_not_copied(tmp_path):
    write_image_set(tmp_path)
    for dtype in ("float32", "float64"):
        data = load_named("mnist", tmp_path, dtype=dtype)
        raw, _ = normalise_split(data, "none")
        assert raw.train.x.dtype == dtype and np.shares_memory(raw.train.x, data.train.x)
        standard, _ = normalise_split(data, "standard")
        assert standard.train.x.dtype == dtype and standard.test.x.dtype == dtype
    x = data.train.x  # float64: the standardised values computed in float64 from k/255
    expected = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    np.testing.assert_allclose(standard.train.x, expected, rtol=1e-13, atol=1e-13)


def test_a_float64_run_reads_csv_values_as_written(tmp_path):
    path = tmp_path / "tenths.csv"
    path.write_text("a,y\n0.1,0.3\n0.7,1.9\n0.2,0.5\n0.9,2.5\n")
    wide = load_csv(path, dtype="float64")
    np.testing.assert_array_equal(wide.x[:, 0], [0.1, 0.7, 0.2, 0.9])
    np.testing.assert_array_equal(wide.y, [0.3, 1.9, 0.5, 2.5])
    assert load_csv(path).x.dtype == np.float32


def write_csv(tmp_path, targets, name="labels.csv"):
    rows = "".join(f"{i / 10},{(i * 7) % 5},{t}\n" for i, t in enumerate(targets))
    path = tmp_path / name
    path.write_text("x1,x2,label\n" + rows)
    return path


@pytest.mark.parametrize("targets", [["0", "1", "1", "0", "1"], ["0.0", "1.0", "1", "0", "0"], ["1", "1", "1"]])
def test_a_csv_target_of_only_zeros_and_ones_is_two_classes(tmp_path, targets):
    data = load_csv(write_csv(tmp_path, targets))
    assert data.classes == ("0", "1") and data.is_classification
    np.testing.assert_array_equal(data.y, [int(float(t)) for t in targets])
    column = data.targets(np.float32, outputs=1)  # a one-sigmoid network trains on the 0/1 column, as before
    np.testing.assert_array_equal(column[:, 0], [float(t) for t in targets])


@pytest.mark.parametrize("targets", [["0", "1", "0.5"], ["0", "2", "1"], ["-1", "1", "1"]])
def test_other_numeric_targets_stay_a_regression(tmp_path, targets):
    data = load_csv(write_csv(tmp_path, targets))
    assert data.classes is None
    np.testing.assert_array_equal(data.y, np.float32([float(t) for t in targets]))


def test_a_zero_one_target_can_still_be_read_as_numbers(tmp_path):
    data = load_csv(write_csv(tmp_path, ["0", "1", "1"]), classification=False)
    assert data.classes is None and data.y.dtype == np.float32
