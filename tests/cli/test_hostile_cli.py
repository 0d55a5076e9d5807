"""The command line under hostile input and Ctrl-C (issue 13, classes 4 and 6): exit status 2 and one line for
a refusal, 130 and one line for an interrupt, never a traceback, and the output file untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from nnstudio import cli, cli_eval_step
from nnstudio.io import load_example, save_project
from tests.waiting import wait_for_line

# Ctrl-C reaches a program only if SIGINT is not ignored. A shell starts a background job (`pytest &` in a
# script) with SIGINT ignored and every child inherits that, so each child that is sent Ctrl-C here first takes
# Python's own handler back, as a command typed in a terminal has it.
AS_IN_A_TERMINAL = "import signal\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"

HOSTILE_EXPRESSIONS = ["2" + "π" * 900, "π" * 999, "1" + "+1" * 499 + "+", "(" * 70 + "1" + ")" * 70, "e" * 999]


def run(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_during_train_says_interrupted_exits_130_and_leaves_the_output_untouched(tmp_path):
    out = tmp_path / "trained.nnstudio"
    out.write_text("the previous run's file\n")
    as_python_m_nnstudio = (AS_IN_A_TERMINAL + "import runpy\n"
                            "runpy.run_module('nnstudio', run_name='__main__', alter_sys=True)\n")
    process = subprocess.Popen([sys.executable, "-c", as_python_m_nnstudio, "train", "xor", "--dataset", "xor",
                                "--epochs", "1000000", "--batch-size", "1", "--quiet", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().startswith("training 2-2-1 on xor")  # training is about to begin
    wait_for_line(process, lambda line: line.startswith("epoch 1: "), "the first epoch's line")  # mid-run now
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 130
    assert _one_line(errors) == "nnstudio: interrupted"
    assert out.read_text() == "the previous run's file\n"
    assert [p.name for p in tmp_path.iterdir()] == ["trained.nnstudio"]  # no temp file either


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_during_step_says_interrupted(tmp_path):
    # A child that is interrupted while it steps: the handler runs between bytecodes of the step.
    code = (AS_IN_A_TERMINAL + "import os, signal, sys\n"
            "import nnstudio.cli as cli\n"
            "import nnstudio.cli_eval_step as cli_eval_step\n"
            "real = cli_eval_step._step\n"
            "def slow(project, args):\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "    return real(project, args)\n"
            "cli_eval_step._step = slow\n"
            "sys.exit(cli.main(['step', 'xor', '--out', sys.argv[1]]))\n")
    out = tmp_path / "after.nnstudio"
    result = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 130
    assert _one_line(result.stderr) == "nnstudio: interrupted"
    assert not out.exists()


@pytest.mark.slow
def test_train_out_to_a_folder_is_refused_before_training(tmp_path):
    result = run("train", "xor", "--dataset", "xor", "--epochs", "100000", "--out", str(tmp_path))
    assert result.returncode == 2
    assert _one_line(result.stderr) == (f"nnstudio: error: {tmp_path}: is a folder; give a file name, "
                                        f"e.g. {tmp_path / 'trained.nnstudio'}")
    assert "epoch" not in result.stdout and "training" not in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("args, message", [
    (["train", "xor", "--dataset", "xor", "--seed", "-1", "--out", "x.nnstudio"],
     "argument --seed: expected a whole number ≥ 0, got -1"),
    (["train", "xor", "--dataset", "xor", "--epochs", "0", "--out", "x.nnstudio"],
     "argument --epochs: expected a whole number ≥ 1, got 0"),
    (["train", "xor", "--dataset", "xor", "--l2", "-1", "--out", "x.nnstudio"],
     "argument --l2: expected a number ≥ 0, got -1"),
    (["train", "xor", "--dataset", "xor", "--out", "no-such-folder/x.nnstudio"],
     "the folder no-such-folder does not exist"),
    (["eval", "xor", "--dataset", ""], "--dataset is empty; give a dataset name"),
    (["eval", "xor", "--dataset", "xor", "--seed", "-5"], "argument --seed: expected a whole number ≥ 0, got -5"),
    (["eval", "/dev/zero"], "/dev/zero: is a device, not a network file; only regular files are read"),
    (["step", "cosine-memory", "--lr", "1e308", "--target", "1e308"], "the update would make"),
    (["step", "xor", "--target", "1e308"], "target 1e+308 for binary cross-entropy: each target must lie in [0, 1]"),
    (["train", "xor", "--dataset", "function:2^1023", "--out", "x.nnstudio"], "beyond float32's"),
])
def test_bad_arguments_are_one_line_and_status_2(tmp_path, args, message):
    result = subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in _one_line(result.stderr)
    assert not (tmp_path / "x.nnstudio").exists()


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_given_as_the_network_or_dataset_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run("eval", str(fifo), timeout=30)
    assert result.returncode == 2
    assert _one_line(result.stderr) == f"nnstudio: error: {fifo}: is a pipe (FIFO), not a network file; only " \
                                       "regular files are read"
    csv_fifo = tmp_path / "data.csv"
    os.mkfifo(csv_fifo)
    result = run("eval", "xor", "--dataset", str(csv_fifo), timeout=30)
    assert result.returncode == 2
    assert "is a pipe (FIFO), not a CSV file" in _one_line(result.stderr)


@pytest.mark.parametrize("text", HOSTILE_EXPRESSIONS)
@pytest.mark.parametrize("option", ["--input", "--target", "--lr"])
def test_hostile_expressions_in_every_option_are_one_line_errors(capsys, option, text):
    values = [text, "0"] if option == "--input" else [text]
    code = cli.main(["step", "cosine-memory", option, *values])
    err = capsys.readouterr().err
    assert code == 2, err
    line = _one_line(err)
    assert line.startswith(f"nnstudio: error: {option}") or line.startswith("nnstudio: error: argument")
    assert len(line) < 300


@pytest.mark.parametrize("text", HOSTILE_EXPRESSIONS)
def test_hostile_expressions_as_a_function_dataset_or_a_weight_in_a_file(capsys, tmp_path, text):
    code = cli.main(["eval", "xor", "--dataset", f"function:{text}"])
    assert code == 2
    assert len(_one_line(capsys.readouterr().err)) < 300
    project = load_example("cosine-memory")
    path = tmp_path / "w.nnstudio"
    save_project(project, path)
    path.write_text(path.read_text().replace('"1/sqrt(2)"', '"' + text + '"', 1))
    code = cli.main(["eval", str(path)])
    line = _one_line(capsys.readouterr().err)
    assert code == 2 and "w.nnstudio: layers[0].weights[1][0]: invalid expression" in line


# On purpose: cli_eval_step._eval is replaced by one that raises; the last-resort handler is under test.
@pytest.mark.injects_error
def test_an_unexpected_exception_is_one_line_and_a_log_entry(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def broken(project, args):
        raise RuntimeError("a bug nobody foresaw")

    monkeypatch.setattr(cli_eval_step, "_eval", broken)
    code = cli.main(["eval", "cosine-memory"])
    line = _one_line(capsys.readouterr().err)
    assert code == cli.EXIT_INTERNAL == 70
    assert line == (f"nnstudio: internal error: RuntimeError: a bug nobody foresaw "
                    f"(details in {tmp_path / 'nnstudio' / 'nnstudio.log'})")
    assert "Traceback" in (tmp_path / "nnstudio" / "nnstudio.log").read_text()


def test_output_that_the_terminal_cannot_encode_is_escaped_not_a_crash():
    result = subprocess.run([sys.executable, "-m", "nnstudio", "eval", "cosine-memory"], capture_output=True,
                            timeout=60, env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert b"output       \\u0177 = [0.2011844" in result.stdout


def test_ctrl_c_while_the_command_line_is_still_importing_is_one_line(monkeypatch, capsys):
    """The first fifth of a second goes to importing numpy and the core, before cli.main can catch
    anything: the entry point guards that import too."""
    import builtins

    from nnstudio import launch

    real_import = builtins.__import__

    def interrupted(name, *args, **kwargs):
        if name == "nnstudio.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    assert launch.main() == 130
    assert capsys.readouterr().err == "nnstudio: interrupted\n"


def test_the_installed_command_starts_through_the_guarded_entry_point():
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["nnstudio"] == "nnstudio.launch:main"
