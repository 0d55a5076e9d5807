"""Training speed, end to end: nnstudio against the best PyTorch loops, side by side, in one run.

    python benchmarks/bench_train.py [--datasets mnist fashion-mnist dense] [--epochs 1 5]
                                     [--batches 1 32 128] [--threads 1] [--repeats 3]
                                     [--libraries openblas mkl] [--tables main scaling]

What is timed is what a person waits for: the whole training call, from data in memory to a
trained network — data layout, the rare-input split, every epoch's shuffle, every epoch, and the
test evaluation after each epoch — for 1 and for 5 epochs. Beside it, each side's own per-epoch
rate (the epoch loop alone). Three sides run alternately, round by round, so a slow spell on a
shared machine hits all of them:

- nnstudio: `nnstudio.training.train` (softmax + cross-entropy, plain SGD, float32), once per
  BLAS library in --libraries (OpenBLAS from scipy, and MKL when `pip install -e ".[mkl]"` put it
  there; asking for MKL without it is an error);
- PyTorch, idiomatic: `nn.Sequential`, `CrossEntropyLoss`, autograd, `optim.SGD`;
- PyTorch, hand-written: no autograd; in-place `addmm_` with the learning rate folded into δ;
  each batch gathered by index from the epoch's order, not an epoch-sized shuffled copy (1.05–1.23×
  faster end to end on Fashion-MNIST's 60,000 images, the same on the MNIST sample) — the stronger
  peer. Ratios are nnstudio against the faster PyTorch side of each round.

Datasets (all required; a missing one is an error, never a silent stand-in):
- mnist: the sample in --mnist (default ../shared/data/mnist-sample beside the checkout);
- fashion-mnist: the 60,000 images of Debian's `dataset-fashion-mnist` (or --fashion);
- dense: Fashion-MNIST standardised to mean 0 and variance 1 per pixel, so no input is zero and
  the trainer's sparse path for rarely-used pixels has nothing to skip.
Batch 1 runs on the first --batch1-samples training images (and test images in the dataset's
proportion). PyTorch: `pip install torch==2.13.0`.

Two tables: "main" (the three datasets, 784-128-10 and 784-256-128-10) and "scaling" (dense inputs,
784-64-10 … 784-1024-1024-10, on the first --scaling-samples images, test images in proportion,
5 epochs). "of limit" is the
end-to-end rate over what the best matmul rate allows for the FLOPs the trainer actually does
(on MNIST its sparse path skips the first layer's products with rarely-used zero pixels).
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
from nnstudio.training.batches import rare_split

SHAPES = ([784, 128, 10], [784, 256, 128, 10])
SCALING_SHAPES = ([784, 64, 10], [784, 256, 10], [784, 1024, 10], [784, 512, 512, 10], [784, 1024, 1024, 10])
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


def training_flops(sizes: list[int], first_inputs: float | None = None) -> float:
    """FLOPs per sample of one training step: forward, weight gradients, signals back.
    `first_inputs`: how many inputs the first layer's products really use per sample (the
    sparse path's dense rows plus listed values); all of them by default."""
    pairs = [(float(a), b) for a, b in zip(sizes[:-1], sizes[1:])]
    if first_inputs is not None:
        pairs[0] = (first_inputs, pairs[0][1])
    forward = sum(2 * a * b for a, b in pairs)
    weight_grads = forward
    signals = sum(2 * a * b for a, b in pairs[1:])  # no gradient is sent back into the data
    return forward + weight_grads + signals


def inputs_used(x: np.ndarray) -> float | None:
    """Inputs per sample the trainer's first layer multiplies (None when it takes the dense path)."""
    split = rare_split(x)
    return None if split is None else split.dense + split.listed_per_sample


def best_matmul_rate(threads: int, libraries: list[str]) -> float:
    """FLOP/s of the best float32 matmul among a few square sizes, at `threads` threads, by
    numpy's BLAS and by each library nnstudio's trainer may use."""
    rng = np.random.default_rng(0)
    best = 0.0
    with threadpool_limits(threads, user_api="blas"):
        for n in (256, 512, 1024, 2048):
            a = rng.random((n, n), dtype=np.float32)
            b = rng.random((n, n), dtype=np.float32)
            out = np.empty_like(a)
            products = [lambda: np.matmul(a, b, out=out)]
            for name in libraries:
                products.append(lambda name=name: (blas.use(name), blas.gemm(out, a, b)))
            for product in products:
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


