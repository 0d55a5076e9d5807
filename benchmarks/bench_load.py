"""Opening the largest network files within the budgets, and refusing amplified JSON, against plain json.loads.

    python benchmarks/bench_load.py [--amplified-mib 60] [--repeats 1]

Each case is a file written to a temporary folder. For nnstudio, "time" is the whole `load_project`
call (read, parse, validate, build) and "peak" the most memory Python and numpy held meanwhile
(tracemalloc, measured in a second call, since tracing slows allocation). The peer is the strongest
reader without validation one can write in a few lines: `json.loads` of the same bytes, then
`np.array` of each list of numbers a network needs (weights, biases, samples, run rows), nothing checked.
"bound" is what reading may take: 4 × the file's size + 64 MiB (core/limits.py).

The cases:

- the largest network: MAX_PARAMETERS weights and biases (4096 → 2047 → 1), each the longest float64
  text (24 characters, such as -1.2345678901234567e-300), written by nnstudio's own `dumps`;
- the largest convolutions, every value the longest float64 text: one layer of 1×1 kernels and one of
  3×3 kernels, each just within MAX_PARAMETERS;
- the most samples: MAX_FILE_SAMPLES samples holding MAX_SAMPLE_VALUES numbers at full precision;
- the most runs: MAX_RUNS runs of MAX_RUN_ROWS epoch rows and MAX_CURVE_POINTS curve points each;
- the most expressions: MAX_EXPRESSION_CHARACTERS characters of distinct expressions of the costliest
  shape (measured first: the table of microseconds a character);
- amplified JSON under an unknown key, each refused: `[],`, `{},`, `[[[…]]]`, `0.5,`, `"",`.

A case that does not open (or an amplified one that does) is an error: the figures would mean nothing.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from timing import median_time  # benchmarks/timing.py, beside this script

from nnstudio.core import Conv2DLayer, DenseLayer, Network
from nnstudio.core.expr import evaluate_number
from nnstudio.core.limits import (
    MAX_EXPRESSION_CHARACTERS,
    MAX_FILE_SAMPLES,
    MAX_PARAMETERS,
    MAX_RUN_ROWS,
    MAX_RUNS,
    MAX_SAMPLE_VALUES,
    READ_MEMORY_FACTOR,
    READ_MEMORY_OVERHEAD,
    describe_bytes,
)
from nnstudio.core.project import Project, Sample
from nnstudio.core.runs import MAX_CURVE_POINTS, EpochRow, RunRecord
from nnstudio.io import NetworkFileError, dumps, load_example, load_project

MiB = 2**20


def longest_floats(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Floats whose shortest repr is as long as a float64's gets (24 characters: -1.2345678901234567e-300)."""
    mantissa = rng.uniform(1.0, 9.999, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return mantissa * 10.0 ** rng.integers(-307, -100, size=shape)


def largest_network() -> str:
    rng = np.random.default_rng(0)
    hidden = 2047  # 4096·2047 + 2047 + 2047 + 1 = 8,388,607 ≤ MAX_PARAMETERS
    layers = (DenseLayer(longest_floats(rng, (hidden, 4096)), longest_floats(rng, (hidden,)), "relu"),
              DenseLayer(longest_floats(rng, (1, hidden)), longest_floats(rng, (1,)), "identity"))
    network = Network(4096, layers)
    assert network.parameter_count <= MAX_PARAMETERS and MAX_PARAMETERS - network.parameter_count < 16
    return dumps(Project(network))


def largest_conv(k: int, channels_in: int, channels_out: int) -> str:
    """One convolution of `channels_out` k×k kernels over `channels_in` maps of k×k, its parameters just within
    MAX_PARAMETERS. Both kernels are written as rows (small grids in a large kernel: io/spatial_layer_json.py);
    as nested 1×1 grids, 5.5 million values would take about 2.4 GiB to read, and be refused."""
    rng = np.random.default_rng(0)
    layer = Conv2DLayer(longest_floats(rng, (channels_out, channels_in, k, k)), longest_floats(rng, (channels_out,)),
                        (channels_in, k, k), activation="relu")
    network = Network(channels_in * k * k, (layer,), (channels_in, k, k))
    assert network.parameter_count <= MAX_PARAMETERS and MAX_PARAMETERS - network.parameter_count < 16_384
    return dumps(Project(network))


def most_samples() -> str:
    rng = np.random.default_rng(1)
    inputs = MAX_SAMPLE_VALUES // MAX_FILE_SAMPLES - 1  # 99 inputs and 1 target a sample
    network = Network(inputs, (DenseLayer(rng.standard_normal((1, inputs)), np.zeros(1), "identity"),))
    samples = tuple(Sample(f"sample {i + 1}", longest_floats(rng, (inputs,)), longest_floats(rng, (1,)))
                    for i in range(MAX_FILE_SAMPLES))
    return dumps(Project(network, samples=samples))


def most_runs() -> str:
    rng = np.random.default_rng(2)
    settings = {"epochs": MAX_RUN_ROWS, "batch_size": 32, "optimizer": "adam", "learning_rate": 0.001, "l2": 0.0,
                "seed": 0, "schedule": "constant", "stop": "none"}
    runs = []
    for _ in range(MAX_RUNS):
        losses = rng.uniform(0.01, 1.0, size=(MAX_RUN_ROWS, 3))
        rows = [EpochRow(n + 1, losses[n, 0], losses[n, 1], losses[n, 2], 0.0012345678901234567, 60_000 * (n + 1))
                for n in range(MAX_RUN_ROWS)]
        curve = tuple((600 * (k + 1), float(v)) for k, v in enumerate(rng.uniform(0.01, 1.0, MAX_CURVE_POINTS)))
        runs.append(RunRecord("mnist", settings, rows, curve, 1234.5678, "finished", (784, 128, 10)))
    return dumps(load_example("xor").replace(runs=tuple(runs)))


LONGEST = 999  # characters of the longest expression the parser takes (core/expr.py's MAX_LENGTH)
# Shapes of expression costly to parse: a unit repeated, then an ending that closes it.
SHAPES = {"1+-1+-…": ("1+-", "1"), "1+1+…": ("1+", "1"), "(1)(1)…": ("(1)", ""), "e+e+…": ("e+", "e"),
          "1*(1)*…": ("1*(1)*", "1"), "sin(1)+…": ("sin(1)+", "1"), "1/sqrt(2)*…": ("1/sqrt(2)*", "1")}


def expression(shape: str, length: int = LONGEST) -> str:
    """An expression of `shape`, at most `length` characters long."""
    unit, end = SHAPES[shape]
    return unit * ((length - len(end)) // len(unit)) + end


def costliest_expression() -> tuple[str, dict[str, float]]:
    """The shape whose characters cost most to evaluate, and each shape's µs a character."""
    costs = {}
    for shape in SHAPES:
        text = expression(shape)
        evaluate_number(text)
        costs[shape] = min(median_time(lambda t=text: evaluate_number(t), 20) for _ in range(3)) * 1e6 / len(text)
    return max(costs, key=costs.__getitem__), costs


def most_expressions(shape: str) -> str:
    """Distinct expressions of `shape` ("k+" before each), MAX_EXPRESSION_CHARACTERS characters in all, as the
    weights of one square layer."""
    texts, total = [], 0
    while True:
        prefix = f"{len(texts)}+"
        text = prefix + expression(shape, LONGEST - len(prefix))
        if total + len(text) > MAX_EXPRESSION_CHARACTERS:
            break
        texts.append(text)
        total += len(text)
    size = int(np.ceil(np.sqrt(len(texts))))
    data = json.loads(dumps(Project(Network(size, (DenseLayer(np.zeros((size, size)), np.zeros(size), "identity"),)))))
    for k, text in enumerate(texts):
        evaluate_number(text)
        data["layers"][0]["weights"][k // size][k % size] = text
    assert len(set(texts)) == len(texts) and MAX_EXPRESSION_CHARACTERS - total < LONGEST
    return json.dumps(data)


def amplified(unit: bytes, size: int) -> bytes:
    """`unit` repeated to `size` bytes under an unknown key of a valid file."""
    text = dumps(load_example("xor")).encode()
    if unit == b"[":
        junk = b"[" * (size // 2) + b"]" * (size // 2)
    else:
        junk = b"[" + unit * (size // len(unit)) + b"0]"
    return b'{"junk": ' + junk + b", " + text[1:]


def numbers(values: list) -> np.ndarray | list:
    """np.array of a list of numbers (null as NaN); a list holding text (expressions) is left as it is."""
    try:
        return np.array(values, dtype=float)
    except (TypeError, ValueError):
        return values


def peer(path: Path) -> object:
    """json.loads of the bytes, then np.array of every list of numbers a network needs; nothing checked, and
    no expression evaluated."""
    tree = json.loads(path.read_bytes())
    if isinstance(tree, dict):
        for layer in tree.get("layers", []):
            if "kernel" in layer:
                layer["kernel"] = numbers(layer["kernel"])
            if "weights" in layer:
                layer["weights"] = numbers(layer["weights"])
            if layer.get("bias") is not None:
                layer["bias"] = numbers(layer["bias"])
        for sample in tree.get("samples", []):
            sample["input"], sample["target"] = numbers(sample["input"]), numbers(sample["target"])
        for run in tree.get("runs", []):
            run["epochs"], run["train_curve"] = numbers(run["epochs"]), numbers(run["train_curve"])
    return tree


def measure(action: Callable[[], object], repeats: int) -> tuple[float, int, str]:
    """(seconds, peak bytes, outcome): an untraced timing, then a traced call for the peak."""
    def run() -> str:
        try:
            action()
            return "opened"
        except NetworkFileError as error:
            return f"refused: {error.reason}"
        except (MemoryError, RecursionError) as error:
            return type(error).__name__

    gc.collect()
    outcome = ""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        outcome = run()
        times.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return float(np.median(times)), peak, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--amplified-mib", type=int, default=60, help="size of each amplified file (MiB)")
    parser.add_argument("--repeats", type=int, default=1, help="timed calls per case (the median is shown)")
    args = parser.parse_args()

    worst, costs = costliest_expression()
    print("expression cost, µs a character (999-character expressions, best of 3 × 20):")
    for name, cost in costs.items():
        mark = "   ← the costliest: the expressions case uses it" if name == worst else ""
        print(f"  {name:14s} {cost:5.2f}{mark}")
    print(f"  {MAX_EXPRESSION_CHARACTERS:,} characters of the costliest: about "
          f"{costs[worst] * MAX_EXPRESSION_CHARACTERS / 1e6:.2f} s to evaluate\n")

    size = args.amplified_mib * MiB
    valid: dict[str, Callable[[], str | bytes]] = {
        f"largest network ({MAX_PARAMETERS:,} parameters)": largest_network,
        "largest conv, 1×1 kernels (2048 → 4094)": lambda: largest_conv(1, 2048, 4094),
        "largest conv, 3×3 kernels (512 → 1820)": lambda: largest_conv(3, 512, 1820),
        f"most samples ({MAX_FILE_SAMPLES:,} × 100 numbers)": most_samples,
        f"most runs ({MAX_RUNS} × {MAX_RUN_ROWS:,} rows)": most_runs,
        f"most expressions ({MAX_EXPRESSION_CHARACTERS:,} characters)": lambda: most_expressions(worst),
    }
    hostile: dict[str, Callable[[], str | bytes]] = {
        f"amplified '[],' ({args.amplified_mib} MiB)": lambda: amplified(b"[],", size),
        f"amplified '{{}},' ({args.amplified_mib} MiB)": lambda: amplified(b"{},", size),
        f"amplified '[[[…]]]' ({args.amplified_mib} MiB)": lambda: amplified(b"[", size),
        f"amplified '0.5,' ({args.amplified_mib} MiB)": lambda: amplified(b"0.5,", size),
        f"amplified '\"\",' ({args.amplified_mib} MiB)": lambda: amplified(b'"",', size),
    }
    header = (f"{'case':44s} {'file':>9s} {'bound':>9s} │ {'nnstudio':>8s} {'peak':>9s} {'×size':>6s} │ "
              f"{'peer':>8s} {'peak':>9s} {'×size':>6s}")
    print(header)
    print("─" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        for name, make in {**valid, **hostile}.items():
            path = Path(folder) / "case.nnstudio"
            text = make()
            path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
            del text
            gc.collect()
            file_size = path.stat().st_size
            bound = READ_MEMORY_FACTOR * file_size + READ_MEMORY_OVERHEAD
            ours_time, ours_peak, ours_outcome = measure(lambda path=path: load_project(path), args.repeats)
            expected = "opened" if name in valid else "refused"
            if not ours_outcome.startswith(expected):
                raise SystemExit(f"{name}: expected nnstudio to have {expected} it, got: {ours_outcome}")
            peer_time, peer_peak, peer_outcome = measure(lambda path=path: peer(path), args.repeats)
            if peer_outcome != "opened":
                peer_cell = f"{peer_outcome:>26s}"
            else:
                peer_cell = f"{peer_time:7.2f}s {describe_bytes(peer_peak):>9s} {peer_peak / file_size:5.1f}×"
            print(f"{name:44s} {describe_bytes(file_size):>9s} {describe_bytes(bound):>9s} │ {ours_time:7.2f}s "
                  f"{describe_bytes(ours_peak):>9s} {ours_peak / file_size:5.1f}× │ {peer_cell}"
                  f"{'' if ours_peak <= bound else '   OVER THE BOUND'}")
            if name in hostile:
                print(f"{'':44s} └ {ours_outcome[:150]}")


if __name__ == "__main__":
    main()
