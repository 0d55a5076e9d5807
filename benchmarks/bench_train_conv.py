"""Convolutional training speed and accuracy, end to end: LeNet on Fashion-MNIST, nnstudio against PyTorch.

    python benchmarks/bench_train_conv.py [--batches 32 128] [--epochs 1 5] [--repeats 3] [--samples N]
                                          [--sides nnstudio autograd by-hand] [--fashion FOLDER]
    python benchmarks/bench_train_conv.py --accuracy [--seeds 3] [--sides nnstudio autograd]

The network (issue 34): 1×28×28 → c6k5p2 → ReLU → max pool 2 → c16k5 → ReLU → max pool 2 → 120 → 84 → 10
softmax, cross-entropy, float32, drawn by nnstudio (`build_from_architecture`, He, seed = the round) and
copied into PyTorch, so every side starts from the same parameters. Data: Fashion-MNIST's 60,000 training
and 10,000 test images as nnstudio loads them (pixels k/255 in [0, 1], nnstudio's default: no
normalisation); every side reads the same float32 arrays. 1 thread on every side: nnstudio's BLAS
limited to 1 (TrainingConfig.blas_threads and threadpool_limits), `torch.set_num_threads(1)` with
oneDNN (its use for the convolutions is checked and printed).

What is timed is what a person waits for, as bench_train.py times it: the whole training call, from data
in memory to a trained network — layout, every epoch's shuffle, every epoch and the test evaluation after
each epoch — beside the epoch loop alone. Three sides run alternately, round by round:

- nnstudio: `nnstudio.training.train` with whatever engine it picks for a network with maps (printed:
  FastConv since issue 34, CoreEngine — the core's exact path — before it);
- PyTorch autograd, idiomatic: `nn.Sequential`, `CrossEntropyLoss`, `optim.SGD`, each batch gathered by
  index from the epoch's permutation (no DataLoader);
- PyTorch by hand, no autograd (under `torch.no_grad()`): `F.conv2d` forward, `torch.nn.grad.conv2d_weight`
  / `conv2d_input` backward, max pooling with indices; ReLU's and pooling's backward by the kernels autograd
  uses (`aten.threshold_backward`, and `aten.max_pool2d_with_indices_backward`: 2.7–3.6× faster here than
  `F.max_unpool2d`), dense layers by `addmm`, in-place updates with the learning rate folded into δ, batches
  gathered by index. Checked at start against one autograd step (float32, to 1e-5).

Before the table every side makes one untimed call per batch size on a few batches (PyTorch's first call
sets up its kernels: without it the first round of autograd ran at a fifth of its later speed).

Speed tables: plain SGD, learning rate 0.01, on every side. FLOPs per sample: 2·K·C·k²·H_out·W_out per
convolution forward and 2·n_in·n_out per dense layer; a training step adds ∂kernel (= forward) and ∂input
(= forward) for every layer whose input needs one: PyTorch's sides never send a gradient into the data (the
first convolution's ∂input is skipped), nor does nnstudio's FastConv; CoreEngine does (the core's backward
computes every layer's signal, which the window shows). Each side's "of limit" is its end-to-end rate × its
own FLOPs per sample over the single-thread float32 matmul limit measured in the same run: the best of
numpy's matmul, nnstudio's blas.py and torch.mm over LeNet's im2col product shapes at each batch and a
1024² square (each shape's best is printed too: LeNet's skinny products reach well under the square's).

Accuracy (--accuracy, minutes): 5 epochs of Adam (lr 2e-3, β 0.9/0.999, ε 1e-8), batch 32, one seed per
round, nnstudio against PyTorch autograd with the same recipe and the same initial weights per seed; the
issue's targets: nnstudio ≥ 88.5 % and the mean within 1 point of PyTorch's.

Figures are printed, never asserted; missing data or PyTorch is an error, never a silent stand-in.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from bench_train import IDLE, Timing, _evaluate, _torch_data, first, load  # benchmarks/bench_train.py, beside this
from nnstudio.core import OptimizerConfig
from nnstudio.core.architecture import parse_architecture
from nnstudio.core.architecture_build import build_from_architecture
from nnstudio.core.network import Network
from nnstudio.data.dataset import DataSplit
from nnstudio.training import TrainingConfig, blas, drive, train
from nnstudio.training.loop import make_engine

LENET = "1x28x28-c6k5p2-m2-c16k5-m2-120-84-10"
LEARNING_RATE = 0.01
ADAM_RATE = 2e-3
SIDES = ("nnstudio", "autograd", "by-hand")
LABELS = {"nnstudio": "nnstudio", "autograd": "PyTorch autograd", "by-hand": "PyTorch by hand"}
# nnstudio engines known to compute the first convolution's ∂input (the core's signal into the data);
# any other engine is counted as skipping it, as PyTorch does, and the output says "assumed".
SIGNAL_INTO_DATA = {"CoreEngine": True, "FastConv": False}
# (K, C, k, H_out, W_out) per convolution, and (n_in, n_out) per dense layer, of LENET
CONVS = ((6, 1, 5, 28, 28), (16, 6, 5, 10, 10))
DENSE = ((400, 120), (120, 84), (84, 10))


def lenet(seed: int) -> Network:
    """LeNet as nnstudio draws it (He kernels and weights, zero biases), float32."""
    return build_from_architecture(parse_architecture(LENET), "relu", "softmax", "he", seed, dtype="float32")


def training_flops(signal_into_data: bool) -> float:
    """FLOPs per sample of one training step: every product's forward, ∂kernel/∂W, and ∂input for each layer
    but the first unless `signal_into_data`."""
    forward = [2 * k * c * size * size * h * w for k, c, size, h, w in CONVS] + [2 * a * b for a, b in DENSE]
    return 2 * sum(forward) + sum(forward[0 if signal_into_data else 1:])


# --- the single-thread matmul limit ---------------------------------------------------------------------------


def product_shapes(batches: list[int]) -> list[tuple[str, int, int, int]]:
    """(name, M, K, N) of C = A(M×K)·B(K×N): LeNet's products as an im2col trainer makes them at each batch
    (windows of k²·C rows, one column per output pixel of every sample), and a large square."""
    shapes = []
    for b in batches:
        shapes += [(f"conv1 fwd  b{b}", 6, 25, b * 784), (f"conv1 ∂ker b{b}", 6, b * 784, 25),
                   (f"conv2 fwd  b{b}", 16, 150, b * 100), (f"conv2 ∂ker b{b}", 16, b * 100, 150),
                   (f"conv2 ∂in  b{b}", 150, 16, b * 100), (f"dense1     b{b}", b, 400, 120)]
    return shapes + [("square 1024", 1024, 1024, 1024)]


def matmul_rates(batches: list[int]) -> dict[str, float]:
    """Best FLOP/s per shape, 1 thread, float32, among numpy's matmul, nnstudio's BLAS and torch.mm."""
    import torch

    rng = np.random.default_rng(0)
    rates: dict[str, float] = {}
    with threadpool_limits(1):
        for name, m, k, n in product_shapes(batches):
            a = rng.random((m, k), dtype=np.float32)
            b = rng.random((k, n), dtype=np.float32)
            out = np.empty((m, n), np.float32)
            ta, tb, tout = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out.copy())
            flops = 2.0 * m * k * n
            best = 0.0
            products: list[Callable[[], object]] = [partial(np.matmul, a, b, out=out), partial(blas.gemm, out, a, b),
                                                    partial(torch.mm, ta, tb, out=tout)]
            for product in products:
                product()
                repeats = max(5, int(2e8 / flops))
                for _ in range(3):  # the best of three tries: a limit, not a typical figure, on a shared machine
                    start = time.perf_counter()
                    for _ in range(repeats):
                        product()
                    best = max(best, flops * repeats / (time.perf_counter() - start))
            rates[name] = best
    return rates


# --- the three sides ---------------------------------------------------------------------------------------------


def optimizer_config(adam: bool) -> OptimizerConfig:
    return OptimizerConfig("adam", learning_rate=ADAM_RATE) if adam else OptimizerConfig("sgd",
                                                                                          learning_rate=LEARNING_RATE)


def run_nnstudio(network: Network, data: DataSplit, batch: int, epochs: int, seed: int, adam: bool = False) -> Timing:
    """The whole `train` call, as bench_train.py times it (the network is drawn before the clock starts)."""
    start = time.perf_counter()
    config = TrainingConfig(epochs=epochs, batch_size=batch, seed=seed, blas_threads=1, dtype="float32",
                            optimizer=optimizer_config(adam))
    result = drive(train(network, "cce", data.train, data.test, config))
    wall = time.perf_counter() - start
    if result.error is not None or len(result.epochs) != epochs:
        sys.exit(f"bench_train_conv: nnstudio's run ended early: {result.error}")
    rates = [e.samples_per_second for e in result.epochs]
    return Timing(wall, statistics.mean(rates), result.epochs[-1].test_accuracy or 0.0)


def torch_parameters(network: Network) -> list:  # type: ignore[type-arg]
    """Kernel, bias, … of every layer with parameters, copied from nnstudio's network into float32 tensors."""
    import torch

    return [torch.from_numpy(np.array(p, np.float32)) for layer in network.layers for p in layer.parameters()
            if p is not None]


