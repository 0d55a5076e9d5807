"""A fault-injection campaign through the real command line: hostile inputs, counted per class.

Each case runs `python -m nnstudio …` in its own process, as a person would, with a time limit
(a hang) and an address-space limit (an unbounded allocation), and is sorted by what came out:

    ok           exit 0
    refused      exit 2 and exactly one line on stderr, no traceback
    interrupted  exit 130 and the one line "nnstudio: interrupted"
    FAIL …       anything else: a traceback, a hang, a crash, more than one line, a changed output file,
                 an output node replaced ("clobbered output"), an import or save that exits 0 with a file
                 `nnstudio eval` cannot open ("unopenable output"), a peak resident size over 4× the input
                 files' size + 64 MiB + the command's baseline (+ the 1 GiB step budget for step and train:
                 "over-budget"), a raw escape sequence on the terminal, a refusal line over 1,000 characters,
                 and an input issue 29 has refused that exits 0 ("accepted")

A case taking over 10 s of CPU is reported as slow. The peak resident size and CPU time come from a
small launcher (scripts/campaign_launch.py), so they are the command's own. The classes: network
files, expressions, CSV and IDX datasets, devices and pipes, ONNX and safetensors models, run records,
output paths (FIFO, device, socket, symlinks, folder as `--out`), amplified files (cheap to write,
costly to read), names and values holding escape sequences (terminal), and Ctrl-C during train.

The inputs come from the same seeded generators as tests/fuzz (and named cases, one file per input
issue 29 lists), so a failure can be rerun; `--keep DIR` keeps the inputs so that each failure's
command can be run again by hand. Usage:

    python scripts/fault_campaign.py [--cases 200] [--jobs 2] [--classes onnx runs …] [--keep DIR]
                                     [--report campaign.json]

Prints a table of outcomes per class, the totals (tracebacks, exit 70, hangs, over-budget, clobbered
outputs) and the failures grouped by cause, and exits 1 if any case failed.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import shlex
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

from campaign_case import LONG_LINE, SLOW_SECONDS, Case, Result, collect, input_size
from hypothesis import strategies as st

from nnstudio.core.limits import STEP_MEMORY_BYTES
from tests.fuzz.test_fuzz_datasets import FILE_NAMES, csv_texts, image_splits
from tests.fuzz.test_fuzz_expressions import expressions
from tests.fuzz.test_fuzz_network_files import mutated_files

TIMEOUT = 60.0
MEMORY = 3 * 2**30
MiB = 2**20
#: The size bound of issue 29: reading a file peaks at no more than 4× its size + 64 MB (above the baseline).
BOUND_FACTOR, BOUND_EXTRA = 4, 64 * MiB
#: Commands that step the network may use the step's own working-memory budget on top of reading the file.
STEPPING = ("step", "train")


LAUNCHER = Path(__file__).with_name("campaign_launch.py")


def _wait(process: subprocess.Popen, timeout: float, interrupt_after: float | None) -> bool:
    """Wait for the launcher of one case; False after a hang (then it and the command are killed).

    The launcher leads its own process group (the command is in it too), so a Ctrl-C and the kill at
    the time limit reach the command; both are sent while the launcher is not yet reaped, so the
    group's id cannot have been reused."""
    try:
        if interrupt_after is not None:
            time.sleep(interrupt_after)
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=max(0.0, timeout - (interrupt_after or 0.0)))
        return True
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return False


