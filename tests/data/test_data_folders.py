"""Where MNIST and Fashion-MNIST are found: a data folder may hold the four IDX files itself or keep them
in a folder named after the set, whether it is named by $NNSTUDIO_DATA, --data-dir or the Training panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnstudio.data.dataset import DatasetError
from nnstudio.data.idx import read_idx, write_idx
from nnstudio.data.image_sets import FASHION_MNIST, FILE_NAMES, MNIST
from nnstudio.data.named import load_named

TRAIN, TEST = 60, 1000


def labels_of(count: int, offset: int) -> np.ndarray:
    return ((np.arange(count) * 7 + offset) % 10).astype(np.uint8)


def write_set(folder: Path, offset: int = 0, gz: bool = True) -> Path:
    """The four files of a small MNIST-like set: image i is blank but for its top-left pixel, 20 × its
    label (+ offset, so two sets can be told apart), so the test can check images and labels stay paired."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, count in (("train", TRAIN), ("test", TEST)):
        labels = labels_of(count, offset)
        images = np.zeros((count, 28, 28), np.uint8)
        images[:, 0, 0] = labels * 20 + offset
        for role, array in ((f"{split}_images", images), (f"{split}_labels", labels)):
            name = FILE_NAMES[role] if gz else FILE_NAMES[role][:-3]
            write_idx(folder / name, array)
    return folder


@pytest.fixture
def no_cache(tmp_path, monkeypatch):
    """The user's cache and $NNSTUDIO_DATA out of the way: only the folders a test makes are found."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NNSTUDIO_DATA", raising=False)


def assert_is_set(split_data, offset: int, classes: tuple[str, ...]) -> None:
    test = split_data.test
    assert len(test) == TEST and len(split_data.train) == TRAIN
    expected = labels_of(TEST, offset)
    np.testing.assert_array_equal(test.y, expected)
    np.testing.assert_allclose(test.x[:, 0], (expected * 20 + offset) / 255.0, rtol=1e-6)  # paired with its image
    assert test.image == (28, 28) and tuple(test.classes) == classes


@pytest.mark.parametrize("gz", [True, False])
def test_nnstudio_data_pointing_straight_at_the_idx_files_is_the_set_asked_for(tmp_path, monkeypatch, no_cache, gz):
    bare = write_set(tmp_path / "idx files", gz=gz)
    monkeypatch.setenv("NNSTUDIO_DATA", str(bare))
    assert_is_set(load_named("mnist", allow_download=False), 0, MNIST.classes)
    # the files of both sets have the same names: the folder is the set the panel names
    assert_is_set(load_named("fashion-mnist", allow_download=False), 0, FASHION_MNIST.classes)


def test_nnstudio_datas_subfolder_named_after_the_set_comes_first(tmp_path, monkeypatch, no_cache):
    root = write_set(tmp_path / "data", offset=1)
    write_set(root / "mnist", offset=3)
    monkeypatch.setenv("NNSTUDIO_DATA", str(root))
    assert_is_set(load_named("mnist", allow_download=False), 3, MNIST.classes)
    assert_is_set(load_named("fashion-mnist", allow_download=False), 1, FASHION_MNIST.classes)


def test_a_chosen_folder_may_hold_the_files_or_their_sets_folder(tmp_path, no_cache):
    bare = write_set(tmp_path / "bare", offset=2)
    assert_is_set(load_named("mnist", str(bare), allow_download=False), 2, MNIST.classes)
    parent = tmp_path / "parent"
    write_set(parent / "fashion-mnist", offset=4)
    assert_is_set(load_named("fashion-mnist", str(parent), allow_download=False), 4, FASHION_MNIST.classes)


def test_a_chosen_folder_without_the_files_is_refused_by_name_not_replaced(tmp_path, monkeypatch, no_cache):
    monkeypatch.setenv("NNSTUDIO_DATA", str(write_set(tmp_path / "elsewhere")))  # another copy that must not be used
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / FILE_NAMES["train_images"]).write_bytes(b"")
    with pytest.raises(DatasetError) as info:
        load_named("mnist", str(empty), allow_download=False)
    message = str(info.value)
    assert message.startswith(f"{empty}: missing ") and "mnist/ folder" in message
    assert FILE_NAMES["test_labels"] in message and FILE_NAMES["train_images"] not in message
    with pytest.raises(DatasetError, match="no such folder"):
        load_named("mnist", str(tmp_path / "nowhere"), allow_download=False)


def test_the_mnist_sample_as_a_bare_nnstudio_data_folder(shared_mnist, tmp_path, monkeypatch, no_cache):
    bare = tmp_path / "idx"
    bare.mkdir()
    for name in FILE_NAMES.values():  # the real gzip files, no mnist/ subfolder
        (bare / name).symlink_to(shared_mnist / name)
    monkeypatch.setenv("NNSTUDIO_DATA", str(bare))
    test = load_named("mnist", allow_download=False).test
    assert len(test) == 1000 and test.x.shape == (1000, 784)
    np.testing.assert_array_equal(test.y, read_idx(shared_mnist / FILE_NAMES["test_labels"]))
    np.testing.assert_array_equal(test.x[:5].reshape(5, 28, 28) * 255,
                                  read_idx(shared_mnist / FILE_NAMES["test_images"])[:5])