def torch_model(network: Network):  # type: ignore[no-untyped-def]
    """LeNet as nn.Sequential, starting from `network`'s parameters."""
    import torch
    from torch import nn

    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    with torch.no_grad():
        for mine, theirs in zip(model.parameters(), torch_parameters(network), strict=True):
            mine.copy_(theirs)
    return model


def run_torch_autograd(network: Network, data: DataSplit, batch: int, epochs: int, seed: int,
                       adam: bool = False) -> Timing:
    import torch

    start = time.perf_counter()
    x, y, tx, ty = _torch_data(data)
    x, tx = x.view(-1, 1, 28, 28), tx.view(-1, 1, 28, 28)
    model = torch_model(network)
    optimiser = (torch.optim.Adam(model.parameters(), lr=ADAM_RATE, betas=(0.9, 0.999), eps=1e-8) if adam
                 else torch.optim.SGD(model.parameters(), lr=LEARNING_RATE))
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    loop = 0.0
    accuracy = 0.0
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        begin = time.perf_counter()
        for lo in range(0, len(x), batch):
            picked = order[lo:lo + batch]
            optimiser.zero_grad(set_to_none=True)
            loss_fn(model(x[picked]), y[picked]).backward()
            optimiser.step()
        loop += time.perf_counter() - begin
        accuracy = _evaluate(model, tx, ty)
    return Timing(time.perf_counter() - start, epochs * len(x) / loop, accuracy)