def run(args: list[str], cwd: Path, interrupt_after: float | None = None, timeout: float | None = None) -> Result:
    """The sorted outcome of one `nnstudio` run, with its peak resident size and CPU time."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd / "cache")}
    with tempfile.TemporaryDirectory(prefix="nnstudio-case-") as scratch:
        figures = Path(scratch) / "rusage"
        with open(Path(scratch) / "out", "w+b") as out, open(Path(scratch) / "err", "w+b") as errors:
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-S", str(LAUNCHER), str(figures), str(MEMORY), sys.executable, "-m", "nnstudio",
                 *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=errors, env=env,
                start_new_session=True)
            finished = _wait(process, timeout or TIMEOUT, interrupt_after)
            seconds = time.perf_counter() - started
            errors.seek(0)
            err = errors.read().decode("utf-8", "replace")
            out.seek(0)
            said = out.read().decode("utf-8", "replace")
        reported = figures.read_text(encoding="ascii").split() if figures.exists() else []
    if not finished:
        return Result("FAIL hang", f"killed after {timeout or TIMEOUT:.0f} s", None, 0, seconds)
    if len(reported) != 4:
        return Result("FAIL launcher", f"the launcher reported nothing: {err[-300:]}", None, 0, seconds)
    code, peak, cpu = int(reported[0]), int(reported[1]) * 1024, float(reported[2]) + float(reported[3])
    lines = err.strip().splitlines()
    outcome, detail = f"FAIL exit {code}", err[-400:]
    if "Traceback" in err or "MemoryError" in err:
        outcome, detail = "FAIL traceback", err[-400:]
    elif code == 0:
        outcome, detail = "ok", ""
    elif code == 2 and len(lines) == 1:
        outcome, detail = "refused", lines[0][:200]
    elif code == 130 and lines == ["nnstudio: interrupted"]:
        outcome, detail = "interrupted", ""
    result = Result(outcome, detail, code, peak, seconds, cpu)
    # nnstudio itself never writes an escape sequence: one on the terminal came from a name or a value
    raw = [line for line in (said + err).splitlines() if "\x1b" in line or "\x9b" in line]
    if raw:
        result = result.failed("FAIL raw escape on the terminal", ascii(raw[0])[:300], "escape")
    if outcome == "refused" and len(lines[0]) > LONG_LINE:
        result = result.failed("FAIL long line", f"a {len(lines[0]):,}-character line: {lines[0][:150]}…", "long line")
    return result


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


CLASSES = ["network", "expressions", "csv", "idx", "special", "onnx", "safetensors", "runs", "outputs", "amplified",
           "terminal", "interrupt"]


def baselines(folder: Path) -> dict[str, int]:
    """Peak resident size of each command on a trivial valid input: what the interpreter, numpy and the
    command's own imports (onnx for import and export) cost before any input does. Measured once."""
    place = folder / "baseline"
    place.mkdir()
    commands = [["--version"], ["eval", "xor"], ["step", "xor"], ["new", "2-2-1", "--out", "new.nnstudio"],
                ["train", "xor", "--dataset", "xor", "--epochs", "1", "--quiet", "--out", "trained.nnstudio"],
                ["export", "xor", "--to", "onnx", "--out", "xor.onnx"],
                ["export", "xor", "--to", "safetensors", "--out", "xor.safetensors"],
                ["import", "xor.onnx", "--out", "from-onnx.nnstudio"],
                ["import", "xor.safetensors", "--out", "from-safetensors.nnstudio"]]
    found: dict[str, int] = {}
    for args in commands:
        result = run(args, place)
        if result.outcome != "ok":
            raise SystemExit(f"baseline nnstudio {' '.join(args)}: {result.outcome} {result.detail}")
        found[args[0]] = max(found.get(args[0], 0), result.peak)
    return found


def judge(case: Case, result: Result, baseline: dict[str, int]) -> Result:
    """`result` with the campaign's checks applied: the size bound, slowness, and the case's own check."""
    size = case.size if case.size is not None else input_size(case.args, case.cwd)
    verb = case.args[0]
    if size is not None and result.code is not None and verb in baseline:
        bound = BOUND_FACTOR * size + BOUND_EXTRA + baseline[verb] + (STEP_MEMORY_BYTES if verb in STEPPING else 0)
        if result.peak > bound:
            result = result.failed("FAIL over-budget", f"peak {result.peak / MiB:.0f} MiB over the bound "
                                   f"{bound / MiB:.0f} MiB ({size:,}-byte input; {result.seconds:.1f} s)",
                                   "over-budget")
    if case.expect == "refused" and result.outcome == "ok":
        result = result.failed("FAIL accepted", "exit 0, where issue 29 has this input refused", "accepted")
    elif case.expect == "ok" and result.outcome == "refused":
        result = result.failed("FAIL refused a valid input", result.detail, "refused valid")
    if result.cpu > SLOW_SECONDS:
        result = result._replace(flags=result.flags + ("slow",))
    if case.check is not None:
        result = case.check(result, run)
    return result


