"""`nnstudio train` records where its run started, worked out as the window does (issue 31, item 4): the
file's network as it was, and a second run on the saved file "continued from run 1"."""

import subprocess
import sys

from nnstudio.core import build_network
from nnstudio.core.parameter_print import parameter_print
from nnstudio.core.project import Project
from nnstudio.core.run_comparison import start_words
from nnstudio.core.runs import RunStart
from nnstudio.io import load_project, save_project


def run(*args):
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, timeout=300)


def test_a_second_train_on_the_saved_file_is_continued_from_run_1(tmp_path):
    start, once, twice = tmp_path / "start.nnstudio", tmp_path / "once.nnstudio", tmp_path / "twice.nnstudio"
    network = build_network([2, 4, 2], ["tanh", "softmax"], "xavier", seed=0)
    save_project(Project(network, loss="cce"), start)
    for source, out in ((start, once), (once, twice)):
        done = run("train", str(source), "--dataset", "circles", "--epochs", "2", "--batch-size", "16", "--out",
                   str(out), "--quiet")
        assert done.returncode == 0, done.stderr
    (first,) = load_project(once).runs
    assert first.start == RunStart("as-is", parameter_print(network))
    assert first.end_fingerprint == parameter_print(load_project(once).network)  # what was saved, exactly
    runs = load_project(twice).runs
    assert runs[0] == first and runs[1].start == RunStart("continued", first.end_fingerprint)
    assert runs[1].end_fingerprint == parameter_print(load_project(twice).network)
    assert [start_words(runs, i) for i in range(2)] == ["the network as it was", "continued from run 1"]