def run_nnstudio(library: str, sizes: list[int], data: DataSplit, batch: int, epochs: int, threads: int,
                 seed: int) -> Timing:
    blas.use(library)
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


def torch_parameters(sizes: list[int], generator):  # type: ignore[no-untyped-def]
    """He-initialised weights (neurons × inputs) and zero biases, drawn from `generator`."""
    import torch

    weights = [torch.randn(b, a, generator=generator) * (2.0 / a) ** 0.5 for a, b in zip(sizes[:-1], sizes[1:])]
    return weights, [torch.zeros(b) for b in sizes[1:]]


def torch_step_by_hand(weights, biases, eye, xb, yb) -> None:  # type: ignore[no-untyped-def]
    """One plain-SGD step of softmax + cross-entropy on a batch (rows), in place, without autograd (call
    under torch.no_grad): z = a·Wᵀ + b by addmm, δ with the learning rate folded in, W −= δᵀ·a by addmm_."""
    import torch

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


def run_torch_by_hand(sizes: list[int], data: DataSplit, batch: int, epochs: int, seed: int) -> Timing:
    """The stronger peer: no autograd, W updated in place by addmm_ with the learning rate folded into δ, and
    each batch gathered by index (an epoch-sized shuffled copy of 60,000 images made the whole call up
    to 1.23× slower, measured side by side; nnstudio shuffles by index too)."""
    import torch

    start = time.perf_counter()
    x, y, tx, ty = _torch_data(data)
    generator = torch.Generator().manual_seed(seed)
    weights, biases = torch_parameters(sizes, generator)

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
            begin = time.perf_counter()
            for lo in range(0, len(x), batch):
                picked = order[lo:lo + batch]
                torch_step_by_hand(weights, biases, eye, x[picked], y[picked])
            loop += time.perf_counter() - begin
            accuracy = _evaluate(forward, tx, ty)
    return Timing(time.perf_counter() - start, epochs * len(x) / loop, accuracy)


TORCH_SIDES = ("PyTorch autograd", "PyTorch by hand")


def rounds(libraries: list[str], sizes: list[int], data: DataSplit, batch: int, epochs: int, threads: int,
           repeats: int) -> tuple[dict[str, list[Timing]], dict[str, list[float]]]:
    """Each side's Timings over alternating rounds, and per library the per-round ratios of the
    faster PyTorch side's wall time to nnstudio's."""
    import torch

    torch.set_num_threads(threads)
    sides: dict[str, list[Timing]] = {name: [] for name in [*libraries, *TORCH_SIDES]}
    ratios: dict[str, list[float]] = {name: [] for name in libraries}
    for seed in range(repeats):
        for name in libraries:
            sides[name].append(run_nnstudio(name, sizes, data, batch, epochs, threads, seed))
            time.sleep(IDLE)
        with threadpool_limits(threads):
            sides["PyTorch autograd"].append(run_torch_autograd(sizes, data, batch, epochs, seed))
            time.sleep(IDLE)
            sides["PyTorch by hand"].append(run_torch_by_hand(sizes, data, batch, epochs, seed))
        time.sleep(IDLE)
        best_torch = min(sides[side][-1].wall for side in TORCH_SIDES)
        for name in libraries:
            ratios[name].append(best_torch / sides[name][-1].wall)
    return sides, ratios


LABELS = {"openblas": "nnstudio OpenBLAS", "mkl": "nnstudio MKL"}


def print_header(libraries: list[str]) -> None:
    sides = [LABELS[name] for name in libraries] + list(TORCH_SIDES)
    print(f"{'data':13s} {'network':16s} {'batch':>5s} {'ep':>2s} | "
          + " | ".join(f"{side:>17s}" for side in sides)
          + " | " + " ".join(f"{'ratio ' + name[:4] + ' (range)':>22s}" for name in libraries)
          + f" {'of limit':>8s} {'acc':>5s}")
    print(" " * 40 + "   ".join("end to end/epoch" for _ in sides))


