"""The atomic writer itself refuses what is not a regular file or a new name (issue 29), whoever calls it, and
again just before its rename; so do the download cache and the crash log, the files written in place.

Every FIFO here has a non-blocking reader held open by the test, so a regression that opened it for
writing would find a reader instead of blocking the test forever, and the test reads what came through.
"""

from __future__ import annotations

import os
import stat
import sys

import pytest

from nnstudio import atomic, crash_log
from nnstudio.atomic import OutputPathError, atomic_write, check_can_write
from nnstudio.data import download as download_module
from nnstudio.data.download import DownloadError, download

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and symbolic links as POSIX has them")

PRECIOUS = b"what the link points at\n"


class Fifo:
    """A FIFO at `path` with a reader held open (a writer never blocks); `written()` is what reached it."""

    def __init__(self, path) -> None:
        os.mkfifo(path)
        self.path = path
        self.reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)

    def written(self) -> bytes:
        try:
            return os.read(self.reader, 1 << 16)
        except BlockingIOError:
            return b""

    def close(self) -> None:
        os.close(self.reader)


@pytest.fixture
def fifo(tmp_path):
    made = Fifo(tmp_path / "out.bin")
    yield made
    made.close()


def test_atomic_write_called_directly_refuses_a_fifo_and_leaves_it_a_fifo(tmp_path, fifo):
    with pytest.raises(OutputPathError, match=r"out\.bin: is a named pipe \(FIFO\); give the name of a regular"):
        atomic_write(fifo.path, b"data")
    assert stat.S_ISFIFO(os.lstat(fifo.path).st_mode) and fifo.written() == b""
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]  # no temporary file left beside it


@pytest.mark.parametrize("dangling", [False, True])
def test_atomic_write_called_directly_refuses_a_symbolic_link_and_keeps_it(tmp_path, dangling):
    link = tmp_path / "out.bin"
    if not dangling:
        (tmp_path / "real.bin").write_bytes(PRECIOUS)
    os.symlink("real.bin", link)
    with pytest.raises(OutputPathError, match="is a symbolic link" + (" to nothing" if dangling else ";")):
        atomic_write(link, b"data")
    assert os.path.islink(link) and os.readlink(link) == "real.bin"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["out.bin"] if dangling else ["out.bin", "real.bin"])
    if not dangling:
        assert (tmp_path / "real.bin").read_bytes() == PRECIOUS


def test_a_fifo_planted_between_the_check_and_the_rename_is_refused_not_replaced(tmp_path, monkeypatch):
    # The target is a new name when atomic_write starts; while the data is being written, someone makes it
    # a FIFO. The check right before the rename refuses rather than renames over it.
    target = tmp_path / "out.bin"
    planted: list[Fifo] = []
    real_fsync = os.fsync

    def fsync_then_plant(fd):
        real_fsync(fd)
        planted.append(Fifo(target))

    monkeypatch.setattr(atomic.os, "fsync", fsync_then_plant)
    try:
        with pytest.raises(OutputPathError, match="is a named pipe"):
            atomic_write(target, b"data")
        assert stat.S_ISFIFO(os.lstat(target).st_mode) and planted[0].written() == b""
        assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
    finally:
        for made in planted:
            made.close()


def test_check_can_write_accepts_a_new_name_and_a_regular_file_only(tmp_path):
    check_can_write(tmp_path / "new.bin")
    (tmp_path / "old.bin").write_bytes(b"x")
    check_can_write(tmp_path / "old.bin")
    os.symlink(tmp_path / "old.bin", tmp_path / "link.bin")
    with pytest.raises(OutputPathError, match=r"link\.bin: is a symbolic link"):
        check_can_write(tmp_path / "link.bin")


def _no_network(*args, **kwargs):
    raise AssertionError("a refused download target must be refused before any mirror is asked")


@pytest.mark.parametrize("planted", ["target-fifo", "partial-fifo", "target-link", "partial-link"])
def test_the_download_cache_does_not_follow_or_write_into_a_planted_node(tmp_path, monkeypatch, planted):
    monkeypatch.setattr(download_module.urllib.request, "urlopen", _no_network)
    target = tmp_path / "train-images-idx3-ubyte.gz"
    where = target if planted.startswith("target") else tmp_path / (target.name + ".partial")
    made = None
    if planted.endswith("fifo"):
        made = Fifo(where)
    else:
        (tmp_path / "elsewhere").write_bytes(PRECIOUS)
        os.symlink(tmp_path / "elsewhere", where)
    try:
        with pytest.raises(DownloadError, match=f"{where.name}: is a (named pipe|symbolic link)"):
            download(["http://127.0.0.1:9/never"], target, "0" * 32)
        if made is not None:
            assert stat.S_ISFIFO(os.lstat(where).st_mode) and made.written() == b""
        else:
            assert os.path.islink(where) and (tmp_path / "elsewhere").read_bytes() == PRECIOUS
    finally:
        if made is not None:
            made.close()


@pytest.mark.injects_error  # write_log is called on purpose, with an error made here
def test_the_crash_log_is_not_written_into_a_planted_fifo(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(crash_log.sys, "platform", "linux")
    log = crash_log.log_file()
    log.parent.mkdir(parents=True)
    made = Fifo(log)
    try:
        error = ValueError("boom")
        crash_log.write_log(ValueError, error, None)  # returns: never blocks, never raises while reporting
        assert stat.S_ISFIFO(os.lstat(log).st_mode) and made.written() == b""
    finally:
        made.close()
    log.unlink()
    crash_log.write_log(ValueError, ValueError("boom"), None)  # a regular log is appended to as before
    assert "ValueError: boom" in log.read_text()
