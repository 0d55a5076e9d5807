"""`nnstudio lesson list` and `nnstudio check`, run as a teacher runs them: a subprocess, reading what it prints."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from importlib import resources

import numpy as np
import pytest

from nnstudio.io import load_example, save_project

LESSON = """---
name: memories
title: Three memories
---
# Thresholds
```network
{"example": "cosine-memory"}
```
```task
{"id": "b1", "title": "Set every bias of layer 1 to −1/√2",
 "checks": [{"check": "bias", "layer": 1, "value": -0.7071067812, "tolerance": 1e-6}]}
```
# Memory 2
```task
{"id": "m2", "title": "Read memory 2",
 "checks": [{"check": "output", "input": [0.8333333333333334, 0.3333333333333333], "value": [0.2011844635],
             "tolerance": 1e-9}]}
```
# Step
```task
{"id": "phase", "title": "Step to the loss", "checks": [{"check": "phase", "is": "loss"}]}
```
"""


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nnstudio", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


@pytest.fixture
def files(tmp_path):
    lesson = tmp_path / "memories.md"
    lesson.write_text(LESSON, encoding="utf-8")
    project = load_example("cosine-memory")
    right = tmp_path / "right.nnstudio"
    save_project(project, right)
    net = project.network
    wrong = tmp_path / "wrong.nnstudio"
    bias = np.array([0.0, -1 / math.sqrt(2), -1 / math.sqrt(2)])
    save_project(project.replace(network=net.with_layer(0, net.layers[0].replace(bias=bias, bias_text={}))), wrong)
    return lesson, right, wrong


def test_check_passes_a_correct_network_and_lists_what_only_the_window_shows(files):
    lesson, right, _ = files
    result = run("check", str(lesson), str(right))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "pass  b1: Set every bias of layer 1 to −1/√2",
        "pass  m2: Read memory 2",
        "not shown  phase: the step-through at its loss phase (only the window can check this)"]
    assert result.stderr == ""


def test_check_fails_a_wrong_bias_naming_it_and_its_value(files):
    lesson, _, wrong = files
    result = run("check", str(lesson), str(wrong))
    assert result.returncode == 1, result.stderr
    # With b1[1] = 0, neuron 1 answers x1 = 5/6 > 0, but W2's first weight is 0: ŷ is unchanged.
    assert result.stdout.splitlines()[:2] == ["FAIL  b1: b1[1] = 0, should be −0.7071", "pass  m2: Read memory 2"]


def test_check_json_lists_every_task_with_its_status_and_messages(files):
    lesson, _, wrong = files
    result = run("check", str(lesson), str(wrong), "--json")
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout) == [
        {"task": "b1", "status": "fail", "messages": ["b1[1] = 0, should be −0.7071"]},
        {"task": "m2", "status": "pass", "messages": []},
        {"task": "phase", "status": "not shown",
         "messages": ["the step-through at its loss phase (only the window can check this)"]}]


def test_a_bad_lesson_or_file_is_refused_with_exit_2_and_one_line(files, tmp_path):
    lesson, right, _ = files
    bad = tmp_path / "bad.md"
    bad.write_text(LESSON.replace("name: memories", "name: bad").replace('"bias"', '"eval"'), encoding="utf-8")
    result = run("check", str(bad), str(right))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "nnstudio: error: bad.md: pages[0].task.checks[0].check: unknown check 'eval'; expected one of: output, "
        "weight, row, bias, size, activation, inputs, layers, loss, phase, answer, class, unit, accuracy, kernel, pixel, "
        "map, peak"]
    result = run("check", "no-such-lesson", str(right))
    assert result.returncode == 2 and result.stderr.startswith("nnstudio: error: no shipped lesson called "
                                                               "'no-such-lesson'; lessons: ")
    result = run("check", str(lesson), str(tmp_path / "missing.nnstudio"))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "missing.nnstudio" in result.stderr
    result = run("check", str(tmp_path / "nowhere.md"), str(right))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "nowhere.md" in result.stderr


def test_lesson_list_names_each_shipped_lesson_with_its_pages_and_tasks():
    folder = resources.files("nnstudio.resources") / "lessons"
    names = sorted(entry.name[:-3] for entry in folder.iterdir() if entry.name.endswith(".md"))
    result = run("lesson", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    listed = [line.split()[0] for line in lines]
    assert sorted(listed) == names  # every file once, in the order the lessons are taught (shipped.COURSE)
    assert listed[0] == "detector" and listed[-1] == "kernel"
    assert all(line.rstrip().endswith("tasks)") or line.rstrip().endswith("task)") for line in lines)
    assert run("lesson", "show").returncode == 2


def test_the_shipped_cosine_memory_lesson_passes_the_seeds_network_and_fails_a_zeroed_one(tmp_path):
    if not (resources.files("nnstudio.resources") / "lessons" / "cosine-memory.md").is_file():
        pytest.skip("resources/lessons/cosine-memory.md is not written yet")
    project = load_example("cosine-memory")
    result = run("check", "cosine-memory", "cosine-memory", "--json")
    assert result.returncode in (0, 1), result.stderr
    statuses = {task["task"]: task["status"] for task in json.loads(result.stdout)}
    assert "fail" not in statuses.values(), result.stdout
    net = project.network
    zeroed = tmp_path / "zeroed.nnstudio"
    save_project(project.replace(network=net.with_layer(0, net.layers[0].replace(bias=np.zeros(3), bias_text={}))), zeroed)
    result = run("check", "cosine-memory", str(zeroed))
    assert result.returncode == 1, result.stdout
    assert "b1[1] = 0, should be −0.7071" in result.stdout


def test_mnist_units_exits_0_on_a_finished_file_and_names_what_a_partial_one_misses(tmp_path):
    """The learner's finished network: the stroke drawn (the file keeps it as its input) and units 20 and 22
    silenced. Every task a file can show passes on it, so `nnstudio check` exits 0."""
    project = load_example("mnist-trained")  # its saved input is a drawn 7
    stroke = np.zeros((28, 28))
    stroke[4:24, 13:15] = 1.0  # a vertical stroke as the Draw pad gives it
    x = stroke.reshape(784)
    drawn = project.replace(input=x)
    net = drawn.network
    (w1, b1), (w2, b2) = [(layer.weights, layer.bias) for layer in net.layers]
    bias = b1.copy()
    bias[[19, 21]] = -100.0  # b1[20] and b1[22]: units 20 and 22 never fire
    a1 = np.maximum(w1 @ x + bias, 0)
    assert a1[19] == a1[21] == 0 and a1[27] > 2  # by hand: unit 28 fires on
    assert int(np.argmax(w2 @ a1 + b2)) == 1  # and the stroke is still a 1
    finished = tmp_path / "finished.nnstudio"
    save_project(drawn.replace(network=net.with_layer(0, net.layers[0].replace(bias=bias, bias_text={}))), finished)
    result = run("check", "mnist-units", str(finished), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == [
        {"task": "draw-one", "status": "pass", "messages": []},
        {"task": "type-z", "status": "not shown",
         "messages": ["the value typed for z1[28] (only the window can check this)"]},
        {"task": "make-it-fire", "status": "pass", "messages": []},
        {"task": "silence-others", "status": "pass", "messages": []}]

    only_drawn = tmp_path / "drawn.nnstudio"  # the stroke, nothing silenced yet
    save_project(drawn, only_drawn)
    result = run("check", "mnist-units", str(only_drawn))
    assert result.returncode == 1, result.stdout
    assert result.stdout.splitlines()[:1] + result.stdout.splitlines()[2:] == [
        "pass  draw-one: On the Results dock's Draw tab (View → Results), draw a 1 (one vertical stroke) so that "
        "the network answers 1",
        "pass  make-it-fire: Draw so that unit 28 answers a1[28] above 2",
        "FAIL  silence-others: b1[20] = 0.1568, should be −100; b1[22] = 0.4306, should be −100"]
    result = run("check", "mnist-units", "mnist-trained")
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == "FAIL  draw-one: the network answers 7 for the current input, should answer 1"
    assert lines[2] == "FAIL  make-it-fire: a1[28](current input) is 0 but should be above 2"
