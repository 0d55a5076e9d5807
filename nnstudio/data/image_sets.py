"""MNIST and Fashion-MNIST: find the four IDX files, or download them safely.

Where we look, in order:
  1. a folder the person chose (--data-dir, the Training panel's Data field), or its mnist/
     (resp. fashion-mnist/) subfolder;
  2. the user cache folder (e.g. ~/.cache/nnstudio/datasets/mnist/);
  3. $NNSTUDIO_DATA/mnist/ (resp. fashion-mnist/), else $NNSTUDIO_DATA itself, when that variable is set;
  4. known system locations (Debian's dataset-fashion-mnist package);
then we download from the mirrors, verified by the published MD5 checksums.
A folder that holds the four files itself is taken as the set that was asked for: the files of
MNIST and Fashion-MNIST have the same names, so nothing else could tell them apart.
Files found locally are trusted as they are (a subset need not match the
published checksums); only what we download ourselves is verified.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from nnstudio.crash_log import cache_root
from nnstudio.data.dataset import Dataset, DatasetError
from nnstudio.data.download import DownloadError, Progress, download
from nnstudio.data.idx import read_idx
from nnstudio.core.limits import check_dataset_size

ROLES = ("train_images", "train_labels", "test_images", "test_labels")
FILE_NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class ImageSet:
    """Where a dataset's files are published and what they hold."""

    name: str
    title: str
    md5: dict[str, str]
    mirrors: tuple[str, ...]
    system_folders: tuple[str, ...]
    classes: tuple[str, ...]


MNIST = ImageSet(
    "mnist", "MNIST handwritten digits",
    {"train_images": "f68b3c2dcbeaaa9fbdd348bbdeb94873", "train_labels": "d53e105ee54ea40749a09fcbcd1e9432",
     "test_images": "9fb629c4189551a2d022fa330f9573f3", "test_labels": "ec29112dd5afa0611ce80d1b7f02629c"},
    ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    (),
    tuple(str(d) for d in range(10)),
)
# Checksums as published by Zalando Research in the Fashion-MNIST README (also shipped in
# Debian's package at /usr/share/doc/dataset-fashion-mnist/README.md.gz). Debian recompressed
# the .gz files, so its copies do not match them; local files are trusted as they are.
FASHION_MNIST = ImageSet(
    "fashion-mnist", "Fashion-MNIST clothing images",
    {"train_images": "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "train_labels": "25c81989df183df01b3e8a0aad5dffbe",
     "test_images": "bef4ecab320f06d8554ea6380940ec79", "test_labels": "bb300cfdad3c16e7a12a480ee83cd310"},
    ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    ("/usr/share/datasets/fashion-mnist",),
    ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
)
IMAGE_SETS = {s.name: s for s in (MNIST, FASHION_MNIST)}


def cache_folder() -> Path:
    """The platform's user cache folder for nnstudio's datasets."""
    return cache_root() / "datasets"


def _has_files(folder: Path) -> bool:
    return all(_file_in(folder, role) is not None for role in ROLES)


def _file_in(folder: Path, role: str) -> Path | None:
    """The file for `role` in `folder`, gzip-compressed or not."""
    name = FILE_NAMES[role]
    for candidate in (folder / name, folder / name[:-3]):
        if candidate.is_file():
            return candidate
    return None


def _data_folders(root: Path, image_set: ImageSet, own_first: bool) -> list[Path]:
    """A data folder a person names and its subfolder named after the set (mnist/, fashion-mnist/).

    People point at either: the folder the four files were unpacked into, or one that keeps each set
    in a folder of its name (the layout $NNSTUDIO_DATA documents). `own_first`: which wins if both
    hold the files."""
    pair = [root, root / image_set.name]
    return pair if own_first else pair[::-1]


