"""Pieces the exported scripts share: numbers written so they read back bit for bit, and the rule for
when a network's values go in a sibling file instead of inline."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nnstudio.atomic import atomic_write
from nnstudio.core.losses import get_loss
from nnstudio.core.project import Project

# Above this many weights and biases the values go in a file beside the script (a 784-128-10 network
# inline is ~2 MB of digits: no longer a script a person reads).
INLINE_PARAMETERS = 5_000


def number(value: float) -> str:
    """The shortest text that reads back as exactly this double (repr), with inf/nan spelled for Python."""
    value = float(value)
    if np.isnan(value):
        return "float('nan')"
    if np.isinf(value):
        return "float('inf')" if value > 0 else "-float('inf')"
    return repr(value)


def literal(values: np.ndarray | None, indent: str = "    ") -> str:
    """A nested Python list of the array's values, one row a line."""
    if values is None:
        return "None"
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        return "[" + ", ".join(number(v) for v in array) + "]"
    rows = [literal(row, indent) for row in array]
    return "[\n" + "".join(f"{indent}    {row},\n" for row in rows) + f"{indent}]"


def docstring_text(text: str) -> str:
    """Text safe inside a triple-quoted docstring (no closing quotes, no backslash escapes)."""
    return text.replace("\\", "\\\\").replace('"""', "'''")


def loss_and_target(project: Project) -> tuple[str, np.ndarray]:
    """The loss a script writes out (sparse CCE as CCE on a one-hot target) and that target."""
    loss = get_loss(project.loss)
    if loss.sparse:
        return "cce", loss.targets(project.target, np.zeros(project.network.output_size))
    return loss.name, project.target


def save_script(project: Project, path: str | os.PathLike[str], render: Callable[[Project, str | None], str],
                values_suffix: str, save_values: Callable[[Project, Path], None]) -> list[Path]:
    """Write the script `render` makes — for a network over INLINE_PARAMETERS, with its values in a file
    beside it (`values_suffix`, written by `save_values`) — and return the files written."""
    target = Path(path)
    written = [target]
    values_file = None
    if project.network.parameter_count > INLINE_PARAMETERS:
        values = target.with_suffix(values_suffix)
        save_values(project, values)
        values_file = values.name
        written.append(values)
    atomic_write(target, render(project, values_file).encode("utf-8"))
    return written
