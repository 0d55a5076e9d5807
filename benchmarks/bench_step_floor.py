"""A training step's BLAS floor: the matrix products alone, against nnstudio's whole step and PyTorch's.

    python benchmarks/bench_step_floor.py [--libraries openblas mkl] [--samples 4096] [--repeats 9]

On inputs the trainer multiplies densely (Fashion-MNIST: too few rarely-used pixels to split),
every implementation of the textbook step makes the same products per layer: z = W·a_prev,
δ_{l−1} = W_lᵀ·δ_l, W −= δ·a_prevᵀ and b −= δ·1. This script times, per step, on batches already
laid out in memory (the first --samples training images, at most 4,096, so everything is warm):

- nnstudio: `FastMLP.train_columns`, the trainer's whole step;
- nnstudio's products alone: those products and nothing else, each prepared once (`blas.Product`)
  on arrays of the trainer's layout (one sample per column) — no activation, loss, output δ or bias fill;
- PyTorch's products alone: the same products in PyTorch's layout (one sample per row: addmm, mm,
  addmm_, addmv_ into buffers made once), with PyTorch's MKL;
- PyTorch by hand: `bench_train.torch_step_by_hand`, the stronger peer of bench_train.py.

"ceiling" is PyTorch's step over the faster of the two products-alone times: the most a trainer
making these products, in either layout, can lead PyTorch by per step, however little else it does.
A target above it cannot be met by removing overhead; only less arithmetic (skipping zeros, as the
trainer does on MNIST) or a faster product could. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from bench_train import LEARNING_RATE, libraries_to_time, load, torch_parameters, torch_step_by_hand  # benchmarks/bench_train.py, beside this
from nnstudio.core import OptimizerConfig, build_network
from nnstudio.training import blas
from nnstudio.training.batches import CHUNK_SAMPLES, ColumnBatches
from nnstudio.training.engine import FastMLP

CASES = (([784, 128, 10], 32), ([784, 128, 10], 128), ([784, 256, 128, 10], 32), ([784, 256, 128, 10], 128),
         ([784, 512, 512, 10], 32), ([784, 1024, 1024, 10], 32), ([784, 1024, 1024, 10], 128))


def products_alone(sizes: list[int], block: np.ndarray) -> Callable[[np.ndarray], None]:
    """One step's products, prepared once for batches laid out like `block` (inputs × B, as
    `ColumnBatches` lays it out); the returned step takes the batch, as the trainer's does."""
    rng = np.random.default_rng(0)
    batch = block.shape[1]
    weights = [rng.standard_normal((n_out, n_in), np.float32) * (2 / n_in) ** 0.5
               for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(n_out, np.float32) for n_out in sizes[1:]]
    a = [block] + [rng.random((n, batch), np.float32) for n in sizes[1:]]
    delta = [None] + [rng.standard_normal((n, batch), np.float32) * 1e-3 for n in sizes[1:]]
    ones = np.ones((batch, 1), np.float32)
    forward = [blas.Product(a[layer + 1], weights[layer], a[layer]) for layer in range(len(weights))]
    backward = []  # from the last layer down: signal back (not into the data), W's update, b's update
    for layer in range(len(weights) - 1, -1, -1):
        if layer > 0:
            backward.append(blas.Product(delta[layer], weights[layer].T, delta[layer + 1]))
        backward.append(blas.Product(weights[layer], delta[layer + 1], a[layer].T, alpha=-1.0, beta=1.0))
        backward.append(blas.Product(biases[layer][:, None], delta[layer + 1], ones, alpha=-1.0, beta=1.0))
    first_update = backward[-2]

    def step(inputs: np.ndarray) -> None:
        forward[0](b=inputs)
        for call in forward[1:]:
            call()
        for call in backward:
            if call is first_update:
                call(b=inputs.T)
            else:
                call()

    return step


def torch_products_alone(sizes: list[int], batch: int) -> Callable[[object], None]:
    """One step's products in PyTorch's layout (samples as rows), into buffers made once; the returned
    step takes the batch (B × inputs)."""
    import torch

    generator = torch.Generator().manual_seed(0)
    weights, biases = torch_parameters(sizes, generator)
    a = [None] + [torch.rand(batch, n, generator=generator) for n in sizes[1:]]
    delta = [None] + [torch.randn(batch, n, generator=generator) * 1e-3 for n in sizes[1:]]
    ones = torch.ones(batch)

    def step(inputs) -> None:  # type: ignore[no-untyped-def]
        a[0] = inputs
        for layer, (w, b) in enumerate(zip(weights, biases)):
            torch.addmm(b, a[layer], w.t(), out=a[layer + 1])
        for layer in range(len(weights) - 1, -1, -1):
            if layer > 0:
                torch.mm(delta[layer + 1], weights[layer], out=delta[layer])
            weights[layer].addmm_(delta[layer + 1].t(), a[layer], alpha=-1.0)
            biases[layer].addmv_(delta[layer + 1].t(), ones, alpha=-1.0)

    return step


