"""The Qt-free document: the open project, every edit as an undo command, and signals for views."""

from nnstudio.document.document import Document, ReplaceProject
from nnstudio.document.edits import EditError
from nnstudio.document.replacing import ViewsFailed
from nnstudio.document.signals import Signal
from nnstudio.document.undo import UndoStack

__all__ = ["Document", "EditError", "ReplaceProject", "Signal", "UndoStack", "ViewsFailed"]
