"""The lessons shipped in `resources/lessons/`, found by name, and a lesson file given by its path.

Read through `importlib.resources`, as nnstudio/io/examples.py reads the examples, so they load the same from a
wheel, an editable install or a source checkout, whatever the working directory is.
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from nnstudio.io.reading import read_capped
from nnstudio.lessons.fields import LessonFileError
from nnstudio.lessons.lesson_file import MAX_FILE, SUFFIX, Lesson, parse_lesson


def _folder() -> Traversable:
    return resources.files("nnstudio.resources").joinpath("lessons")


#: The order the shipped lessons are taught in (the story of the seeds: a neuron is a detector, memories are
#: rows of W1, inputs must be of unit length, then the passes by hand, then learning, then the same detector
#: sliding over an image). A lesson file dropped into the folder that is not named here comes after these, by name.
COURSE = ("detector", "cosine-memory", "unit-length", "forward", "loss-and-delta", "backprop", "update", "xor",
          "mnist-units", "kernel")


def list_lessons() -> list[str]:
    """Names of the shipped lessons in the order of COURSE, then any others by name (none when the folder is
    missing)."""
    folder = _folder()
    if not folder.is_dir():
        return []
    found = sorted(entry.name[: -len(SUFFIX)] for entry in folder.iterdir() if entry.name.endswith(SUFFIX))
    return [name for name in COURSE if name in found] + [name for name in found if name not in COURSE]


def load_lesson(name: str) -> Lesson:
    """The shipped lesson called `name` (e.g. "cosine-memory"), read and checked like any lesson file."""
    entry = _folder().joinpath(name + SUFFIX) if name in list_lessons() else None
    if entry is None or not entry.is_file():
        raise LessonFileError("", f"no shipped lesson called {name!r}; lessons: {', '.join(list_lessons()) or 'none'}")
    data = entry.read_bytes()
    return parse_lesson(data, name + SUFFIX, name)


def read_lesson_file(path: str | os.PathLike[str]) -> Lesson:
    """A lesson file at `path`: at most MAX_FILE bytes of a regular file, its name matching the front matter's."""
    data = read_capped(path, MAX_FILE, lambda message: LessonFileError("", message), "lesson file")
    name = Path(path).name
    return parse_lesson(data, name, name[: -len(SUFFIX)] if name.endswith(SUFFIX) else None)


def load_lesson_or_path(name_or_path: str | os.PathLike[str]) -> Lesson:
    """A path to a .md file if it looks like one (or exists), else a shipped lesson's name."""
    text = str(name_or_path)
    looks_like_path = text.endswith(SUFFIX) or os.sep in text or "/" in text or Path(text).is_file()
    return read_lesson_file(text) if looks_like_path else load_lesson(text)