def torch_forward(params: list, x):  # type: ignore[no-untyped-def]
    """Logits of LeNet for a batch of maps (B×1×28×28), without autograd's records (call under no_grad)."""
    import torch
    import torch.nn.functional as F

    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = params
    a = F.max_pool2d(F.conv2d(x, w1, b1, padding=2).clamp_(min=0), 2)
    a = F.max_pool2d(F.conv2d(a, w2, b2).clamp_(min=0), 2).reshape(len(x), 400)
    a = torch.addmm(b3, a, w3.t()).clamp_(min=0)
    a = torch.addmm(b4, a, w4.t()).clamp_(min=0)
    return torch.addmm(b5, a, w5.t())


def torch_step_by_hand(params: list, eye, x, y) -> None:  # type: ignore[no-untyped-def]
    """One plain-SGD step of softmax + cross-entropy, in place, no autograd (call under torch.no_grad): δ carries
    the learning rate and the 1/B of the batch mean, so every gradient is already the update. ∂input of the
    first convolution is not computed (nothing needs it)."""
    import torch
    import torch.nn.functional as F
    from torch.nn.grad import conv2d_input, conv2d_weight

    pool_back, relu_back = torch.ops.aten.max_pool2d_with_indices_backward, torch.ops.aten.threshold_backward
    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = params
    n = len(x)
    a1 = F.conv2d(x, w1, b1, padding=2).clamp_(min=0)
    p1, i1 = F.max_pool2d(a1, 2, return_indices=True)
    a2 = F.conv2d(p1, w2, b2).clamp_(min=0)
    p2, i2 = F.max_pool2d(a2, 2, return_indices=True)
    f = p2.reshape(n, 400)
    h3 = torch.addmm(b3, f, w3.t()).clamp_(min=0)
    h4 = torch.addmm(b4, h3, w4.t()).clamp_(min=0)
    delta = torch.softmax(torch.addmm(b5, h4, w5.t()), dim=1).sub_(eye[y]).mul_(LEARNING_RATE / n)
    for w, b, below in ((w5, b5, h4), (w4, b4, h3), (w3, b3, f)):
        back = delta @ w  # before w changes
        w.addmm_(delta.t(), below, alpha=-1.0)
        b.sub_(delta.sum(0))
        delta = relu_back(back, below, 0.0) if below is not f else back
    d2 = relu_back(pool_back(delta.reshape(n, 16, 5, 5), a2, [2, 2], [2, 2], [0, 0], [1, 1], False, i2), a2, 0.0)
    d1 = conv2d_input(p1.shape, w2, d2)  # before w2 changes
    w2.sub_(conv2d_weight(p1, w2.shape, d2))
    b2.sub_(d2.sum((0, 2, 3)))
    d1 = relu_back(pool_back(d1, a1, [2, 2], [2, 2], [0, 0], [1, 1], False, i1), a1, 0.0)
    w1.sub_(conv2d_weight(x, w1.shape, d1, padding=2))
    b1.sub_(d1.sum((0, 2, 3)))


