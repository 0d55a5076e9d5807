"""Training speed: nnstudio's loop against PyTorch on the CPU, side by side, in one run.

    python benchmarks/bench_train.py [--threads 1 2] [--data PATH_TO_MNIST_FOLDER]

For 784-128-10 and 784-256-128-10 (ReLU hidden layers, softmax + cross-entropy,
plain SGD) at batch 1, 32 and 128, it prints samples per second of one epoch of
`nnstudio.training.train` and, when PyTorch is installed
(`pip install torch==2.13.0`), of the same MLP in PyTorch on the same data with
the same number of threads, and the ratio (the median over alternating epochs,
so a slow spell on a shared machine hits both sides alike). It also measures this machine's best
float32 matmul rate at that thread count and prints what fraction of the
matmul-only limit (best rate / training FLOPs per sample) the loop reaches.
The FLOPs are the dense count; on MNIST the trainer multiplies its rarely-used
pixels as a sparse matrix and so does fewer, which can put it above 100 %.

Data: the MNIST files in --data (default: ../shared/data/mnist-sample beside
the checkout, if present), else random images of the same size and sparsity.
Figures are printed, never asserted.

It prints which BLAS each side multiplies with: PyTorch's CPU build uses MKL;
nnstudio uses MKL when the optional extra is installed (`pip install -e
".[mkl]"`), else scipy's OpenBLAS. NNSTUDIO_BLAS=openblas measures the latter
with MKL installed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from nnstudio.core import OptimizerConfig, build_network
from nnstudio.data.dataset import Dataset
from nnstudio.training import TrainingConfig, blas, drive, train

SHAPES = ([784, 128, 10], [784, 256, 128, 10])
BATCHES = (1, 32, 128)
# Pause between the two sides: OpenBLAS and OpenMP worker threads spin for a while after
# work, and with two threads they would steal the other side's cores.
IDLE = 0.5
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-sample"


def load_data(folder: Path | None, n: int) -> tuple[Dataset, str]:
    if folder is not None and folder.is_dir():
        from nnstudio.data.image_sets import load_image_set

        train_set, _ = load_image_set("mnist", folder, allow_download=False)
        return train_set.subset(np.arange(min(n, len(train_set)))), f"MNIST from {folder}"
    rng = np.random.default_rng(0)
    x = (rng.random((n, 784)) * (rng.random((n, 784)) < 0.19)).astype(np.float32)
    return Dataset("random", x, rng.integers(0, 10, n), tuple(map(str, range(10)))), "random 28×28 images"


def training_flops(sizes: list[int]) -> int:
    """FLOPs per sample of one training step: forward, weight gradients, signals back."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(2 * a * b for a, b in pairs)
    weight_grads = forward
    signals = sum(2 * a * b for a, b in pairs[1:])  # no gradient is sent back into the data
    return forward + weight_grads + signals


def best_matmul_rate(threads: int) -> float:
    """FLOP/s of the best float32 matmul among a few square sizes, at `threads` threads, by
    numpy's BLAS and by the one nnstudio's trainer uses (MKL, if installed, may be faster)."""
    rng = np.random.default_rng(0)
    best = 0.0
    with threadpool_limits(threads, user_api="blas"):
        for n in (256, 512, 1024, 2048):
            a = rng.random((n, n), dtype=np.float32)
            b = rng.random((n, n), dtype=np.float32)
            out = np.empty_like(a)
            for product in (lambda: np.matmul(a, b, out=out), lambda: blas.gemm(out, a, b)):
                product()
                repeats = max(3, int(2e9 / (2 * n**3)))
                start = time.perf_counter()
                for _ in range(repeats):
                    product()
                best = max(best, 2 * n**3 * repeats / (time.perf_counter() - start))
    return best


