"""A dataset by the name a person types: mnist, fashion-mnist, a toy set, a CSV path, or a function.

    mnist | fashion-mnist             the IDX files (found locally or downloaded)
    xor | product | circles | spirals | clusters | quadratic    seeded toy sets
    PATH.csv                          a CSV file: last column is the target
    function:sin(x1)+x2^2             a typed function sampled on [−1, 1]²

Toy sets, CSV files and functions are split into train and test with the seed,
so `nnstudio eval` sees the same test split that `nnstudio train` held out.

`dtype` is the precision of the run the data is for: a float64 run reads pixels (k/255), CSV values
and a function's values in float64, never float32's rounding of them; a float32 run holds float32
only. The toy sets are float32 data whatever the run (the same points for either precision).
"""

from __future__ import annotations

import os

from nnstudio.core.project import FUNCTION_PREFIX
from nnstudio.data.dataset import DataSplit, DatasetError, split
from nnstudio.data.download import Progress
from nnstudio.data.image_sets import IMAGE_SETS, load_image_set
from nnstudio.data.tabular import from_function, load_csv
from nnstudio.data.toy import TOY_SETS, toy


def dataset_names() -> list[str]:
    return list(IMAGE_SETS) + list(TOY_SETS) + ["PATH.csv", f"{FUNCTION_PREFIX}EXPRESSION"]


def load_named(name: str, folder: str | os.PathLike[str] | None = None, seed: int = 0, test_fraction: float = 0.25,
               progress: Progress | None = None, allow_download: bool = True, dtype: str = "float32") -> DataSplit:
    """Train and test data for `name` (see the module docstring)."""
    if name in IMAGE_SETS:
        train_set, test_set = load_image_set(name, folder, allow_download, progress, dtype=dtype)
        return DataSplit(train_set, test_set)
    if name in TOY_SETS:
        data = toy(name, seed)
        if name == "xor":  # four points: train and test on all of them
            return DataSplit(data, data)
        return split(data, test_fraction, seed=seed)
    if name.startswith(FUNCTION_PREFIX):
        return split(from_function(name[len(FUNCTION_PREFIX):], seed=seed, dtype=dtype), test_fraction, seed=seed)
    if name.lower().endswith(".csv") or os.path.exists(name):
        return split(load_csv(name, dtype=dtype), test_fraction, seed=seed)
    raise DatasetError(f"unknown dataset {name!r}; use one of: {', '.join(dataset_names())}")
