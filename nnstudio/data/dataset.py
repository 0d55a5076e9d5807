"""A dataset in memory, its train/test/validation split, and input normalisation.

x is (n, features) float32, or float64 when loaded for a float64 run (so such a
run reads its data unrounded; see data/named.py); y is (n,) class indices for
classification or (n, outputs) floats for regression. Normalisation statistics are kept so they
can be saved with a network and applied again to new data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from nnstudio.core.errors import NNStudioError
from nnstudio.core.normalisation import normalised, rounded


class DatasetError(NNStudioError, ValueError):
    """A dataset that cannot be loaded or used; the message says what and where."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Inputs and targets. `classes` names the classes (None for regression)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...] | None = None
    image: tuple[int, int] | None = None
    feature_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.x.ndim != 2:
            raise DatasetError(f"{self.name}: inputs must be a table (samples × features), got shape {self.x.shape}")
        if len(self.y) != len(self.x):
            raise DatasetError(f"{self.name}: {len(self.x)} inputs but {len(self.y)} targets")
        if self.classes is not None and self.y.ndim != 1:
            raise DatasetError(f"{self.name}: class targets must be one index per sample")

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.x.shape[1])

    @property
    def n_outputs(self) -> int:
        """Network outputs needed: one per class, or the target width for regression."""
        if self.classes is not None:
            return len(self.classes)
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])

    @property
    def is_classification(self) -> bool:
        return self.classes is not None

    def subset(self, indices: np.ndarray, name: str | None = None) -> "Dataset":
        return Dataset(name or self.name, self.x[indices], self.y[indices], self.classes, self.image,
                       self.feature_names)

    def targets(self, dtype: np.dtype | type = np.float32, outputs: int | None = None) -> np.ndarray:
        """Dense targets: one-hot rows for classes (a 0/1 column for two classes and one
        output, as with a single sigmoid), the values (as a column if 1-D) for regression."""
        if self.classes is not None and outputs == 1 and len(self.classes) == 2:
            return self.y.astype(dtype)[:, None]
        if self.classes is not None:
            out = np.zeros((len(self), len(self.classes)), dtype=dtype)
            out[np.arange(len(self)), self.y.astype(np.intp)] = 1
            return out
        y = self.y.astype(dtype)
        return y[:, None] if y.ndim == 1 else y


@dataclass(frozen=True, eq=False)
class DataSplit:
    train: Dataset
    test: Dataset
    validation: Dataset | None = None


def held_out_count(samples: int, test_fraction: float) -> int:
    """How many of `samples` `split` holds out for testing at `test_fraction` (at least one)."""
    return max(1, int(round(samples * test_fraction)))


def split(dataset: Dataset, test_fraction: float = 0.2, validation_fraction: float = 0.0, seed: int = 0) -> DataSplit:
    """Shuffle (seeded) and cut into train, test and optional validation parts."""
    if not 0 < test_fraction < 1 or not 0 <= validation_fraction < 1 or test_fraction + validation_fraction >= 1:
        raise DatasetError(f"split fractions must leave some training data: test {test_fraction}, "
                           f"validation {validation_fraction}")
    n = len(dataset)
    order = np.random.default_rng(seed).permutation(n)
    n_test = held_out_count(n, test_fraction)
    n_val = int(round(n * validation_fraction))
    if n - n_test - n_val < 1:
        raise DatasetError(f"{dataset.name}: {n} samples are too few to split")
    test = dataset.subset(order[:n_test], f"{dataset.name} (test)")
    val = dataset.subset(order[n_test:n_test + n_val], f"{dataset.name} (validation)") if n_val else None
    train = dataset.subset(order[n_test + n_val:], f"{dataset.name} (train)")
    return DataSplit(train, test, val)


NORMALISATIONS = ("none", "minmax", "standard")


@dataclass(frozen=True, eq=False)
class Normalisation:
    """x ↦ (x − offset) / scale per feature: `minmax` to [0, 1], `standard` to mean 0 and variance 1."""

    kind: str = "none"
    offset: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))

    @staticmethod
    def fit(x: np.ndarray, kind: str) -> "Normalisation":
        """Statistics from training inputs; a constant feature keeps scale 1 (never a division by 0)."""
        if kind not in NORMALISATIONS:
            raise DatasetError(f"unknown normalisation {kind!r}; expected one of {', '.join(NORMALISATIONS)}")
        if kind == "none":  # before the float64 copy below: raw inputs need no statistics
            return Normalisation()
        x = np.asarray(x, dtype=np.float64)
        if kind == "minmax":
            offset, span = x.min(axis=0), x.max(axis=0) - x.min(axis=0)
        else:
            offset, span = x.mean(axis=0), x.std(axis=0)
        return Normalisation(kind, offset, np.where(span > 0, span, 1.0))

    def apply(self, x: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return x
        if x.shape[-1] != self.offset.shape[0]:
            raise DatasetError(f"normalisation is for {self.offset.shape[0]} features, data has {x.shape[-1]}")
        return ((x - self.offset) / self.scale).astype(x.dtype, copy=False)

    def project_field(self) -> dict | None:
        """The value of `Project.normalisation` that saves these statistics (None for "none")."""
        return None if self.kind == "none" else {"kind": self.kind, "offset": self.offset, "scale": self.scale}

    @staticmethod
    def from_project_field(field: dict | None) -> "Normalisation":
        """The statistics a saved network carries (or none)."""
        if field is None:
            return Normalisation()
        return Normalisation(field["kind"], np.asarray(field["offset"]), np.asarray(field["scale"]))

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The raw input that normalises to `x` (x·scale + offset, in float64): a normalised test image
        given back to the window as an input, which the network normalises again."""
        x = np.asarray(x, dtype=np.float64)
        return x if self.kind == "none" else x * self.scale + self.offset

    def rounded(self, dtype: np.dtype | str) -> tuple[np.ndarray, np.ndarray]:
        """Offset and scale in `dtype`, as an exported model stores them (see core/normalisation.py);
        refused when that precision cannot hold them."""
        try:
            return rounded(self.offset, self.scale, dtype)
        except NNStudioError as error:
            raise DatasetError(str(error)) from None

    def apply_in(self, x: np.ndarray, dtype: np.dtype | str) -> np.ndarray:
        """The network's input for raw `x`: (x − offset) / scale computed in `dtype` from the rounded offset
        and scale — exactly what the window, `nnstudio eval` and every export compute before the first
        layer (core/normalisation.py); `apply` (float64, then rounded) differs in the last bit, which a
        small scale magnifies."""
        if self.kind == "none":
            return np.asarray(x).astype(dtype, copy=False)
        try:
            return normalised(x, self.offset, self.scale, dtype)
        except NNStudioError as error:
            raise DatasetError(str(error)) from None


def normalise_split(data: DataSplit, kind: str) -> tuple[DataSplit, Normalisation]:
    """Fit `kind` on the training inputs and apply it to train and test, keeping their precision:
    float64 inputs (data loaded for a float64 run) stay float64, anything else becomes float32.
    Inputs already so (and left as they are, "none") are shared, not copied: datasets are never
    changed in place, and a copy of MNIST's training images is 188 MB in float32, 376 MB in float64."""
    norm = Normalisation.fit(data.train.x, kind)

    def apply(part: Dataset) -> Dataset:
        kept = np.float64 if part.x.dtype == np.float64 else np.float32
        return replace(part, x=norm.apply(part.x).astype(kept, copy=False))

    return DataSplit(apply(data.train), apply(data.test)), norm