def ours(sizes: list[int], data: Dataset, batch: int, threads: int, repeat: int) -> float:
    """Samples/s of one epoch of nnstudio's loop (its own clock: the epoch after the shuffle)."""
    network = build_network(sizes, ["relu"] * (len(sizes) - 2) + ["softmax"], "he", seed=repeat)
    config = TrainingConfig(epochs=1, batch_size=batch, optimizer=OptimizerConfig("sgd", learning_rate=0.01),
                            seed=repeat, blas_threads=threads)
    result = drive(train(network, "cce", data, None, config))
    return result.epochs[-1].samples_per_second


def pytorch(sizes: list[int], data: Dataset, batch: int, threads: int, repeat: int) -> float | None:
    """Samples/s of one epoch of the same MLP in PyTorch (shuffled before the clock starts, as ours)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    x = torch.from_numpy(np.ascontiguousarray(data.x))
    y = torch.from_numpy(data.y.astype(np.int64))
    torch.manual_seed(repeat)
    layers: list = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(repeat))
    xs, ys = x[order], y[order]
    start = time.perf_counter()
    for lo in range(0, len(xs), batch):
        optimiser.zero_grad(set_to_none=True)
        loss = loss_fn(model(xs[lo:lo + batch]), ys[lo:lo + batch])
        loss.backward()
        optimiser.step()
    return len(xs) / (time.perf_counter() - start)


def side_by_side(sizes: list[int], data: Dataset, batch: int, threads: int,
                 repeats: int) -> tuple[float, float | None, float | None]:
    """Median samples/s of each, and the median of the per-pair ratios.

    The two run alternately, one epoch each, so a slow spell on a shared machine hits
    both sides of a pair instead of one side's whole series.
    """
    mine, theirs, ratios = [], [], []
    for repeat in range(repeats):
        mine.append(ours(sizes, data, batch, threads, repeat))
        time.sleep(IDLE)
        other = pytorch(sizes, data, batch, threads, repeat)
        time.sleep(IDLE)
        if other is not None:
            theirs.append(other)
            ratios.append(mine[-1] / other)
    if not theirs:
        return statistics.median(mine), None, None
    return statistics.median(mine), statistics.median(theirs), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--samples", type=int, default=6000, help="training samples per timed epoch (batch > 1)")
    parser.add_argument("--repeats", type=int, default=5, help="alternating epochs of each side per figure")
    args = parser.parse_args()
    data, source = load_data(args.data, args.samples)
    small = data.subset(np.arange(min(2000, len(data))))
    try:
        import torch

        torch_blas = "MKL" if "Math Kernel Library" in torch.__config__.show() else "its own BLAS"
        torch_version = f"{torch.__version__} (with {torch_blas})"
    except ImportError:
        torch_version = "not installed (pip install torch==2.13.0)"
    print(f"data: {source}, {len(data)} samples (batch 1: {len(small)}); float32")
    print(f"nnstudio multiplies with {blas.library().name}; PyTorch {torch_version}")
    for threads in args.threads:
        rate = best_matmul_rate(threads)
        print(f"\nthreads {threads}: best float32 matmul {rate / 1e9:.0f} GFLOP/s")
        print(f"{'network':16s} {'batch':>5s} {'nnstudio':>12s} {'PyTorch':>12s} {'ratio':>6s} {'of matmul limit':>16s}")
        for sizes in SHAPES:
            limit = rate / training_flops(sizes)
            for batch in BATCHES:
                subset = small if batch == 1 else data
                mine, theirs, pair_ratio = side_by_side(sizes, subset, batch, threads, args.repeats)
                ratio = f"{pair_ratio:5.2f}×" if pair_ratio else "   —"
                print(f"{'-'.join(map(str, sizes)):16s} {batch:5d} {mine:12,.0f} "
                      f"{theirs if theirs is None else f'{theirs:12,.0f}':>12} {ratio:>6s} {mine / limit:15.0%}")
    print("\n(matmul limit: dense FLOPs per sample at the best rate above; over 100 % means zeros in the data"
          " were skipped, not multiplied)")


if __name__ == "__main__":
    main()
