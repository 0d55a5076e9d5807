"""The built-in examples shipped in `resources/examples/`, found by name.

They are read through `importlib.resources`, so they load the same from a wheel,
an editable install or a source checkout, whatever the working directory is.
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from nnstudio.core.project import Project
from nnstudio.io.errors import NetworkFileError
from nnstudio.io.network_file import SUFFIX, load_project, loads

DEFAULT_EXAMPLE = "cosine-memory"


def _folder() -> Traversable:
    return resources.files("nnstudio.resources").joinpath("examples")


def list_examples() -> list[str]:
    """Names of the built-in examples, sorted."""
    return sorted(entry.name[: -len(SUFFIX)] for entry in _folder().iterdir() if entry.name.endswith(SUFFIX))


def load_example(name: str) -> Project:
    """The built-in example called `name` (e.g. "cosine-memory")."""
    entry = _folder().joinpath(name + SUFFIX)
    if not entry.is_file():
        raise NetworkFileError(f"no built-in example called {name!r}; examples: {', '.join(list_examples())}")
    return loads(entry.read_bytes(), name + SUFFIX)


def load_file_or_example(name_or_path: str | os.PathLike[str]) -> Project:
    """A path to a file if one exists there (or it looks like a path), else a built-in example."""
    text = str(name_or_path)
    path = Path(text)
    looks_like_path = path.exists() or os.sep in text or text.endswith(SUFFIX) or "/" in text
    return load_project(path) if looks_like_path else load_example(text)
