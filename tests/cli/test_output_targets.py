"""Outputs go only where they should (issue 29): every command that writes a file refuses, before any work, a
target that is not a regular file or a new name — a FIFO, a device node, a socket, a folder, a symbolic link
(to a regular file or to nothing) — with exit status 2 and one line naming the path and what it is; and
afterwards the node is still what it was. Also: what reaches the terminal is escaped and cut."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nnstudio.cli import main
from nnstudio.core.errors import TERMINAL_LINE
from nnstudio.io import load_example, save_project
from nnstudio.interop.safetensors_file import save_safetensors

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, device nodes and UNIX sockets are POSIX")

NAME = "out.file"
# Each command that writes, with the name of its output in place of NAME. All run in the test's folder.
COMMANDS = {
    "export-onnx": ["export", "xor", "--to", "onnx", "--out", NAME],
    "export-safetensors": ["export", "xor", "--to", "safetensors", "--out", NAME],
    "export-numpy": ["export", "xor", "--to", "numpy", "--out", NAME],
    "export-pytorch": ["export", "xor", "--to", "pytorch", "--out", NAME],
    "step": ["step", "xor", "--out", NAME],
    "train": ["train", "xor", "--dataset", "xor", "--epochs", "1", "--quiet", "--out", NAME],
    "new": ["new", "2-3-1", "--out", NAME],
    "import": ["import", "model.safetensors", "--out", NAME],
}
WHAT = {
    "fifo": "is a named pipe (FIFO); give the name of a regular file or a new one",
    "device": "is a character device; give the name of a regular file or a new one",
    "socket": "is a socket; give the name of a regular file or a new one",
    "symlink": "is a symbolic link; give the name of a regular file or a new one",
    "dangling": "is a symbolic link to nothing (dangling); give the name of a regular file or a new one",
    "folder": f"is a folder; give a file name, e.g. {Path(NAME) / 'trained.nnstudio'}",
}
PRECIOUS = b"the file the link points at\n"


def _args(command: str) -> list[str]:
    return COMMANDS[command]


def _plant(folder: Path, kind: str) -> socket.socket | None:
    """Make NAME in `folder` a node of `kind`; a socket is returned (bound: it must stay open)."""
    target = folder / NAME
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("mknod of a character device needs root")
        os.mknod(target, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # the null device's numbers, here in tmp_path
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(NAME)  # relative: the cwd is `folder`, and a socket path may be only ~100 bytes long
        return server
    elif kind == "symlink":
        (folder / "precious.txt").write_bytes(PRECIOUS)
        os.symlink("precious.txt", target)
    elif kind == "dangling":
        os.symlink("nowhere.txt", target)
    elif kind == "folder":
        target.mkdir()
    return None


def _still(folder: Path, kind: str) -> None:
    """The node is what it was, and nothing else appeared beside it (no temp file, no renamed copy)."""
    target = folder / NAME
    mode = os.lstat(target).st_mode
    check = {"fifo": stat.S_ISFIFO, "device": stat.S_ISCHR, "socket": stat.S_ISSOCK, "symlink": stat.S_ISLNK,
             "dangling": stat.S_ISLNK, "folder": stat.S_ISDIR}[kind]
    assert check(mode), f"{NAME} is no longer a {kind}: mode {oct(mode)}"
    if kind == "symlink":
        assert os.readlink(target) == "precious.txt" and (folder / "precious.txt").read_bytes() == PRECIOUS
    if kind == "dangling":
        assert os.readlink(target) == "nowhere.txt" and not (folder / "nowhere.txt").exists()
    if kind == "folder":
        assert not any(target.iterdir())
    expected = {NAME, "model.safetensors"} | ({"precious.txt"} if kind == "symlink" else set())
    assert {p.name for p in folder.iterdir()} == expected


@pytest.fixture
def folder(tmp_path, monkeypatch):
    save_safetensors(load_example("xor"), tmp_path / "model.safetensors")  # what `import` reads
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("kind", ["device", "socket", "symlink", "dangling", "folder"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_output_that_is_not_a_regular_file_is_refused_before_any_work_and_left_as_it_was(
        folder, capsys, command, kind):
    server = _plant(folder, kind)
    try:
        status = main(_args(command))
        captured = capsys.readouterr()
    finally:
        if server is not None:
            server.close()
    assert status == 2, captured.err
    assert captured.err.splitlines() == [f"nnstudio: error: {NAME}: {WHAT[kind]}"]
    assert captured.out == ""  # refused before any work: no "training …", no printed step
    _still(folder, kind)


@pytest.mark.slow
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_fifo_output_is_refused_at_once_and_stays_a_fifo(folder, command):
    # In a child with a timeout: a FIFO without a reader blocks an open for writing forever, so a
    # regression here must fail the test, not hang it.
    _plant(folder, "fifo")
    result = subprocess.run([sys.executable, "-m", "nnstudio", *_args(command)], capture_output=True, text=True,
                            timeout=60, cwd=folder, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"nnstudio: error: {NAME}: {WHAT['fifo']}"]
    assert result.stdout == ""
    _still(folder, "fifo")


def test_a_script_whose_values_file_would_be_a_fifo_writes_neither_file(tmp_path, capsys):
    # A network over the inline budget puts its values beside the script (NAME.npz): both names are
    # checked before either file is written.
    network = tmp_path / "big.nnstudio"
    assert main(["new", "100-100-10", "--out", str(network)]) == 0
    values = tmp_path / "script.npz"
    os.mkfifo(values)
    reader = os.open(values, os.O_RDONLY | os.O_NONBLOCK)  # a reader: a regression cannot block the test
    try:
        capsys.readouterr()
        status = main(["export", str(network), "--to", "numpy", "--out", str(tmp_path / "script.py")])
        err = capsys.readouterr().err
        assert status == 2
        assert err.splitlines() == [f"nnstudio: error: {values}: {WHAT['fifo']}"]
        assert os.read(reader, 1) == b""  # nothing was written into it
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(values).st_mode)
    assert not (tmp_path / "script.py").exists()


def test_a_regular_file_is_still_replaced_as_before(folder, capsys):
    (folder / NAME).write_text("old\n")
    assert main(["new", "2-3-1", "--out", NAME]) == 0
    assert (folder / NAME).read_text().startswith("{")


# ----------------------------------------------------------------------------- the terminal


def test_a_file_name_holding_an_escape_sequence_reaches_the_terminal_escaped(tmp_path):
    bad = tmp_path / "\x1b[31mred\x07.nnstudio"
    bad.write_text("{ not json")
    result = subprocess.run([sys.executable, "-m", "nnstudio", "eval", str(bad)], capture_output=True, timeout=60,
                            check=False)
    assert result.returncode == 2
    assert b"\x1b" not in result.stderr and b"\x07" not in result.stderr
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and "\\x1b[31mred\\x07.nnstudio" in lines[0], lines


def test_a_saved_line_naming_an_escape_sequence_is_escaped_and_the_file_keeps_its_name(tmp_path, capsys):
    out = tmp_path / "\x1b]0;owned\x07.nnstudio"  # OSC: would retitle the terminal
    assert main(["new", "2-1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\x07" not in printed
    assert printed.startswith(f"saved {tmp_path}/\\x1b]0;owned\\x07.nnstudio: 2-1")
    assert out.is_file()


def test_a_100000_character_schedule_is_one_short_line_and_status_2(capsys):
    status = main(["train", "xor", "--dataset", "xor", "--schedule", "x" * 100_000, "--out", "never.nnstudio"])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 1 and len(lines[0]) < 300, len(err)
    assert lines[0].startswith("nnstudio: error: argument --schedule: unknown schedule 'xxx")
    assert not Path("never.nnstudio").exists()


@pytest.mark.parametrize("args", [
    ["export", "xor", "--to", "\x1b[2J" * 20_000, "--out", "x.onnx"],       # argparse's "invalid choice"
    ["eval", "xor", "--digits", "9" * 100_000 + "\x1b"],                      # argparse's "invalid int value"
    ["eval", "xor", "--nonsense\x1b[31m", "y" * 100_000],                     # "unrecognized arguments"
    ["\x9b31m" + "z" * 100_000, "xor"],                                       # an unknown command, C1 CSI
])
def test_argparse_refusals_are_one_escaped_line_cut_to_the_limit(capsys, args):
    status = main(args)
    err = capsys.readouterr().err
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 1 and len(lines[0]) <= TERMINAL_LINE, len(err)
    assert lines[0].startswith("nnstudio: error: ")
    assert not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in lines[0]), lines[0]


def test_a_network_name_from_a_file_is_escaped_where_eval_prints_it(tmp_path, capsys):
    path = tmp_path / "named.nnstudio"
    save_project(load_example("xor").replace(name="x\x1b[8mhidden"), path)
    assert main(["eval", str(path)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "x\\x1b[8mhidden: 2-2-1"
