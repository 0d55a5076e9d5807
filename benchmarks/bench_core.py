"""Speed of the numeric core and the file format, printed as figures (never asserted).

    python benchmarks/bench_core.py

Network 784-256-128-10 (ReLU, ReLU, softmax, cross-entropy), float64 as the
studio uses for exact stepping, and float32 for comparison.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from nnstudio.core import backward, build_network, forward
from timing import median_time  # benchmarks/timing.py, beside this script
from nnstudio.core.project import Project
from nnstudio.io import load_project, save_project


def main() -> None:
    net = build_network([784, 256, 128, 10], ["relu", "relu", "softmax"], "he", seed=0)
    project = Project(net, loss="cce", input_image=(28, 28))
    print(f"network 784-256-128-10, {net.parameter_count:,} parameters")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.nnstudio"
        save_time = median_time(lambda: save_project(project, path), 5)
        size = path.stat().st_size
        load_time = median_time(lambda: load_project(path), 5)
    print(f"save  {save_time * 1000:8.1f} ms   ({size / 2**20:.1f} MiB)")
    print(f"load  {load_time * 1000:8.1f} ms")

    rng = np.random.default_rng(0)
    for dtype in ("float64", "float32"):
        typed = net.astype(dtype)
        for batch in (1, 128):
            x = rng.random((batch, 784)).astype(dtype) if batch > 1 else rng.random(784).astype(dtype)
            labels = rng.integers(0, 10, batch)
            y = np.eye(10, dtype=dtype)[labels] if batch > 1 else np.eye(10, dtype=dtype)[labels[0]]

            def step() -> None:
                backward(typed, forward(typed, x), y, "cce")

            step()
            seconds = median_time(step, 50 if batch == 1 else 20)
            print(f"forward+backward {dtype} batch {batch:3d}: {seconds * 1e3:8.3f} ms "
                  f"({batch / seconds:,.0f} samples/s)")


if __name__ == "__main__":
    main()