def totals(results: list[tuple[Case, Result]]) -> dict[str, int]:
    """The figures issue 29 asks the note for (each must be 0), and the others worth reading."""
    outcomes = [r.outcome for _, r in results]
    flags = [f for _, r in results for f in r.flags]
    return {"tracebacks": outcomes.count("FAIL traceback"),
            "exit 70": sum(r.code == 70 for _, r in results),
            "hangs": outcomes.count("FAIL hang"),
            "over-budget": flags.count("over-budget"),
            "clobbered outputs": flags.count("clobbered"),
            "unopenable outputs": flags.count("unopenable"),
            "raw escapes": flags.count("escape"),
            "wrong acceptances": flags.count("accepted"),
            "failures (all causes)": sum(o.startswith("FAIL") for o in outcomes),
            f"slow (> {SLOW_SECONDS:.0f} s)": flags.count("slow")}


def command(case: Case) -> str:
    return "python -m nnstudio " + shlex.join(case.args)


def entry(case: Case, result: Result) -> dict:
    """One case in the JSON report: what it was, how it ended and what it cost."""
    return {"class": case.kind, "note": case.note, "command": command(case)[:2000], "outcome": result.outcome,
            "detail": result.detail, "flags": list(result.flags), "exit": result.code,
            "peak MiB": round(result.peak / MiB), "seconds": round(result.seconds, 1), "CPU seconds": round(result.cpu, 1)}