def run_torch_by_hand(network: Network, data: DataSplit, batch: int, epochs: int, seed: int) -> Timing:
    import torch

    start = time.perf_counter()
    x, y, tx, ty = _torch_data(data)
    x, tx = x.view(-1, 1, 28, 28), tx.view(-1, 1, 28, 28)
    params = torch_parameters(network)
    eye = torch.eye(10)
    generator = torch.Generator().manual_seed(seed)
    loop = 0.0
    accuracy = 0.0
    with torch.no_grad():
        for _ in range(epochs):
            order = torch.randperm(len(x), generator=generator)
            begin = time.perf_counter()
            for lo in range(0, len(x), batch):
                picked = order[lo:lo + batch]
                torch_step_by_hand(params, eye, x[picked], y[picked])
            loop += time.perf_counter() - begin
            accuracy = _evaluate(lambda a: torch_forward(params, a), tx, ty)
    return Timing(time.perf_counter() - start, epochs * len(x) / loop, accuracy)


RUNNERS: dict[str, Callable[[Network, DataSplit, int, int, int], Timing]] = {
    "nnstudio": run_nnstudio, "autograd": run_torch_autograd, "by-hand": run_torch_by_hand}


# --- checks, tables ----------------------------------------------------------------------------------------------


def check_by_hand_matches_autograd() -> float:
    """Largest difference between one step by hand and one autograd SGD step from the same LeNet, float32: the
    hand-written loop must train the same network, or its speed means nothing. Exits when it does not."""
    import torch

    network = lenet(0)
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.random((8, 1, 28, 28), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 10, 8))
    model = torch_model(network)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    with torch.no_grad():
        for p in model.parameters():
            p.sub_(LEARNING_RATE * p.grad)
        params = torch_parameters(network)
        torch_step_by_hand(params, torch.eye(10), x, y)
    worst = max(float((a - b.detach()).abs().max()) for a, b in zip(params, model.parameters()))
    if worst > 1e-5:
        sys.exit(f"bench_train_conv: the hand-written step differs from autograd's by {worst:.2g}")
    return worst


def torch_uses_onednn() -> bool:
    """Whether PyTorch's convolution forward runs through oneDNN (mkldnn) here, 1 thread, float32."""
    import torch
    from torch.autograd import profiler

    conv = torch.nn.Conv2d(1, 6, 5, padding=2)
    with profiler.profile() as prof:
        conv(torch.zeros(32, 1, 28, 28)).sum().backward()
    return any("mkldnn" in event.name for event in prof.function_events)


@dataclass
class Cell:
    timings: list[Timing]
    ratios: list[float]  # per round: this side's wall over nnstudio's (> 1: nnstudio is faster)


