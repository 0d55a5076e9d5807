"""Output paths for the fault campaign: every command that writes, given a target that is not a regular file.

Each case gets its own folder holding one target: a FIFO, a character device (the null device's numbers,
made with mknod inside the campaign's folder, only when running as root; the real /dev is never touched),
a UNIX socket, a symlink to a regular file, a dangling symlink, or a folder — and, as controls, a regular
file and a new name, which must be written. After the case the target must be the same kind of node, a
symlink's file unchanged and a dangling symlink still dangling (else "clobbered output"); a non-regular
target must be refused, not written (else "not refused"); no temporary file may be left beside it.
A FIFO that a command opens for writing blocks it: the case's short time limit ends it ("hang").
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
from pathlib import Path
from typing import Any

from campaign_case import Case, Result, Runner, nnstudio

#: A writer of a tiny network takes about a second; a FIFO case that blocks is ended after this.
OUTPUT_TIMEOUT = 20.0
TARGETS = ["FIFO", "character device", "socket", "symlink to a file", "dangling symlink", "folder", "regular file",
           "new name"]
CONTROLS = ("regular file", "new name")
PREVIOUS = b"previous contents\n"


def _commands(source: Path) -> list[tuple[str, str, list[str]]]:
    """(name, suffix of the target, arguments with OUT where the target goes) for each writing command."""
    return [
        ("export-pytorch", ".py", ["export", "xor", "--to", "pytorch", "--out", "OUT"]),
        ("export-numpy", ".py", ["export", "xor", "--to", "numpy", "--out", "OUT"]),
        ("export-onnx", ".onnx", ["export", "xor", "--to", "onnx", "--out", "OUT"]),
        ("export-safetensors", ".safetensors", ["export", "xor", "--to", "safetensors", "--out", "OUT"]),
        ("step", ".nnstudio", ["step", "xor", "--out", "OUT"]),
        ("train", ".nnstudio", ["train", "xor", "--dataset", "xor", "--epochs", "1", "--quiet", "--out", "OUT"]),
        ("new", ".nnstudio", ["new", "2-2-1", "--out", "OUT"]),
        ("import", ".nnstudio", ["import", str(source), "--out", "OUT"]),
    ]


def _make(kind: str, target: Path) -> bool:
    """Make `target` as a node of `kind`; False when it cannot be made here (a device node needs root)."""
    if kind == "FIFO":
        os.mkfifo(target)
    elif kind == "character device":
        if os.geteuid() != 0:
            return False
        os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the null device's numbers, in our folder
    elif kind == "socket":
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(str(target))
    elif kind == "symlink to a file":
        (target.parent / "linked.txt").write_bytes(PREVIOUS)
        target.symlink_to("linked.txt")
    elif kind == "dangling symlink":
        target.symlink_to("missing.txt")
    elif kind == "folder":
        target.mkdir()
    elif kind == "regular file":
        target.write_bytes(PREVIOUS)
    return True


def _state(target: Path) -> dict[str, Any]:
    """What the campaign compares before and after: the node's kind and what a change would show.

    lstat and readlink only: the campaign never opens the target itself (a FIFO would block it)."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return {"kind": "absent"}
    mode = info.st_mode
    state: dict[str, Any] = {"kind": stat.S_IFMT(mode)}
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        state["device"] = info.st_rdev
    elif stat.S_ISLNK(mode):
        state["link"] = os.readlink(target)
        linked = target.parent / state["link"]
        state["linked"] = hashlib.sha256(linked.read_bytes()).hexdigest() if linked.is_file() else "absent"
    elif stat.S_ISDIR(mode):
        state["entries"] = sorted(p.name for p in target.iterdir())
    return state


def _describe(state: dict[str, Any]) -> str:
    names = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFSOCK: "a socket",
             stat.S_IFLNK: "a symlink", stat.S_IFDIR: "a folder", stat.S_IFREG: "a regular file"}
    return names.get(state["kind"], str(state["kind"]))


def _after(kind: str, target: Path, before: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The check run after one output-path case."""

    def check(result: Result, run: Runner) -> Result:
        after = _state(target)
        leftovers = sorted(p.name for p in target.parent.iterdir() if p.name.endswith(".tmp"))
        if kind in CONTROLS:
            if result.outcome == "ok" and after["kind"] != stat.S_IFREG:
                return result.failed("FAIL unwritten output", f"exit 0 but the target is {_describe(after)}",
                                     "unwritten")
            if result.outcome == "refused":
                return result.failed("FAIL refused a plain target", result.detail, "refused plain")
        elif after != before:
            changed = ("the linked file changed" if after.get("linked") != before.get("linked") and
                       after["kind"] == before["kind"] else f"{_describe(before)} is now {_describe(after)}"
                       if after["kind"] != before["kind"] else "its contents changed")
            return result.failed("FAIL clobbered output", f"{kind}: {changed}", "clobbered")
        elif result.outcome == "ok":
            return result.failed("FAIL not refused", f"{kind}: exit 0 (left as it was, but not refused)",
                                 "not refused")
        if leftovers:
            return result.failed("FAIL temp files left", ", ".join(leftovers)[:200], "temp files")
        return result

    return check


def output_path_cases(folder: Path) -> tuple[list[Case], list[str]]:
    """The cases, and the targets that could not be made here (with the reason) to say in the report."""
    place = folder / "outputs"
    place.mkdir(exist_ok=True)
    nnstudio("export", "xor", "--to", "onnx", "--out", "source.onnx", cwd=place)
    source = place / "source.onnx"
    cases, skipped = [], []
    for name, suffix, args in _commands(source):
        for kind in TARGETS:
            case_folder = place / f"{name}-{kind.replace(' ', '-')}"
            case_folder.mkdir()
            target = case_folder / f"target{suffix}"
            if not _make(kind, target):
                skipped.append(f"{kind} targets: mknod needs root")
                continue
            command = [str(target) if arg == "OUT" else arg for arg in args]
            cases.append(Case("output paths", command, case_folder, timeout=OUTPUT_TIMEOUT,
                              check=_after(kind, target, _state(target)), note=f"{name} onto a {kind}"))
    return cases, sorted(set(skipped))
