"""The downloader against a local HTTP server on 127.0.0.1 started by the test."""

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nnstudio.data.dataset import DatasetError
from nnstudio.data.download import DownloadCancelled, DownloadError, download
from nnstudio.data.image_sets import FILE_NAMES, MNIST, locate

GOOD = bytes(range(256)) * 400
GOOD_MD5 = hashlib.md5(GOOD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    """/good, /bad (other bytes), /truncated (promises more than it sends), /error (500), /mnist/NAME."""

    files: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 - the standard library's name
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/error"):
            self.send_error(500, "broken")
            return
        if self.path.startswith("/truncated"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(GOOD)))
            self.end_headers()
            self.wfile.write(GOOD[: len(GOOD) // 3])
            self.wfile.flush()
            self.connection.close()
            return
        body = self.files.get(name) if self.path.startswith("/mnist/") else (
            GOOD if self.path.startswith("/good") else b"not the file" * 100)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


def test_good_file_is_verified_renamed_and_reported(server, tmp_path):
    seen = []
    path = download([f"{server}/good/file.gz"], tmp_path / "file.gz", GOOD_MD5, lambda n, d, t: seen.append((d, t)))
    assert path.read_bytes() == GOOD
    assert seen[-1] == (len(GOOD), len(GOOD))
    assert _leftovers(tmp_path) == ["file.gz"]


def test_bad_checksum_leaves_nothing(server, tmp_path):
    with pytest.raises(DownloadError, match="wrong checksum"):
        download([f"{server}/bad/file.gz"], tmp_path / "file.gz", GOOD_MD5)
    assert _leftovers(tmp_path) == []


def test_truncated_transfer_leaves_nothing(server, tmp_path):
    with pytest.raises(DownloadError):
        download([f"{server}/truncated/file.gz"], tmp_path / "file.gz", GOOD_MD5, timeout=5)
    assert _leftovers(tmp_path) == []


def test_server_error_is_named(server, tmp_path):
    with pytest.raises(DownloadError, match="server answered 500"):
        download([f"{server}/error/file.gz"], tmp_path / "file.gz", GOOD_MD5)
    assert _leftovers(tmp_path) == []


def test_first_mirror_down_second_used(server, tmp_path):
    dead = "http://127.0.0.1:9/file.gz"  # the discard port: nothing listens there
    path = download([dead, f"{server}/good/file.gz"], tmp_path / "file.gz", GOOD_MD5, timeout=5)
    assert path.read_bytes() == GOOD


def test_all_mirrors_down_lists_each_failure(server, tmp_path):
    with pytest.raises(DownloadError) as info:
        download(["http://127.0.0.1:9/file.gz", f"{server}/error/file.gz"], tmp_path / "file.gz", GOOD_MD5, timeout=5)
    assert "127.0.0.1:9" in str(info.value) and "500" in str(info.value)
    assert _leftovers(tmp_path) == []


def test_cancel_leaves_nothing(server, tmp_path):
    with pytest.raises(DownloadCancelled):
        download([f"{server}/good/file.gz"], tmp_path / "file.gz", GOOD_MD5, cancelled=lambda: True)
    assert _leftovers(tmp_path) == []


def test_existing_partial_file_is_never_trusted(server, tmp_path):
    (tmp_path / "file.gz.partial").write_bytes(b"half")
    download([f"{server}/good/file.gz"], tmp_path / "file.gz", GOOD_MD5)
    assert _leftovers(tmp_path) == ["file.gz"]


def test_locate_downloads_into_the_cache_and_offline_message_says_where(server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("NNSTUDIO_DATA", raising=False)
    files = {name: f"content of {name}".encode() * 50 for name in FILE_NAMES.values()}
    Handler.files = files
    fake = type(MNIST)(MNIST.name, MNIST.title, {role: hashlib.md5(files[FILE_NAMES[role]]).hexdigest()
                                                 for role in FILE_NAMES}, (f"{server}/mnist/",), (), MNIST.classes)
    folder = locate(fake)
    assert folder == tmp_path / "cache" / "nnstudio" / "datasets" / "mnist"
    assert sorted(_leftovers(folder)) == sorted(FILE_NAMES.values())

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    offline = type(MNIST)(MNIST.name, MNIST.title, MNIST.md5, ("http://127.0.0.1:9/",), (), MNIST.classes)
    with pytest.raises(DatasetError) as info:
        locate(offline)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path / "empty-cache") in message
    assert "NNSTUDIO_DATA" in message
