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
        "weight, row, bias, size, activation, inputs, layers, loss, phase, answer, class, unit, accuracy"]
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
    assert listed[0] == "detector" and listed[-1] == "mnist-units"
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


def test_mnist_units_grades_the_saved_drawing_and_the_weight_that_reads_it(tmp_path):
    project = load_example("mnist-mlp")  # its saved input is a drawn 7
    stroke = np.zeros((28, 28))
    stroke[4:24, 13:15] = 1.0  # a vertical stroke as the Draw pad gives it
    drawn = project.replace(input=stroke.reshape(784))
    net = drawn.network
    w2 = net.layers[1].weights.copy()
    w2[1, 49] = 10.0  # W2[2,50]: output 2, the digit 1, reads hidden unit 50
    solved = tmp_path / "solved.nnstudio"
    save_project(drawn.replace(network=net.with_layer(1, net.layers[1].replace(weights=w2, weight_text={}))), solved)
    result = run("check", "mnist-units", str(solved), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == [
        {"task": "type-z", "status": "not shown",
         "messages": ["the value typed for z1[50] (only the window can check this)"]},
        {"task": "make-it-fire", "status": "pass", "messages": []},
        {"task": "answer-one", "status": "pass", "messages": []}]
    only_drawn = tmp_path / "drawn.nnstudio"
    save_project(drawn, only_drawn)
    result = run("check", "mnist-units", str(only_drawn))
    assert result.returncode == 1, result.stdout
    assert result.stdout.splitlines()[1:] == [
        "pass  make-it-fire: Draw so that unit 50 answers a1[50] above 0.2",
        "FAIL  answer-one: the network answers 0 for the current input, should answer 1"]
    result = run("check", "mnist-units", "mnist-mlp")
    assert result.returncode == 1, result.stdout
    assert result.stdout.splitlines()[1] == "FAIL  make-it-fire: a1[50](current input) is 0 but should be above 0.2"
