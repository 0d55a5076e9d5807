"""A fault-injection campaign through the real command line: hostile inputs, counted per class.

Each case runs `python -m nnstudio …` in its own process, as a person would, with a time limit
(a hang) and an address-space limit (an unbounded allocation), and is sorted by what came out:

    ok           exit 0
    refused      exit 2 and exactly one line on stderr, no traceback
    interrupted  exit 130 and the one line "nnstudio: interrupted"
    FAIL …       anything else: a traceback, a hang, a crash, more than one line, a changed output file

The inputs come from the same seeded generators as tests/fuzz, so a failure can be rerun. Usage:

    python scripts/fault_campaign.py [--cases 200] [--jobs 2] [--report campaign.json]

Prints a table of outcomes per class and exits 1 if any case failed.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.fuzz.test_fuzz_datasets import FILE_NAMES, csv_texts, image_splits  # noqa: E402
from tests.fuzz.test_fuzz_expressions import expressions  # noqa: E402
from tests.fuzz.test_fuzz_network_files import mutated_files  # noqa: E402

TIMEOUT = 60.0
MEMORY = 3 * 2**30


def collect(strategy: st.SearchStrategy, count: int) -> list:
    """`count` seeded draws from `strategy` (the same ones on every run)."""
    found: list = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value):  # type: ignore[no-untyped-def]
        found.append(value)

    draw()
    return found[:count]


def _prepare_child() -> None:
    """Limit the child's address space, and give it Ctrl-C back: a shell that started this script in the
    background (`… &`) ignores SIGINT, and children inherit that, so Python would never see the signal."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(args: list[str], cwd: Path, interrupt_after: float | None = None) -> tuple[str, str]:
    """(outcome, detail) of one `nnstudio` run."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / "cache")}
    process = subprocess.Popen([sys.executable, "-m", "nnstudio", *args], cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, preexec_fn=_prepare_child)
    try:
        if interrupt_after is not None:
            time.sleep(interrupt_after)
            process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return "FAIL hang", " ".join(args)[:200]
    lines = err.strip().splitlines()
    if "Traceback" in err or "MemoryError" in err:
        return "FAIL traceback", err[-400:]
    if process.returncode == 0:
        return "ok", ""
    if process.returncode == 2 and len(lines) == 1:
        return "refused", lines[0][:200]
    if process.returncode == 130 and lines == ["nnstudio: interrupted"]:
        return "interrupted", ""
    return f"FAIL exit {process.returncode}", err[-400:]


def network_cases(n: int, folder: Path) -> list[tuple[str, list[str], Path]]:
    cases = []
    for i, raw in enumerate(collect(mutated_files(), n)):
        path = folder / f"net{i}.nnstudio"
        path.write_bytes(raw)
        command = ["eval", "step", "step"][i % 3]
        extra = ["--out", str(folder / f"out{i}.nnstudio")] if i % 3 == 2 else []
        cases.append(("network files", [command, str(path), *extra], folder))
    return cases


def expression_cases(n: int, folder: Path) -> list[tuple[str, list[str], Path]]:
    cases = []
    for i, text in enumerate(collect(expressions(), n)):
        text = text.replace("\0", "")  # argv cannot hold NUL
        text = text.encode("utf-8", "replace").decode("utf-8")
        option = i % 4
        if option == 0:
            args = ["eval", "cosine-memory", "--input", text, "0"]
        elif option == 1:
            args = ["step", "cosine-memory", "--target", text]
        elif option == 2:
            args = ["step", "cosine-memory", "--lr", text]
        else:
            args = ["eval", "xor", "--dataset", f"function:{text}"]
        cases.append(("expressions", args, folder))
    return cases


def csv_cases(n: int, folder: Path) -> list[tuple[str, list[str], Path]]:
    cases = []
    for i, text in enumerate(collect(csv_texts(), n)):
        path = folder / f"data{i}.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        cases.append(("CSV datasets", ["eval", "xor", "--dataset", str(path)], folder))
    return cases


def _pixels(images: bytes) -> int:
    """h·w from an uncompressed 3-D IDX header, else 784."""
    if len(images) >= 16 and images[:2] == b"\0\0" and images[3] == 3:
        h, w = struct.unpack(">II", images[8:16])
        if 1 <= h * w <= 4096:
            return h * w
    return 784


def image_set_cases(n: int, folder: Path) -> list[tuple[str, list[str], Path]]:
    cases = []
    for i, (train, test) in enumerate(collect(st.tuples(image_splits(), image_splits()), n)):
        place = folder / f"set{i}"
        place.mkdir()
        for role, data in (("train_images", train[0]), ("train_labels", train[1]), ("test_images", test[0]),
                           ("test_labels", test[1])):
            (place / FILE_NAMES[role]).write_bytes(gzip.compress(data, mtime=0) if data[:2] != b"\x1f\x8b" else data)
        network = place / "fits.nnstudio"  # a network sized for the images, so a good set is evaluated
        network.write_text(json.dumps({
            "format": "nnstudio.network", "version": 1, "input": {"size": _pixels(train[0])}, "loss": "cce",
            "layers": [{"size": 10, "activation": "softmax", "weights": {"init": "he"}, "bias": [0] * 10}]}))
        cases.append(("IDX datasets", ["eval", str(network), "--dataset", "mnist", "--data-dir", str(place)], folder))
    return cases


def special_cases(folder: Path) -> list[tuple[str, list[str], Path]]:
    fifo = folder / "pipe.nnstudio"
    os.mkfifo(fifo)
    return [("devices and pipes", ["eval", "/dev/zero"], folder), ("devices and pipes", ["eval", "/dev/urandom"], folder),
            ("devices and pipes", ["eval", str(fifo)], folder),
            ("devices and pipes", ["eval", "xor", "--dataset", str(fifo)], folder),
            ("output paths", ["train", "xor", "--dataset", "xor", "--out", str(folder)], folder),
            ("output paths", ["train", "xor", "--dataset", "xor", "--seed", "-1", "--out", "x.nnstudio"], folder),
            ("output paths", ["eval", "xor", "--dataset", ""], folder)]


def interrupt_cases(n: int, folder: Path) -> list[tuple[str, list[str], Path, float]]:
    out = folder / "kept.nnstudio"
    out.write_text("previous\n")
    return [("Ctrl-C during train", ["train", "xor", "--dataset", "xor", "--epochs", "1000000", "--batch-size", "1",
                                     "--quiet", "--out", str(out)], folder, 0.8 + 0.1 * (i % 10)) for i in range(n)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200, help="cases per generated class")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--report", help="write the counts as JSON here")
    parser.add_argument("--only", nargs="+", choices=["network", "expressions", "csv", "idx", "special"],
                        help="run these classes only (and no interrupts)")
    options = parser.parse_args()
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    failures: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nnstudio-campaign-") as tmp:
        folder = Path(tmp)
        every = {"network": lambda: network_cases(options.cases, folder),
                 "expressions": lambda: expression_cases(options.cases, folder),
                 "csv": lambda: csv_cases(options.cases, folder),
                 "idx": lambda: image_set_cases(options.cases // 2, folder),
                 "special": lambda: special_cases(folder)}
        chosen = options.only or list(every)
        cases = [case for name in chosen for case in every[name]()]
        interrupts = interrupt_cases(max(4, options.cases // 20), folder) if not options.only else []
        print(f"{len(cases) + len(interrupts)} cases, {options.jobs} at a time …", flush=True)

        def one(case):  # type: ignore[no-untyped-def]
            kind, args, cwd, *after = case
            return kind, args, run(args, cwd, after[0] if after else None)

        with ThreadPoolExecutor(options.jobs) as pool:
            for kind, args, (outcome, detail) in pool.map(one, cases + interrupts):
                counts[kind][outcome] += 1
                if outcome.startswith("FAIL"):
                    failures.append((kind, " ".join(args)[:160], detail))
        if interrupts:
            kept = (folder / "kept.nnstudio").read_text() == "previous\n"
            counts["Ctrl-C during train"]["output file untouched" if kept else "FAIL output file changed"] += 1
            leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
            counts["Ctrl-C during train"]["FAIL temp files left" if leftovers else "no temp file left"] += 1
    elapsed = time.perf_counter() - started
    print(f"\n{'class':24s} {'cases':>6s}  outcomes")
    for kind, counter in counts.items():
        total = sum(v for k, v in counter.items() if not k.startswith(("output", "no temp", "FAIL output", "FAIL temp")))
        print(f"{kind:24s} {total:6d}  " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
    print(f"\n{len(failures)} failures in {elapsed:.0f} s")
    for kind, args, detail in failures[:20]:
        print(f"- {kind}: nnstudio {args}\n  {detail!r}")
    if options.report:
        Path(options.report).write_text(json.dumps({k: dict(v) for k, v in counts.items()}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