def candidate_folders(image_set: ImageSet, folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """Where the set's files are looked for, in order (see the module docstring)."""
    places = []
    if folder is not None:
        places += _data_folders(Path(folder), image_set, own_first=True)
    places.append(cache_folder() / image_set.name)
    if os.environ.get("NNSTUDIO_DATA"):
        places += _data_folders(Path(os.environ["NNSTUDIO_DATA"]), image_set, own_first=False)
    places += [Path(p) for p in image_set.system_folders]
    return places


def _check_chosen(image_set: ImageSet, folder: Path) -> None:
    """A folder the person chose must hold the files (itself or in its subfolder named after the set):
    falling back on another copy, or downloading, would train on data they did not choose."""
    if any(_has_files(place) for place in _data_folders(folder, image_set, own_first=True)):
        return
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder")
    missing = [FILE_NAMES[r] for r in ROLES if _file_in(folder, r) is None]
    raise DatasetError(f"{folder}: missing {', '.join(missing)} (nor are they in its {image_set.name}/ folder)")


def locate(image_set: ImageSet, folder: str | os.PathLike[str] | None = None, allow_download: bool = True,
           progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
           mirrors: tuple[str, ...] | None = None) -> Path:
    """The folder holding the four files: found locally, else downloaded into the cache."""
    places = candidate_folders(image_set, folder)
    if folder is not None:
        _check_chosen(image_set, Path(folder))
    for place in places:
        if _has_files(place):
            return place
    target = cache_folder() / image_set.name
    hint = (f"Put the four files ({', '.join(FILE_NAMES.values())}) in {target} "
            f"or in $NNSTUDIO_DATA (or its {image_set.name}/ folder), or choose their folder.")
    if not allow_download:
        raise DatasetError(f"{image_set.title} not found. {hint}")
    try:
        for role in ROLES:
            name = FILE_NAMES[role]
            if (target / name).is_file():
                continue
            download([m + name for m in (mirrors or image_set.mirrors)], target / name, image_set.md5[role],
                     progress, cancelled=cancelled)
    except DownloadError as error:
        raise DatasetError(f"{error}. {hint}") from None
    return target


def load_image_set(name: str, folder: str | os.PathLike[str] | None = None, allow_download: bool = True,
                   progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
                   dtype: str = "float32") -> tuple[Dataset, Dataset]:
    """(train, test) of MNIST or Fashion-MNIST, pixels k/255 in [0, 1] computed in `dtype`.

    A float64 run gets k/255 in float64, not float32's rounding of it (which differs from k/255 by up
    to 3e-8); a float32 run gets float32 pixels only, so it holds no second, wider copy."""
    image_set = IMAGE_SETS[name]
    place = locate(image_set, folder, allow_download, progress, cancelled)
    parts = {}
    for role in ROLES:
        parts[role] = read_idx(_file_in(place, role))  # type: ignore[arg-type]
    out = []
    for split_name in ("train", "test"):
        images, labels = parts[f"{split_name}_images"], parts[f"{split_name}_labels"]
        out.append(_split(f"{name} ({split_name})", f"{place}: {split_name}", images, labels, image_set.classes,
                          dtype))
    return out[0], out[1]


def _split(name: str, where: str, images: np.ndarray, labels: np.ndarray, classes: tuple[str, ...],
           dtype: str = "float32") -> Dataset:
    """One split from its IDX arrays, every fault refused by name: shapes, budget, label type and range, pixels."""
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetError(f"{where} images {images.shape} and labels {labels.shape} do not match")
    if len(images) == 0:
        raise DatasetError(f"{where} split holds no images")
    h, w = images.shape[1:]
    check_dataset_size(f"{where} images ({h}×{w})", len(images), h * w, DatasetError)
    if not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"{where} labels are {labels.dtype} values; labels must be whole numbers (IDX type "
                           "0x08, 0x09, 0x0B or 0x0C)")
    if labels.min() < 0 or labels.max() >= len(classes):
        raise DatasetError(f"{where} labels outside 0…{len(classes) - 1} (found {labels.min()}…{labels.max()})")
    with np.errstate(over="ignore", invalid="ignore"):
        x = images.reshape(len(images), h * w).astype(dtype)
        x /= np.dtype(dtype).type(255.0)  # in place: one array of the run's precision, not two
    if not np.all(np.isfinite(x)):
        raise DatasetError(f"{where} images hold NaN, infinite or out-of-range pixels")
    return Dataset(name, x, labels.astype(np.int64), classes, (h, w))
