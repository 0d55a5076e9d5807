"""Hostile network and weight files: every one is refused by name before anything large is read or allocated.

Issue 13's classes 1, 2 and 5: validation gaps (precision, surrogates, long integers,
initialiser parameters, float32 range), budgets (parameters, layers, samples, bytes, pipes,
devices) and `.npz` archives checked from their headers. Peak memory is measured with
tracemalloc, so "refused before allocating" is a number, not a hope.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pytest

from nnstudio.core.limits import MAX_LAYERS, MAX_PARAMETERS, NETWORK_FILE_BYTES
from nnstudio.io import NetworkFileError, dumps, load_example, load_npz, load_project, loads, save_npz, save_project

MiB = 2**20


def _base() -> dict:
    return json.loads(dumps(load_example("cosine-memory")))


def _with(path: list, value) -> bytes:
    data = _base()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(data).encode()


def _float32(path: list, value) -> bytes:
    data = _base()
    data["precision"] = "float32"
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(data).encode()



VALIDATION = {
    "precision is an object": (_with(["precision"], {"a": 1}), "precision: expected text, got an object"),
    "precision is a list": (_with(["precision"], ["float32"]), "precision: expected text, got a list"),
    "integer of 5000 digits": (json.dumps(_base()).replace('"version": 1', '"version": ' + "1" * 5000).encode(),
                               "a number has thousands of digits"),
    "normal std below zero": (_with(["layers", 0, "weights"], {"init": "normal", "params": {"std": -1}}),
                              "layers[0].weights.params: std must be ≥ 0, got -1"),
    "uniform low above high": (_with(["layers", 0, "weights"], {"init": "uniform", "params": {"low": 2, "high": 1}}),
                               "layers[0].weights.params: low (2) must not be above high (1)"),
    "uniform range of ±1e308": (_with(["layers", 0, "weights"],
                                      {"init": "uniform", "params": {"low": -1e308, "high": 1e308}}),
                                "layers[0].weights.params: the range -1e+308…1e+308 is wider than a float"),
    "float32 weight of 1e300": (_float32(["layers", 0, "weights", 1, 0], 1e300),
                                "layers[0].weights[1][0]: 1e+300 does not fit in float32"),
    "float32 weight exp(700)": (_float32(["layers", 0, "weights", 0, 1], "exp(700)"),
                                "layers[0].weights[0][1]: 1.01423e+304 does not fit in float32"),
    "float32 bias of -1e39": (_float32(["layers", 0, "bias", 2], -1e39), "layers[0].bias[2]: -1e+39 does not fit"),
    "float32 input of 1e300": (_float32(["current", "input", 0], 1e300), "current.input[0]: 1e+300 does not fit"),
    "float32 sample target 1e40": (_float32(["samples", 1, "target", 0], 1e40), "samples[1].target[0]"),
    "float32 initialiser constant 1e300": (_float32(["layers", 0, "weights"], {"init": "constant",
                                                                               "params": {"value": 1e300}}),
                                           "layers[0].weights[0][0]: 1e+300 does not fit in float32"),
    "lone surrogate in the name": (_with(["name"], "\ud800"), "name: holds an unpaired surrogate \\ud800"),
    "lone surrogate in the description": (_with(["description"], "ok \udfff"), "description: holds an unpaired"),
    "lone surrogate in a label": (_with(["input", "labels", 1], "x\ud834"), "input.labels[1]: holds an unpaired"),
    "lone surrogate in a sample name": (_with(["samples", 0, "name"], "\udc80"), "samples[0].name: holds an"),
    "lone surrogate in an expression": (_with(["layers", 0, "weights", 0, 0], "1\ud800"),
                                        "layers[0].weights[0][0]: invalid expression"),
}


@pytest.mark.parametrize("case", sorted(VALIDATION))
def test_each_validation_gap_is_refused_by_name(case):
    data, message = VALIDATION[case]
    with pytest.raises(NetworkFileError) as info:
        loads(data, "hostile.nnstudio")
    assert message in str(info.value), str(info.value)
    assert str(info.value).startswith("hostile.nnstudio: ")


def test_what_loads_also_prints_and_saves_with_unicode_intact(tmp_path):
    """The other half of the rule: a valid name with any real character loads, saves and loads again."""
    data = _with(["name"], "Ünïcødé 🧠 ŷ")
    project = loads(data, "fine.nnstudio")
    save_project(project, tmp_path / "fine.nnstudio")
    assert load_project(tmp_path / "fine.nnstudio").name == "Ünïcødé 🧠 ŷ"


def _initialised_layers(count: int, size: int) -> bytes:
    layer = {"size": size, "activation": "relu", "weights": {"init": "he", "seed": 1}, "bias": None}
    return json.dumps({"format": "nnstudio.network", "version": 1, "input": {"size": size},
                       "layers": [layer] * count}).encode()


def test_a_5_kb_file_asking_for_64_layers_of_4096_squared_is_refused_before_allocating(peak_memory):
    data = _initialised_layers(64, 4096)
    assert len(data) < 6000
    outcome, peak = peak_memory(lambda: loads(data, "huge.nnstudio"))
    assert isinstance(outcome, NetworkFileError)
    assert str(outcome) == ("huge.nnstudio: layers: the network would hold 1,073,741,824 weights and biases; "
                            f"a network may hold at most {MAX_PARAMETERS:,}")
    assert peak < 1 * MiB  # the 8 GiB the file asks for were never touched


def test_the_parameter_budget_admits_a_network_just_under_it_and_refuses_one_over():
    def sizes(hidden: int) -> bytes:
        # The wide layer's weights are written out (rows of 0.0, read by numpy; 32 MiB of text): a file may ask
        # for at most MAX_DRAWN_WEIGHTS drawn by an initialiser, fewer than the parameter budget.
        rows = "[" + ",".join(["[" + ",".join(["0.0"] * 4096) + "]"] * hidden) + "]"
        return ('{"format": "nnstudio.network", "version": 1, "precision": "float32", "input": {"size": 4096}, '
                '"layers": [{"size": %d, "activation": "relu", "weights": %s, "bias": null}, '
                '{"size": 1, "activation": "identity", "weights": {"init": "zeros"}}]}' % (hidden, rows)).encode()

    # 4096 → 2047 → 1, no biases (none given): 4096·2047 + 2047 = 8,386,559 ≤ 2^23
    assert loads(sizes(2047), "under.nnstudio").network.parameter_count == 8_386_559 <= MAX_PARAMETERS == 2**23
    with pytest.raises(NetworkFileError, match="would hold 8,390,656 weights and biases"):  # 4096·2048 + 2048
        loads(sizes(2048), "over.nnstudio")


def test_the_largest_network_saved_at_full_precision_fits_the_file_budget():
    """Whatever loads must save and open again: the longest float64 text per value, times the parameter and
    sample budgets, stays under the byte budget (measured on a small network, then scaled)."""
    from nnstudio.core import DenseLayer, Network
    from nnstudio.core.limits import MAX_SAMPLE_VALUES
    from nnstudio.core.project import Project, Sample

    longest = -1.2345678901234567e-300  # 24 characters, as long as a float64's shortest repr gets
    assert len(repr(longest)) == 24
    layer = DenseLayer(np.full((64, 64), longest), np.full(64, longest), "relu")
    net = Network(64, (layer,))
    empty = len(dumps(Project(Network(64, (DenseLayer(np.zeros((64, 64)), np.zeros(64), "relu"),)))))
    per_value = (len(dumps(Project(net))) - empty) / net.parameter_count + 3  # + a "0.0" the zeros held
    samples = [Sample("s", np.full(64, longest), np.full(64, longest))] * 8
    per_sample_value = (len(dumps(Project(net, samples=tuple(samples)))) - len(dumps(Project(net)))) / (8 * 128)
    worst = per_value * MAX_PARAMETERS + per_sample_value * MAX_SAMPLE_VALUES
    assert per_value <= 27 and worst < NETWORK_FILE_BYTES, (per_value, per_sample_value, worst / MiB)


def test_a_save_over_the_byte_budget_is_refused_and_the_old_file_kept(tmp_path, monkeypatch):
    import nnstudio.io.network_file as network_file

    path = tmp_path / "kept.nnstudio"
    save_project(load_example("xor"), path)
    before = path.read_bytes()
    project = load_example("cosine-memory")
    monkeypatch.setattr(network_file, "MAX_FILE_BYTES", 1000)
    with pytest.raises(NetworkFileError, match=r"would be 1\.\d KiB; a network file may be at most 1000 bytes"):
        save_project(project, path)
    assert path.read_bytes() == before


def test_too_many_layers_and_too_many_samples_are_refused_with_the_figures(peak_memory):
    with pytest.raises(NetworkFileError, match=f"layers: holds {MAX_LAYERS + 1} layers; a network may have at "
                                               f"most {MAX_LAYERS}"):
        loads(_initialised_layers(MAX_LAYERS + 1, 1), "deep.nnstudio")
    data = _base()
    data["samples"] = [{"input": [0, 0], "target": [0]}] * 10_001
    text = json.dumps(data).encode()
    outcome, peak = peak_memory(lambda: loads(text, "many.nnstudio"))
    assert str(outcome) == "many.nnstudio: samples: holds 10,001 samples; a file may hold at most 10,000"
    # Refused from the count: no more than reading the JSON costs (4 MB here); building the 10,001 samples
    # first, as an accepted file's 10,000 are, costs about 9 MB more.
    _, parsing = peak_memory(lambda: json.loads(text))
    assert peak < parsing + 1 * MiB, (peak, parsing)
    image = {"format": "nnstudio.network", "version": 1, "input": {"size": 4096},
             "layers": [{"size": 1, "activation": "sigmoid", "weights": {"init": "zeros"}}],
             "samples": [{"input": [0] * 4096, "target": [0]}] * 245}
    with pytest.raises(NetworkFileError, match=r"samples: 245 samples of 4096 inputs and 1 targets hold 1,003,765 "
                                               r"numbers; a file may hold at most 1,000,000"):
        loads(json.dumps(image).encode(), "images.nnstudio")


def test_a_file_over_the_byte_budget_is_refused_after_reading_at_most_the_budget(tmp_path, peak_memory):
    path = tmp_path / "big.nnstudio"
    with open(path, "wb") as handle:  # sparse: 600 MB that take no disk
        handle.truncate(600 * 10**6)
    outcome, peak = peak_memory(lambda: load_project(path))
    assert isinstance(outcome, NetworkFileError)
    assert "is 572.2 MiB; a network file may be at most 256 MiB" in str(outcome)
    assert peak < 1 * MiB  # refused from its size, before reading
    assert NETWORK_FILE_BYTES == 256 * MiB


def test_dev_zero_and_dev_urandom_are_refused_at_once(peak_memory):
    for device in ("/dev/zero", "/dev/urandom"):
        if not os.path.exists(device):
            pytest.skip(f"{device} does not exist here")
        outcome, peak = peak_memory(lambda: load_project(device))
        assert str(outcome) == f"{device}: is a device, not a network file; only regular files are read"
        assert peak < 1 * MiB


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(tmp_path, peak_memory):
    fifo = tmp_path / "pipe.nnstudio"
    os.mkfifo(fifo)
    result: dict[str, object] = {}
    worker = threading.Thread(target=lambda: result.setdefault("outcome", peak_memory(lambda: load_project(fifo))[0]))
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the reader so the test run can end, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert str(result["outcome"]) == f"{fifo}: is a pipe (FIFO), not a network file; only regular files are read"


# ----------------------------------------------------------------------------- .npz


def _npz(members: dict[str, bytes], compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as archive:
        for name, payload in members.items():
            archive.writestr(name + ".npy", payload)
    return buffer.getvalue()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


@pytest.fixture
def cosine():
    return load_example("cosine-memory").network


def _members(network, **changes) -> dict[str, bytes]:
    members = {"W1": _npy(np.asarray(network.layers[0].weights)), "b1": _npy(np.asarray(network.layers[0].bias)),
               "W2": _npy(np.asarray(network.layers[1].weights))}
    members.update(changes)
    return members


def test_an_npz_bomb_is_refused_without_inflating(tmp_path, cosine, peak_memory):
    """A 0.5 MB archive whose W1 inflates to 512 MiB: its directory says so, and nothing is inflated."""
    path = tmp_path / "bomb.npz"
    zeros = b"\0" * (64 * MiB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("W1.npy", "w", force_zip64=True) as member:
            member.write(_npy_header((3, 2)))
            for _ in range(8):  # 512 MiB of zeros, about 0.5 MB stored
                member.write(zeros)
        archive.writestr("b1.npy", _npy(np.zeros(3)))
        archive.writestr("W2.npy", _npy(np.zeros((1, 3))))
    assert path.stat().st_size < 4 * MiB
    outcome, peak = peak_memory(lambda: load_npz(cosine, path))
    assert isinstance(outcome, NetworkFileError)
    assert "W1: declares 512.0 MiB of data; a 3×2 array needs at most 48 bytes" in str(outcome)
    assert peak < 1 * MiB


def test_an_npz_header_claiming_100000_squared_is_refused_from_the_header(tmp_path, cosine, peak_memory):
    path = tmp_path / "claims.npz"
    path.write_bytes(_npz(_members(cosine, W1=_npy_header((100_000, 100_000)))))
    outcome, peak = peak_memory(lambda: load_npz(cosine, path))
    assert str(outcome).endswith("W1: expected shape (3, 2), got (100000, 100000)")
    assert peak < 1 * MiB


def test_an_npz_with_a_pickle_member_or_text_bias_is_refused_by_name(tmp_path, cosine):
    pickled = io.BytesIO()
    np.lib.format.write_array(pickled, np.array([object()], dtype=object), allow_pickle=True)
    (tmp_path / "pickle.npz").write_bytes(_npz(_members(cosine, W1=pickled.getvalue())))
    with pytest.raises(NetworkFileError, match=r"W1: expected float values, got object"):
        load_npz(cosine, tmp_path / "pickle.npz")
    (tmp_path / "text.npz").write_bytes(_npz(_members(cosine, b1=_npy(np.array(["a", "b", "c"])))))
    with pytest.raises(NetworkFileError, match=r"b1: expected float values, got <U1"):
        load_npz(cosine, tmp_path / "text.npz")
    (tmp_path / "short.npz").write_bytes(_npz(_members(cosine, W1=_npy_header((3, 2)) + b"\0" * 8)))
    with pytest.raises(NetworkFileError, match=r"W1: holds 8 bytes of data, its header needs 48"):
        load_npz(cosine, tmp_path / "short.npz")
    (tmp_path / "inf.npz").write_bytes(_npz(_members(cosine, W2=_npy(np.array([[1.0, np.inf, 0.0]])))))
    with pytest.raises(NetworkFileError, match=r"W2: holds NaN or infinite values"):
        load_npz(cosine, tmp_path / "inf.npz")


def test_a_good_npz_still_loads_exactly(tmp_path, cosine):
    save_npz(cosine, tmp_path / "w.npz")
    zeroed = cosine.with_layer(0, cosine.layers[0].replace(weights=np.zeros((3, 2))))
    restored = load_npz(zeroed, tmp_path / "w.npz")
    np.testing.assert_array_equal(restored.layers[0].weights, np.array([[1, 0], [1 / np.sqrt(2)] * 2, [0, 1]]))


def test_npz_from_a_device_is_refused(cosine):
    with pytest.raises(NetworkFileError, match="/dev/zero: is a device, not a .npz file"):
        load_npz(cosine, "/dev/zero")


# ----------------------------------------------------------------------------- killed saves


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_killed_saves_temp_file_is_removed_by_the_next_save(tmp_path):
    target = tmp_path / "net.nnstudio"
    save_project(load_example("xor"), target)
    before = target.read_bytes()
    child = ("import os, signal, sys\n"
             "import nnstudio.atomic as atomic\n"
             "from nnstudio.io import load_example, save_project\n"
             "atomic.os.replace = lambda a, b: os.kill(os.getpid(), signal.SIGKILL)  # die just before the rename\n"
             "save_project(load_example('cosine-memory'), sys.argv[1])\n")
    result = subprocess.run([sys.executable, "-c", child, str(target)], capture_output=True, timeout=60)
    assert result.returncode == -signal.SIGKILL
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].startswith(".net.nnstudio.")
    assert target.read_bytes() == before  # the killed save changed nothing
    save_project(load_example("cosine-memory"), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.nnstudio"]
    assert load_project(target).name == load_example("cosine-memory").name


def test_a_live_writers_temp_file_is_left_alone(tmp_path):
    target = tmp_path / "net.nnstudio"
    live = tmp_path / f".net.nnstudio.{os.getppid()}.abcd1234.tmp"  # our parent: certainly alive
    live.write_bytes(b"half")
    other = tmp_path / ".other.nnstudio.1.abcd1234.tmp"  # another file's: not ours to touch
    other.write_bytes(b"half")
    save_project(load_example("xor"), target)
    assert live.exists() and other.exists()
