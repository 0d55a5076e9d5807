"""Export to and import from other tools' formats: one table of formats, shared by the CLI and the window.

Exports: a PyTorch script, a NumPy script, ONNX, safetensors. Imports: ONNX and safetensors. ONNX needs
the optional `onnx` package (and onnxruntime to run what is written); the scripts and safetensors need
nothing extra. A PyTorch checkpoint (.pt, .pth) is never unpickled: unpickling runs code the file names.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nnstudio.core.errors import NNStudioError
from nnstudio.core.project import Project
from nnstudio.io.errors import NetworkFileError

INSTALL_HINT = 'pip install -e ".[interop]"  (onnx, onnxruntime, safetensors)'
PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin")


class MissingExtraError(NNStudioError):
    """A format needs a package that is not installed; the message says what to install."""


@dataclass(frozen=True)
class ExportFormat:
    name: str          # as --to takes it
    label: str         # as a menu shows it
    suffix: str
    needs: tuple[str, ...] = ()


EXPORTS = (
    ExportFormat("pytorch", "PyTorch script", ".py"),
    ExportFormat("numpy", "NumPy script", ".py"),
    ExportFormat("onnx", "ONNX model", ".onnx", ("onnx",)),
    ExportFormat("safetensors", "safetensors weights", ".safetensors"),
)
EXPORT_NAMES = tuple(f.name for f in EXPORTS)
IMPORT_SUFFIXES = (".onnx", ".safetensors")


def require(modules: Sequence[str], what: str) -> None:
    """Refuse, naming the install command, when a package `what` needs is missing."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtraError(f"{what} needs {', '.join(missing)}, which is not installed: {INSTALL_HINT}")


def export_format(name: str) -> ExportFormat:
    for fmt in EXPORTS:
        if fmt.name == name:
            return fmt
    raise NNStudioError(f"unknown export format {name!r}; choose {', '.join(EXPORT_NAMES)}")


def export_project(project: Project, name: str, path: str | os.PathLike[str], dtype: str | None = None) -> list[Path]:
    """Write the project in format `name` to `path` (atomically); the files written (a script's large
    weights go in a file beside it)."""
    fmt = export_format(name)
    require(fmt.needs, f"exporting {fmt.label}")
    if not project.network.layers:
        raise NNStudioError("the network has no layers to export")
    if name == "onnx":
        from nnstudio.interop.onnx_export import save_onnx

        save_onnx(project, path, dtype)
    elif name == "safetensors":
        from nnstudio.interop.safetensors_file import save_safetensors

        save_safetensors(project, path, dtype)
    elif name == "numpy":
        from nnstudio.interop.numpy_script import save_numpy_script

        return save_numpy_script(project, path)
    else:
        from nnstudio.interop.pytorch_script import save_pytorch_script

        return save_pytorch_script(project, path)
    return [Path(path)]


@dataclass(frozen=True)
class ImportedModel:
    """An imported project and what the import left out or read in a form of its own, one sentence each
    (a converter's predicted-class output, a ZipMap, scikit-learn's two-class [1 − p, p], a normaliser),
    for the CLI and the window to say."""

    project: Project
    notes: tuple[str, ...] = ()


def import_model(path: str | os.PathLike[str], activations: Sequence[str] | None = None,
                 loss: str | None = None) -> Project:
    """The network in an ONNX or safetensors file; PyTorch checkpoints are refused (never unpickled)."""
    return import_model_with_notes(path, activations, loss).project


def import_model_with_notes(path: str | os.PathLike[str], activations: Sequence[str] | None = None,
                       loss: str | None = None) -> ImportedModel:
    """`import_model`, with the notes on what the import left out. What it returns opens again: the loss
    given suits the network (`with_loss`) and the project passes the file reader's rules (`check_reopens`),
    so neither `nnstudio import` nor the window ever holds a network it could not save and read back."""
    from nnstudio.interop.imported_project import check_reopens, with_loss

    imported = _import_model(path, activations, loss)
    project = with_loss(imported.project, loss) if loss else imported.project
    check_reopens(project, str(path))
    return ImportedModel(project, imported.notes)


def _import_model(path: str | os.PathLike[str], activations: Sequence[str] | None,
                  loss: str | None) -> ImportedModel:
    suffix = Path(path).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise NetworkFileError("is a PyTorch checkpoint (a pickle), which is never opened: unpickling runs code "
                               "the file names. Save the weights with safetensors "
                               "(safetensors.torch.save_file(model.state_dict(), 'model.safetensors')) "
                               "or export ONNX (torch.onnx.export), and import that", "", str(path))
    if suffix == ".onnx":
        if activations:
            raise NNStudioError("--activations is for safetensors files; an ONNX graph names its own")
        require(("onnx",), "importing ONNX")
        from nnstudio.interop.onnx_import import read_onnx

        project, notes = read_onnx(path)
        return ImportedModel(project, notes)
    if suffix == ".safetensors":
        from nnstudio.interop.safetensors_file import load_safetensors

        return ImportedModel(load_safetensors(path, activations, loss))
    raise NetworkFileError(f"is not a model file nnstudio imports: expected {' or '.join(IMPORT_SUFFIXES)}", "",
                           str(path))
