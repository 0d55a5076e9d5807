"""What the trainers of the built-in examples share: train a network from `nnstudio new` on the MNIST sample
through the real command line, round its parameters for shipping, and measure it on the sample's test digits.

Used by scripts/make_mnist_trained.py and scripts/make_lenet_example.py (run from the checkout, so this file
beside them is importable). The data is never shipped, only the weights learned from it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from nnstudio.cli import main as nnstudio
from nnstudio.core.network import Network
from nnstudio.core.project import Project
from nnstudio.core.trace import forward
from nnstudio.data.image_sets import FILE_NAMES, load_image_set
from nnstudio.io.network_file import load_project, save_project

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "mnist-sample"


def significant(values: np.ndarray, digits: int = 4, floor: float = 0.0) -> np.ndarray:
    """Each value rounded to `digits` significant digits, as the shortest decimal that says it (so the file
    writes 0.01234, not 0.012339999999999999), and one under `floor` as 0. Rounding a typical weight (0.01 to
    0.3) to 4 digits moves it by less than training's last steps did."""
    flat = [0.0 if abs(v) < floor else float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float).ravel()]
    return np.array(flat).reshape(np.shape(values))


def rounded(network: Network, floor: float = 0.0) -> Network:
    """Every weight matrix, kernel and bias rounded (`significant`); pooling layers hold none and stay."""
    for index, layer in enumerate(network.layers):
        main, bias = layer.parameters()
        if main is not None:
            network = network.with_layer(index, layer.with_parameters(
                significant(main, floor=floor), None if bias is None else significant(bias, floor=floor)))
    return network


def test_accuracy(network: Network, data_dir: Path) -> float:
    """The share of the sample's test digits the network answers right (its largest output)."""
    _, test = load_image_set("mnist", data_dir, allow_download=False, dtype="float64")
    answers = forward(network, test.x).output.argmax(axis=1)
    return float(np.mean(answers == test.y))


def train_on_sample(start: list[str], recipe: list[str], data_dir: Path) -> Project:
    """`nnstudio new *start`, then `nnstudio train … *recipe` on the sample in `data_dir`: the trained project."""
    missing = [name for name in FILE_NAMES.values() if not (data_dir / name).is_file()]
    if missing:  # else `nnstudio train` would look elsewhere, or download the full set, and train on another set
        raise SystemExit(f"{data_dir} does not hold the MNIST sample's files: {', '.join(missing)} missing")
    with tempfile.TemporaryDirectory() as folder:
        first, trained = Path(folder) / "start.nnstudio", Path(folder) / "trained.nnstudio"
        if nnstudio([*start, "--out", str(first)]) != 0:
            raise SystemExit("nnstudio new failed")
        if nnstudio(["train", str(first), *recipe, "--data-dir", str(data_dir), "--out", str(trained)]) != 0:
            raise SystemExit("nnstudio train failed")
        return load_project(trained)


def save_example(example: Project, out: Path, accuracy: float) -> None:
    save_project(example, out)
    print(f"saved {out}: test accuracy {accuracy:.1%} on the sample's 1,000 test digits, "
          f"{out.stat().st_size / 1000:.0f} KB")


def command_line(doc: str, out: Path, argv: list[str] | None = None) -> argparse.Namespace:
    """--data-dir (the sample's folder, beside the checkout by default) and --out (`out` by default), with the
    first paragraph of the script's docstring as its description."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=SHARED, help="folder holding the MNIST sample's IDX files")
    parser.add_argument("--out", type=Path, default=out)
    return parser.parse_args(argv)