def per_step(function: Callable[[], None], steps: int) -> float:
    """Seconds per step of one run of `function` (which makes `steps` steps)."""
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) / steps


def measure(library: str, sizes: list[int], batch: int, x: np.ndarray, labels: np.ndarray, targets: np.ndarray,
            repeats: int) -> None:
    import torch

    blas.use(library)
    batches = ColumnBatches(x, targets, batch, np.float32)
    if batches.feature_order is not None:
        sys.exit("bench_step_floor: these inputs would be split (sparse path); the floor here is for dense products")
    batches.shuffle(np.arange(len(x)))
    steps = len(x) // batch
    blocks = [batches.get(step) for step in range(steps)]  # one chunk: every block stays valid
    network = build_network(sizes, ["relu"] * (len(sizes) - 2) + ["softmax"], "he", seed=0)
    engine = FastMLP(network, "cce", OptimizerConfig("sgd", learning_rate=LEARNING_RATE), "float32")
    floor = products_alone(sizes, blocks[0][0])

    def nnstudio() -> None:
        for inputs, outputs, _ in blocks:
            engine.train_columns(inputs, outputs)

    def products() -> None:
        for inputs, _, _ in blocks:
            floor(inputs)

    generator = torch.Generator().manual_seed(0)
    weights, biases = torch_parameters(sizes, generator)
    eye = torch.eye(sizes[-1])
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))

    def pytorch() -> None:
        with torch.no_grad():
            for lo in range(0, steps * batch, batch):
                torch_step_by_hand(weights, biases, eye, tx[lo:lo + batch], ty[lo:lo + batch])

    torch_floor = torch_products_alone(sizes, batch)

    def torch_products() -> None:
        with torch.no_grad():
            for lo in range(0, steps * batch, batch):
                torch_floor(tx[lo:lo + batch])

    sides = {"nnstudio": nnstudio, "products": products, "torch products": torch_products, "pytorch": pytorch}
    for side in sides.values():  # warm: buffers made, products prepared, caches filled
        side()
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeats):  # alternating, so a slow spell hits every side
        for name, side in sides.items():
            times[name].append(per_step(side, steps))
    ours, alone, torch_alone, peer = (statistics.median(times[name]) * 1e6 for name in sides)
    print(f"{library:8s} {'-'.join(map(str, sizes)):16s} {batch:5d} | {ours:9.0f} {alone:9.0f} {torch_alone:9.0f} "
          f"{peer:9.0f} µs | {alone / ours:8.0%} {peer / ours:8.2f}× {peer / min(alone, torch_alone):8.2f}×", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fashion", type=Path, default=None, help="folder of Fashion-MNIST (default: found)")
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--libraries", nargs="+", choices=["openblas", "mkl"], default=None)
    args = parser.parse_args()
    libraries, names = libraries_to_time("bench_step_floor", args.libraries)
    import torch
    data = load("fashion-mnist", Path(), args.fashion)
    n = min(args.samples, CHUNK_SAMPLES, len(data.train))  # one chunk of the trainer's layout: all blocks valid
    x = np.ascontiguousarray(data.train.x[:n], np.float32)
    labels = data.train.y[:n]
    targets = np.ascontiguousarray(data.train.targets(np.float32, 10)[:n])
    torch.set_num_threads(1)
    print(f"Fashion-MNIST, first {n:,} images, laid out once; 1 thread; float32; {' and '.join(names)}; "
          f"PyTorch {torch.__version__}; median of {args.repeats} alternating rounds; µs per step")
    print("columns: nnstudio's whole step | nnstudio's products alone | PyTorch's products alone | PyTorch's step by "
          "hand; share = nnstudio's products in its step; lead = nnstudio over PyTorch; ceiling = PyTorch's step over "
          "the faster products alone")
    print(f"{'library':8s} {'network':16s} {'batch':>5s} | {'step':>9s} {'products':>9s} {'torch pr.':>9s} "
          f"{'PyTorch':>9s}    | {'share':>8s} {'lead':>9s} {'ceiling':>9s}")
    with threadpool_limits(1):
        for library in libraries:
            for sizes, batch in CASES:
                measure(library, sizes, batch, x, labels, targets, args.repeats)


if __name__ == "__main__":
    main()