def speed_rows(sides: list[str], data: DataSplit, batch: int, epochs: int, repeats: int, limit: float,
               flops: dict[str, float]) -> None:
    """One row per side for (batch, epochs): the sides run alternately, round by round, seed = round."""
    cells = {side: Cell([], []) for side in sides}
    for seed in range(repeats):
        network = lenet(seed)
        for side in sides:
            with threadpool_limits(1):
                cells[side].timings.append(RUNNERS[side](network, data, batch, epochs, seed))
            time.sleep(IDLE)
        if "nnstudio" in sides:
            for side in sides:
                cells[side].ratios.append(cells[side].timings[-1].wall / cells["nnstudio"].timings[-1].wall)
    n = len(data.train)
    for side in sides:
        timings = cells[side].timings
        wall = statistics.median(t.wall for t in timings)
        epoch_rate = statistics.median(t.epoch_rate for t in timings)
        rate = epochs * n / wall
        ratios = cells[side].ratios
        ratio = (f"{statistics.median(ratios):5.2f}× ({min(ratios):4.2f}–{max(ratios):4.2f})"
                 if ratios and side != "nnstudio" else "")
        print(f"{batch:5d} {epochs:2d} {LABELS[side]:17s} {rate:9,.0f} {epoch_rate:9,.0f} "
              f"{batch / epoch_rate * 1e3:8.2f} {wall:8.1f} {flops[side] / 1e6:6.2f} {rate * flops[side] / limit:8.1%} "
              f"{statistics.median(t.accuracy for t in timings):6.1%}  {ratio}", flush=True)


def engine_name(batch: int) -> str:
    """The class of the engine `train` picks for LeNet."""
    return type(make_engine(lenet(0), "cce", TrainingConfig(), batch)).__name__


def blas_libraries() -> str:
    """The BLAS libraries loaded in this process (numpy's, scipy's for nnstudio's blas.py, PyTorch's), by
    threadpoolctl: which one an engine multiplies with is its own choice (FastConv: numpy's matmul)."""
    from threadpoolctl import threadpool_info

    return ", ".join(f"{info.get('internal_api')} {info.get('version')} ({Path(info['filepath']).name})"
                     for info in threadpool_info() if info.get("user_api") == "blas")


def speed(args: argparse.Namespace, data: DataSplit) -> None:
    import torch

    engine = engine_name(max(args.batches))
    signal = SIGNAL_INTO_DATA.get(engine, False)
    flops = {"nnstudio": training_flops(signal), "autograd": training_flops(False), "by-hand": training_flops(False)}
    print(f"check: one step by hand equals one autograd step to {check_by_hand_matches_autograd():.1e} (float32)")
    rates = matmul_rates(args.batches)
    limit = max(rates.values())
    print(f"single-thread float32 matmul limit: {limit / 1e9:.1f} GFLOP/s (best of numpy, nnstudio's BLAS and "
          f"torch.mm); LeNet's im2col shapes reach: "
          + ", ".join(f"{' '.join(name.split())} {rate / 1e9:.1f}"
                      for name, rate in rates.items() if not name.startswith("square")))
    print(f"FLOPs per sample of a training step: nnstudio ({engine}) {flops['nnstudio'] / 1e6:.2f} M — "
          + ("the first convolution's ∂input included (the core's signal into the data)" if signal else
             "the first convolution's ∂input " + ("not computed" if engine in SIGNAL_INTO_DATA else
                                                   "assumed not computed"))
          + f"; PyTorch {flops['autograd'] / 1e6:.2f} M (no ∂input into the data)")
    print(f"plain SGD, learning rate {LEARNING_RATE}, float32, 1 thread per side; "
          f"median of {args.repeats} alternating round(s), seed = round; "
          f"{len(data.train):,} training / {len(data.test):,} test images"
          + (f" (--samples {args.samples}: the first {len(data.train):,}, test images in proportion)"
             if args.samples else ""))
    for batch in args.batches:  # untimed: first calls set up kernels and caches
        for side in args.sides:
            with threadpool_limits(1):
                RUNNERS[side](lenet(0), first(data, 4 * batch), batch, 1, 0)
    print(f"\n{'batch':>5s} {'ep':>2s} {'side':17s} {'e2e/s':>9s} {'epoch/s':>9s} {'ms/step':>8s} {'wall s':>8s} "
          f"{'MFLOP':>6s} {'of limit':>8s} {'acc':>6s}  {'nnstudio ×' if 'nnstudio' in args.sides else ''}")
    for batch in args.batches:
        for epochs in args.epochs:
            speed_rows(args.sides, data, batch, epochs, args.repeats, limit, flops)
    print("\n(e2e/s: epochs × training samples / wall time of the whole call; epoch/s and ms/step: the epoch loop "
          "alone; of limit: e2e/s × the side's FLOPs per sample / the matmul limit; acc: test accuracy after the "
          "last epoch; nnstudio ×: this side's wall time over nnstudio's, per round, median (lowest–highest): "
          f"> 1 means nnstudio is faster; torch {torch.__version__}, oneDNN for its convolutions: "
          f"{torch_uses_onednn()})")


