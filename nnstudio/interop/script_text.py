"""Pieces the exported scripts share: numbers written so they read back bit for bit, and the rule for
when a network's values go in a sibling file instead of inline."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nnstudio.atomic import atomic_write, check_can_write
from nnstudio.core.errors import LossError
from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.losses import get_loss
from nnstudio.core.network import Network
from nnstudio.core.project import Project
from nnstudio.core.spatial_layers import show_shape

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
    # a kernel (K, C, k, k): each nested level one indent deeper, its innermost rows a line each
    rows = [literal(row, indent + "    " if array.ndim > 2 else indent) for row in array]
    return "[\n" + "".join(f"{indent}    {row},\n" for row in rows) + f"{indent}]"


def shapes_text(network: Network) -> str:
    """The network's layers as the docs write them: 1×6×6-2×3×3-4-3 (maps C×H×W, dense layers their size)."""
    first = show_shape(network.input_shape) if network.input_shape else str(network.input_size)
    return "-".join([first] + [show_shape(layer.out_shape) if is_spatial(layer) else str(layer.n_out)
                               for layer in network.layers])


def docstring_text(text: str) -> str:
    """Text safe inside a triple-quoted docstring (no closing quotes, no backslash escapes)."""
    return text.replace("\\", "\\\\").replace('"""', "'''")


def loss_and_target(project: Project) -> tuple[str, np.ndarray]:
    """The loss a script writes out (sparse CCE as CCE on a one-hot target) and that target."""
    loss = get_loss(project.loss)
    if loss.sparse and project.target_known and refusal(project) is None:
        return "cce", loss.targets(project.target, np.zeros(project.network.output_size))
    return ("cce" if loss.sparse else loss.name), project.target


# What a script says when it is run on a project nnstudio would not step (its message follows).
NO_TARGET_IN_SCRIPT = "the network was exported without a target; type one in nnstudio and export again to compute " \
                      "the loss and δ"


def refusal(project: Project) -> str | None:
    """Why `nnstudio step` refuses this project's step, in its words (no target, a target or an output
    activation the loss refuses: core/losses.py), or None. A script exported from such a project refuses
    its step too, with this message and exit status 2, so it never takes a step nnstudio would not."""
    if not project.network.layers:
        return None
    if not project.target_known:
        return NO_TARGET_IN_SCRIPT
    loss = get_loss(project.loss)
    try:
        loss.check(project.network.layers[-1].activation,
                   loss.targets(project.target, np.zeros(project.network.output_size, project.network.dtype)))
    except LossError as error:
        return str(error)
    return None


def refusal_lines(project: Project, indent: str = "") -> list[str]:
    """The script lines that end it as `nnstudio step` ends on this project: the message on stderr, status 2
    (none when nnstudio computes the step)."""
    why = refusal(project)
    if why is None:
        return []
    return [f"{indent}print('nnstudio: error: ' + {why!r}, file=sys.stderr)  # as `nnstudio step` refuses it",
            f"{indent}raise SystemExit(2)"]


def save_script(project: Project, path: str | os.PathLike[str], render: Callable[[Project, str | None], str],
                values_suffix: str, save_values: Callable[[Project, Path], None]) -> list[Path]:
    """Write the script `render` makes — for a network over INLINE_PARAMETERS, with its values in a file
    beside it (`values_suffix`, written by `save_values`) — and return the files written."""
    target = Path(path)
    written = [target]
    values_file = None
    check_can_write(target)
    if project.network.parameter_count > INLINE_PARAMETERS:
        values = target.with_suffix(values_suffix)
        check_can_write(values)  # both names before either file is written, not the script refused after its values
        save_values(project, values)
        values_file = values.name
        written.append(values)
    atomic_write(target, render(project, values_file).encode("utf-8"))
    return written
