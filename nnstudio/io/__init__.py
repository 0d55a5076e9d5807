"""File formats: the `.nnstudio` network file and `.npz` weights. Plain Python and numpy, no Qt."""

from nnstudio.io.errors import NetworkFileError, UnsupportedVersionError
from nnstudio.io.examples import list_examples, load_example, load_file_or_example
from nnstudio.io.network_file import dumps, load_project, loads, save_project
from nnstudio.io.npz import load_npz, save_npz

__all__ = [
    "NetworkFileError",
    "UnsupportedVersionError",
    "dumps",
    "list_examples",
    "load_example",
    "load_file_or_example",
    "load_npz",
    "load_project",
    "loads",
    "save_npz",
    "save_project",
]