def print_row(name: str, sizes: list[int], part: DataSplit, batch: int, epochs: int, libraries: list[str],
              threads: int, repeats: int, rate: float) -> None:
    n = len(part.train)
    sides, ratios = rounds(libraries, sizes, part, batch, epochs, threads, repeats)
    cells = []
    for side in [*libraries, *TORCH_SIDES]:
        wall = statistics.median(t.wall for t in sides[side])
        epoch = statistics.median(t.epoch_rate for t in sides[side])
        cells.append(f"{epochs * n / wall:8,.0f}/{epoch:8,.0f}")
    best = max(epochs * n / statistics.median(t.wall for t in sides[side]) for side in libraries)
    limit = rate / training_flops(sizes, inputs_used(part.train.x))
    accuracy = statistics.median(t.accuracy for t in sides[libraries[0]])
    print(f"{name:13s} {'-'.join(map(str, sizes)):16s} {batch:5d} {epochs:2d} | " + " | ".join(cells)
          + " | " + " ".join(f"{statistics.median(ratios[lib]):9.2f}× ({min(ratios[lib]):4.2f}–{max(ratios[lib]):4.2f})"
                             for lib in libraries) + f" {best / limit:8.0%} {accuracy:5.1%}",
          flush=True)


def first(data: DataSplit, samples: int) -> DataSplit:
    """The first `samples` training images, and test images in the full sets' proportion (one per six),
    so the test evaluation after each epoch weighs as much as it does on the whole dataset."""
    train = min(samples, len(data.train))
    test = max(1, min(len(data.test), round(train * len(data.test) / len(data.train))))
    return DataSplit(data.train.subset(np.arange(train)), data.test.subset(np.arange(test)))


def libraries_to_time(script: str, requested: list[str] | None) -> tuple[list[str], list[str]]:
    """nnstudio's BLAS libraries to time (`requested`, else OpenBLAS and MKL when installed) and their
    names; exits with a message naming what is missing when PyTorch or a requested library is."""
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit(f"{script}: PyTorch is needed for the comparison: pip install torch==2.13.0")
    libraries = requested or ["openblas"] + (["mkl"] if blas._mkl() is not None else [])
    try:
        return libraries, [blas.use(name).name for name in libraries]
    except LookupError as error:
        sys.exit(f"{script}: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", nargs="+", default=["main", "scaling"], choices=["main", "scaling"])
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist", "dense"],
                        choices=["mnist", "fashion-mnist", "dense"])
    parser.add_argument("--mnist", type=Path, default=DEFAULT_MNIST)
    parser.add_argument("--fashion", type=Path, default=None, help="folder of Fashion-MNIST (default: found)")
    parser.add_argument("--epochs", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32, 128])
    parser.add_argument("--batch1-samples", type=int, default=2000)
    parser.add_argument("--scaling-samples", type=int, default=6000)
    parser.add_argument("--scaling-batch1-samples", type=int, default=1000)
    parser.add_argument("--libraries", nargs="+", choices=["openblas", "mkl"], default=None,
                        help="nnstudio's BLAS libraries to time (default: OpenBLAS, and MKL when installed)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    libraries, names = libraries_to_time("bench_train", args.libraries)
    import torch
    torch_blas = "MKL" if "Math Kernel Library" in torch.__config__.show() else "its own BLAS"
    rate = best_matmul_rate(args.threads, libraries)
    print(f"nnstudio multiplies with {' and '.join(names)}; PyTorch {torch.__version__} with {torch_blas}; "
          f"{args.threads} thread(s); float32; best matmul {rate / 1e9:.0f} GFLOP/s; "
          f"median of {args.repeats} alternating rounds")
    print("samples/s: end to end = epochs × training samples / wall time of the whole call; "
          "epoch = the epoch loop alone")
    if "main" in args.tables:
        print_header(libraries)
        for name in args.datasets:
            data = load(name, args.mnist, args.fashion)
            for sizes in SHAPES:
                for batch in args.batches:
                    part = data if batch > 1 else first(data, args.batch1_samples)
                    for epochs in args.epochs:
                        print_row(name, sizes, part, batch, epochs, libraries, args.threads, args.repeats, rate)
    if "scaling" in args.tables:
        data = load("dense", args.mnist, args.fashion)
        print(f"\nscaling: dense inputs, first {args.scaling_samples:,} images "
              f"({args.scaling_batch1_samples:,} at batch 1), 5 epochs, end to end")
        print_header(libraries)
        for sizes in SCALING_SHAPES:
            for batch in args.batches:
                part = first(data, args.scaling_samples if batch > 1 else args.scaling_batch1_samples)
                print_row("dense", sizes, part, batch, 5, libraries, args.threads, args.repeats, rate)
    print("\n(ratio: the faster PyTorch side's wall time over nnstudio's with that library, per round, median "
          "and (lowest–highest round); "
          "of limit: the faster nnstudio's end-to-end rate over the best matmul rate divided by the FLOPs per "
          "sample the trainer does — skipped zeros not counted)")


if __name__ == "__main__":
    main()