def print_report(results: list[tuple[Case, Result]], counts: dict[str, collections.Counter], elapsed: float,
                 show: int, folder_note: str) -> None:
    print(f"\n{'class':24s} {'cases':>6s} {'max MiB':>8s} {'max CPU s':>9s}  outcomes")
    for kind, counter in counts.items():
        total = sum(v for k, v in counter.items() if not k.startswith(("output", "no temp", "FAIL output", "FAIL temp")))
        mine = [r for c, r in results if c.kind == kind]
        peak = max((r.peak for r in mine), default=0) / MiB
        slowest = max((r.cpu for r in mine), default=0.0)
        print(f"{kind:24s} {total:6d} {peak:8.0f} {slowest:9.1f}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
    figures = totals(results)
    print("\ntotals: " + " · ".join(f"{k} {v}" for k, v in figures.items()))
    failed = [(c, r) for c, r in results if r.outcome.startswith("FAIL")]
    print(f"\n{len(failed)} failures in {elapsed:.0f} s{folder_note}")
    groups: dict[str, list[tuple[Case, Result]]] = collections.defaultdict(list)
    for case, result in failed:
        groups[result.outcome].append((case, result))
    for outcome, members in sorted(groups.items(), key=lambda item: -len(item[1])):
        print(f"\n{outcome} ({len(members)})")
        for case, result in members[:show]:
            last = result.detail.strip().splitlines()[-1:] or [""]
            print(f"- {case.kind}{': ' + case.note if case.note else ''}\n  {command(case)[:300]}\n  {last[0][:300]!r}")
        if len(members) > show:
            print(f"  … and {len(members) - show} more (--show, --report)")
    slow = [(c, r) for c, r in results if "slow" in r.flags]
    if slow:
        print(f"\nslow (> {SLOW_SECONDS:.0f} s): " + "; ".join(
            f"{c.note or c.kind} {r.cpu:.0f} s CPU ({r.seconds:.0f} s)"
            for c, r in sorted(slow, key=lambda x: -x[1].cpu)[:show]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200,
                        help="cases per generated class (a quarter of it for the model-file and run-record draws)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--report", help="write the counts, totals and failures as JSON here")
    parser.add_argument("--classes", nargs="+", choices=CLASSES, metavar="CLASS",
                        help="run these classes only: " + ", ".join(CLASSES))
    parser.add_argument("--only", nargs="+", choices=CLASSES, dest="classes", help=argparse.SUPPRESS)  # the old name
    parser.add_argument("--keep", metavar="DIR", help="make the inputs in this (new or empty) folder and keep them, so that each "
                                       "failure's command can be run again")
    parser.add_argument("--show", type=int, default=8, help="failures shown per cause")
    options = parser.parse_args()
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    results: list[tuple[Case, Result]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nnstudio-campaign-") as tmp:
        folder = Path(options.keep).resolve() if options.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.iterdir()):
            raise SystemExit(f"--keep {folder}: give a new or empty folder")
        n = options.cases
        skipped: list[str] = []

        def outputs() -> list[Case]:
            from campaign_outputs import output_path_cases

            made, cannot = output_path_cases(folder)
            skipped.extend(cannot)
            return made

        from campaign_files import (
            amplified_cases,
            onnx_cases,
            run_record_cases,
            safetensors_cases,
            terminal_cases,
        )

        every = {"network": lambda: network_cases(n, folder),
                 "expressions": lambda: expression_cases(n, folder),
                 "csv": lambda: csv_cases(n, folder),
                 "idx": lambda: image_set_cases(n // 2, folder),
                 "special": lambda: special_cases(folder),
                 "onnx": lambda: onnx_cases(n // 4, folder),
                 "safetensors": lambda: safetensors_cases(n // 4, folder),
                 "runs": lambda: run_record_cases(n // 4, folder),
                 "outputs": outputs,
                 "amplified": lambda: amplified_cases(folder),
                 "terminal": lambda: terminal_cases(folder),
                 "interrupt": lambda: interrupt_cases(max(4, n // 20), folder)}
        chosen = options.classes or CLASSES
        baseline = baselines(folder)
        cases = [case if isinstance(case, Case) else Case(*case) for name in chosen for case in every[name]()]
        print(f"{len(cases)} cases, {options.jobs} at a time; baseline peak MiB: "
              + ", ".join(f"{k} {v / MiB:.0f}" for k, v in baseline.items())
              + ("" if not skipped else "; not made: " + "; ".join(skipped)), flush=True)

        def one(case: Case) -> tuple[Case, Result]:
            return case, judge(case, run(case.args, case.cwd, case.interrupt_after, case.timeout), baseline)

        with ThreadPoolExecutor(options.jobs) as pool:
            for case, result in pool.map(one, cases):
                counts[case.kind][result.outcome] += 1
                results.append((case, result))
        if "interrupt" in chosen:
            kept = (folder / "kept.nnstudio").read_text() == "previous\n"
            counts["Ctrl-C during train"]["output file untouched" if kept else "FAIL output file changed"] += 1
            leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
            counts["Ctrl-C during train"]["FAIL temp files left" if leftovers else "no temp file left"] += 1
        elapsed = time.perf_counter() - started
        print_report(results, counts, elapsed, options.show, f"; inputs kept in {folder}" if options.keep else
                     " (the inputs are removed: --keep DIR keeps them)")
    if options.report:
        Path(options.report).write_text(json.dumps({
            **{k: dict(v) for k, v in counts.items()}, "totals": totals(results),
            "failures": [entry(c, r) for c, r in results if r.outcome.startswith("FAIL")],
            "cases": [entry(c, r) for c, r in results]}, indent=1, ensure_ascii=False))
    failed = any(r.outcome.startswith("FAIL") for _, r in results) or any(
        k.startswith("FAIL") for counter in counts.values() for k in counter)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
