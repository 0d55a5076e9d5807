"""The shared MNIST sample beside the checkout (../shared/data/mnist-sample), when present."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist-sample"


@pytest.fixture
def shared_mnist() -> Path:
    if not (SHARED / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("the shared MNIST sample is not beside this checkout")
    return SHARED