def accuracy(args: argparse.Namespace, data: DataSplit) -> None:
    sides = [side for side in args.sides if side != "by-hand"]
    print(f"nnstudio's engine: {engine_name(32)}")
    print(f"accuracy: LeNet, 5 epochs, Adam lr {ADAM_RATE} (β 0.9/0.999, ε 1e-8), batch 32, float32, seeds "
          f"0–{args.seeds - 1} (the same initial weights on both sides per seed); "
          f"{len(data.train):,} training / {len(data.test):,} test images; test accuracy after epoch 5")
    print(f"{'seed':>4s} " + " ".join(f"{LABELS[side]:>17s}" for side in sides) + "   (wall s)")
    found: dict[str, list[float]] = {side: [] for side in sides}
    for seed in range(args.seeds):
        network = lenet(seed)
        cells = []
        for side in sides:
            with threadpool_limits(1):
                timing = (run_nnstudio(network, data, 32, 5, seed, adam=True) if side == "nnstudio"
                          else run_torch_autograd(network, data, 32, 5, seed, adam=True))
            found[side].append(timing.accuracy)
            cells.append(f"{timing.accuracy:8.2%} ({timing.wall:5.0f})")
        print(f"{seed:4d} " + " ".join(f"{cell:>17s}" for cell in cells), flush=True)
    print(f"{'mean':>4s} " + " ".join(f"{statistics.mean(found[side]):>17.2%}" for side in sides))
    if len(sides) == 2:
        gap = (statistics.mean(found["nnstudio"]) - statistics.mean(found["autograd"])) * 100
        print(f"nnstudio − PyTorch: {gap:+.2f} points (target: nnstudio ≥ 88.5 %, the mean within 1 point)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accuracy", action="store_true", help="the accuracy table (Adam 2e-3, batch 32, 5 epochs)")
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES))
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--epochs", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds per speed cell")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the accuracy table")
    parser.add_argument("--samples", type=int, default=None,
                        help="time on the first N training images (test images in proportion), for quick runs")
    parser.add_argument("--fashion", type=Path, default=None, help="folder of Fashion-MNIST (default: found)")
    args = parser.parse_args()
    if min(args.batches + args.epochs + [args.repeats, args.seeds]) < 1 or (args.samples is not None
                                                                            and args.samples < 1):
        parser.error("batches, epochs, repeats, seeds and samples are whole numbers ≥ 1")
    try:
        import torch
    except ImportError:
        sys.exit("bench_train_conv: PyTorch is needed for the comparison: pip install torch==2.13.0")
    torch.set_num_threads(1)
    if not torch.backends.mkldnn.is_available():
        sys.exit("bench_train_conv: this PyTorch has no oneDNN (torch.backends.mkldnn.is_available() is False)")
    print(f"torch {torch.__version__}, torch.backends.mkldnn.is_available(): True, enabled: "
          f"{torch.backends.mkldnn.enabled}; numpy {np.__version__}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s) (a shared machine: the rounds alternate)")
    data = load("fashion-mnist", Path("."), args.fashion)
    if args.samples:
        data = first(data, args.samples)
    blas.library()  # loaded now, so the list below names it
    print(f"BLAS libraries loaded: {blas_libraries()}")
    if args.accuracy:
        accuracy(args, data)
    else:
        speed(args, data)


if __name__ == "__main__":
    main()
