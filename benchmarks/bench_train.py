"""Training speed, end to end: nnstudio against the best PyTorch loops, side by side, in one run.

    python benchmarks/bench_train.py [--datasets mnist fashion-mnist dense] [--epochs 1 5]
                                     [--batches 1 32 128] [--threads 1] [--repeats 3]

What is timed is what a person waits for: the whole training call, from data in memory to a
trained network — data layout, the rare-input split, every epoch's shuffle, every epoch, and the
test evaluation after each epoch — for 1 and for 5 epochs. Beside it, each side's own per-epoch
rate (the epoch loop alone). Three sides run alternately, round by round, so a slow spell on a
shared machine hits all of them:

- nnstudio: `nnstudio.training.train` (softmax + cross-entropy, plain SGD, float32);
- PyTorch, idiomatic: `nn.Sequential`, `CrossEntropyLoss`, autograd, `optim.SGD`;
- PyTorch, hand-written: no autograd; in-place `addmm_` with the learning rate folded into δ —
  the stronger peer. Ratios are nnstudio against the faster PyTorch side of each round.

Datasets (all required; a missing one is an error, never a silent stand-in):
- mnist: the sample in --mnist (default ../shared/data/mnist-sample beside the checkout);
- fashion-mnist: the 60,000 images of Debian's `dataset-fashion-mnist` (or --fashion);
- dense: Fashion-MNIST standardised to mean 0 and variance 1 per pixel, so no input is zero and
  the trainer's sparse path for rarely-used pixels has nothing to skip.
Batch 1 runs on the first --batch1-samples training images. PyTorch: `pip install torch==2.13.0`.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from nnstudio.core import OptimizerConfig, build_network
from nnstudio.data.dataset import DatasetError, DataSplit, normalise_split
from nnstudio.training import TrainingConfig, blas, drive, train

SHAPES = ([784, 128, 10], [784, 256, 128, 10])
LEARNING_RATE = 0.01
# Pause between sides: OpenBLAS and OpenMP worker threads spin for a while after work.
IDLE = 0.3
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist-sample"


def load(name: str, mnist: Path, fashion: Path | None) -> DataSplit:
    """Train and test split of a dataset by name; exits with a message when its files are missing."""
    from nnstudio.data.image_sets import load_image_set

    try:
        if name == "mnist":
            return DataSplit(*load_image_set("mnist", mnist, allow_download=False))
        split = DataSplit(*load_image_set("fashion-mnist", fashion, allow_download=False))
    except DatasetError as error:
        hint = ("apt-get install dataset-fashion-mnist, or --fashion FOLDER" if name != "mnist"
                else "--mnist FOLDER with the four MNIST files")
        sys.exit(f"bench_train: {name}: {error} ({hint})")
    if name == "dense":
        split, _ = normalise_split(split, "standard")
    return split


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



@dataclass
class Timing:
    wall: float  # seconds for the whole call
    epoch_rate: float  # samples/s of the epoch loops alone (mean over epochs)
    accuracy: float


def run_nnstudio(sizes: list[int], data: DataSplit, batch: int, epochs: int, threads: int, seed: int) -> Timing:
    start = time.perf_counter()
    network = build_network(sizes, ["relu"] * (len(sizes) - 2) + ["softmax"], "he", seed=seed)
    config = TrainingConfig(epochs=epochs, batch_size=batch, seed=seed, blas_threads=threads,
                            optimizer=OptimizerConfig("sgd", learning_rate=LEARNING_RATE))
    result = drive(train(network, "cce", data.train, data.test, config))
    wall = time.perf_counter() - start
    rates = [e.samples_per_second for e in result.epochs]
    return Timing(wall, statistics.mean(rates), result.epochs[-1].test_accuracy or 0.0)


def _torch_data(data: DataSplit):  # type: ignore[no-untyped-def]
    import torch

    return (torch.from_numpy(np.ascontiguousarray(data.train.x)), torch.from_numpy(data.train.y.astype(np.int64)),
            torch.from_numpy(np.ascontiguousarray(data.test.x)), torch.from_numpy(data.test.y.astype(np.int64)))


def _evaluate(forward, x, y) -> float:  # type: ignore[no-untyped-def]
    """Test loss and accuracy, as the trainer computes them after each epoch (the loss is computed, unused)."""
    import torch

    with torch.no_grad():
        logits = torch.cat([forward(x[lo:lo + 1024]) for lo in range(0, len(x), 1024)])
        torch.nn.functional.cross_entropy(logits, y)
        return float((logits.argmax(1) == y).float().mean())


def run_torch_autograd(sizes: list[int], data: DataSplit, batch: int, epochs: int, seed: int) -> Timing:
    import torch

    start = time.perf_counter()
    x, y, tx, ty = _torch_data(data)
    torch.manual_seed(seed)
    layers: list = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimiser = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    loop = 0.0
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        xs, ys = x[order], y[order]
        begin = time.perf_counter()
        for lo in range(0, len(xs), batch):
            optimiser.zero_grad(set_to_none=True)
            loss_fn(model(xs[lo:lo + batch]), ys[lo:lo + batch]).backward()
            optimiser.step()
        loop += time.perf_counter() - begin
        accuracy = _evaluate(model, tx, ty)
    return Timing(time.perf_counter() - start, epochs * len(x) / loop, accuracy)


def run_torch_by_hand(sizes: list[int], data: DataSplit, batch: int, epochs: int, seed: int) -> Timing:
    """The stronger peer: no autograd, W updated in place by addmm_ with the learning rate folded into δ."""
    import torch

    start = time.perf_counter()
    x, y, tx, ty = _torch_data(data)
    generator = torch.Generator().manual_seed(seed)
    weights = [torch.randn(b, a, generator=generator) * (2.0 / a) ** 0.5 for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [torch.zeros(b) for b in sizes[1:]]

    def forward(a):  # type: ignore[no-untyped-def]
        for index, (w, b) in enumerate(zip(weights, biases)):
            a = torch.addmm(b, a, w.t())
            if index < len(weights) - 1:
                a.clamp_(min=0)
        return a

    eye = torch.eye(sizes[-1])
    loop = 0.0
    with torch.no_grad():
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=generator)
            xs, ys = x[order], y[order]
            begin = time.perf_counter()
            for lo in range(0, len(xs), batch):
                xb, yb = xs[lo:lo + batch], ys[lo:lo + batch]
                activations = [xb]
                for index, (w, b) in enumerate(zip(weights, biases)):
                    z = torch.addmm(b, activations[-1], w.t())
                    activations.append(z.clamp_(min=0) if index < len(weights) - 1 else z)
                delta = torch.softmax(activations[-1], dim=1).sub_(eye[yb]).mul_(LEARNING_RATE / len(xb))
                for index in range(len(weights) - 1, -1, -1):
                    previous = activations[index]
                    back = delta @ weights[index] if index > 0 else None  # before W changes
                    weights[index].addmm_(delta.t(), previous, alpha=-1.0)
                    biases[index].sub_(delta.sum(0))
                    if back is not None:
                        delta = back.mul_(previous > 0)
            loop += time.perf_counter() - begin
            accuracy = _evaluate(forward, tx, ty)
    return Timing(time.perf_counter() - start, epochs * len(x) / loop, accuracy)


def rounds(sizes: list[int], data: DataSplit, batch: int, epochs: int, threads: int, repeats: int):  # type: ignore[no-untyped-def]
    """Median Timing figures of each side over alternating rounds, and the median per-round ratio."""
    import torch

    torch.set_num_threads(threads)
    sides: dict[str, list[Timing]] = {"nnstudio": [], "autograd": [], "by hand": []}
    ratios: list[float] = []
    for seed in range(repeats):
        sides["nnstudio"].append(run_nnstudio(sizes, data, batch, epochs, threads, seed))
        time.sleep(IDLE)
        with threadpool_limits(threads):
            sides["autograd"].append(run_torch_autograd(sizes, data, batch, epochs, seed))
            time.sleep(IDLE)
            sides["by hand"].append(run_torch_by_hand(sizes, data, batch, epochs, seed))
        time.sleep(IDLE)
        best_torch = min(sides["autograd"][-1].wall, sides["by hand"][-1].wall)
        ratios.append(best_torch / sides["nnstudio"][-1].wall)
    return sides, statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist", "dense"],
                        choices=["mnist", "fashion-mnist", "dense"])
    parser.add_argument("--mnist", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--fashion", type=Path, default=None, help="folder of Fashion-MNIST (default: found)")
    parser.add_argument("--epochs", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32, 128])
    parser.add_argument("--batch1-samples", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("bench_train: PyTorch is needed for the comparison: pip install torch==2.13.0")
    torch_blas = "MKL" if "Math Kernel Library" in torch.__config__.show() else "its own BLAS"
    rate = best_matmul_rate(args.threads)
    print(f"nnstudio multiplies with {blas.library().name}; PyTorch {torch.__version__} with {torch_blas}; "
          f"{args.threads} thread(s); float32; best matmul {rate / 1e9:.0f} GFLOP/s; "
          f"median of {args.repeats} alternating rounds")
    print("samples/s: end to end = epochs × training samples / wall time of the whole call; "
          "epoch = the epoch loop alone")
    header = (f"{'data':14s} {'network':15s} {'batch':>5s} {'ep':>2s} | {'nnstudio':>17s} | {'PyTorch autograd':>17s} |"
              f" {'PyTorch by hand':>17s} | {'ratio':>6s} {'of limit':>8s} {'acc':>5s}")
    print(header)
    print(" " * 41 + "end to end / epoch" + " " * 2 + "end to end / epoch" + " " * 2 + "end to end / epoch")
    for name in args.datasets:
        data = load(name, args.mnist, args.fashion)
        for sizes in SHAPES:
            limit = rate / training_flops(sizes)
            for batch in args.batches:
                part = data if batch > 1 else DataSplit(data.train.subset(np.arange(args.batch1_samples)), data.test)
                n = len(part.train)
                for epochs in args.epochs:
                    sides, ratio = rounds(sizes, part, batch, epochs, args.threads, args.repeats)
                    cells = []
                    for side in ("nnstudio", "autograd", "by hand"):
                        wall = statistics.median(t.wall for t in sides[side])
                        epoch = statistics.median(t.epoch_rate for t in sides[side])
                        cells.append(f"{epochs * n / wall:8,.0f} /{epoch:8,.0f}")
                    mine = epochs * n / statistics.median(t.wall for t in sides["nnstudio"])
                    accuracy = statistics.median(t.accuracy for t in sides["nnstudio"])
                    print(f"{name:14s} {'-'.join(map(str, sizes)):15s} {batch:5d} {epochs:2d} | " + " | ".join(cells)
                          + f" | {ratio:5.2f}× {mine / limit:8.0%} {accuracy:5.1%}", flush=True)
    print("\n(ratio: the faster PyTorch side's wall time over nnstudio's, per round; of limit: nnstudio's end-to-end "
          "rate over the dense FLOPs per sample at the best matmul rate — over 100 % means zeros were skipped)")


if __name__ == "__main__":
    main()
