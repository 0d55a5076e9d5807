"""The window's actions declared in one list: name, text, shortcut, tip.

Shortcuts use Qt's standard keys where one exists, so each platform gets its own
conventions (Ctrl+O here, ⌘O on macOS).

One list for every room, not one per room: Help → Keyboard Shortcuts (panels/help/shortcuts_dialog.py)
lists the actions in this order, and the help room that opens it must not be imported by the list it
reads. What an action does is its room's: each room of this package (files.py, exports.py, …) hands
`build_actions` the handlers of the names it serves; where it shows is menus.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

Shortcut = QKeySequence.StandardKey | str | None


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    shortcut: Shortcut = None
    tip: str = ""
    checkable: bool = False


ACTIONS: list[ActionSpec] = [
    ActionSpec("new", "&New Network…", QKeySequence.StandardKey.New,
               "Build a network from its layer sizes, activations, biases, loss and first weights"),
    ActionSpec("open", "&Open…", QKeySequence.StandardKey.Open, "Open a .nnstudio file"),
    ActionSpec("save", "&Save", QKeySequence.StandardKey.Save, "Save the network"),
    ActionSpec("save_as", "Save &As…", QKeySequence.StandardKey.SaveAs, "Save the network under a new name"),
    ActionSpec("export_png", "Export Canvas as &PNG…", None, "Save a picture of the canvas"),
    ActionSpec("export_svg", "Export Canvas as S&VG…", None, "Save the canvas as a vector drawing"),
    ActionSpec("export_model", "Export Net&work…", None,
               "Write the network as a PyTorch or NumPy script, an ONNX model or safetensors weights"),
    ActionSpec("import_model", "&Import Model…", None, "Open an ONNX or safetensors model as a new network"),
    ActionSpec("close", "&Close", QKeySequence.StandardKey.Close, "Close this network and start an empty one"),
    ActionSpec("quit", "&Quit", QKeySequence.StandardKey.Quit, "Quit nnstudio"),
    ActionSpec("undo", "&Undo", QKeySequence.StandardKey.Undo, "Take back the last edit (its name is in the Edit menu)"),
    ActionSpec("redo", "&Redo", QKeySequence.StandardKey.Redo, "Make the edit taken back again"),
    ActionSpec("delete", "&Delete Layer", QKeySequence.StandardKey.Delete, "Remove the selected layer"),
    ActionSpec("copy_layer", "&Copy Layer", QKeySequence.StandardKey.Copy,
               "Copy the selected layer (size, activation, weights and bias) to paste into any network"),
    ActionSpec("paste_layer", "&Paste Layer", QKeySequence.StandardKey.Paste,
               "Insert the copied layer after the selected column (or at the end)"),
    ActionSpec("copy_weights", "Copy &W as Text", "Ctrl+Shift+C", "Copy the selected layer's W, tab-separated"),
    ActionSpec("zoom_in", "Zoom &In", QKeySequence.StandardKey.ZoomIn, "Show the canvas larger"),
    ActionSpec("zoom_out", "Zoom &Out", QKeySequence.StandardKey.ZoomOut, "Show more of the canvas, smaller"),
    ActionSpec("fit", "&Fit to Window", "Ctrl+0", "Show the whole network"),
    ActionSpec("edge_labels", "Show &Weights on Edges", "Ctrl+L", "Write each weight on its edge", True),
    ActionSpec("neuron_maps", "Show &Neuron Maps", "Ctrl+M",
               "Two-input networks: draw each neuron's output over the input plane inside it", True),
    # Not M alone: on a selected cell a letter starts typing an expression (max(…), min(…)).
    ActionSpec("map_large", "Neuron Map &Large…", "Ctrl+Shift+M",
               "The selected neuron's map, large, with axes and the data"),
    ActionSpec("add_layer", "&Add Layer", "Ctrl+Shift+A", "Add a layer after the selected one (or at the end)"),
    ActionSpec("insert_layer", "&Insert Layer Before", "Ctrl+Shift+I", "Insert a layer before the selected one"),
    # Not Ctrl+Shift+=: on a US keyboard that is Ctrl++, Zoom In's key (tests/ui/test_gestures.py).
    ActionSpec("neuron_more", "One Neuron &More", "Ctrl+Alt+=", "Add a neuron to the selected layer"),
    ActionSpec("neuron_fewer", "One Neuron &Fewer", "Ctrl+Alt+-", "Remove the last neuron of the selected layer"),
    ActionSpec("edit_matrix", "&Edit W and b…", "Ctrl+E", "Edit the selected layer's weights as a table"),
    ActionSpec("step", "&Step", "F10", "Take the next step of the forward or backward pass"),
    ActionSpec("step_back", "Step &Back", "Shift+F10", "Go back one step, restoring exactly what was shown"),
    ActionSpec("run_forward", "Run &Forward Pass", "F9", "Run to the end of the forward pass"),
    ActionSpec("run_backward", "Run Back&ward Pass", "Shift+F9", "Run to the end of the backward pass"),
    ActionSpec("reset_steps", "&Reset Steps", "Ctrl+Shift+R", "Back to the start, undoing this pass's update"),
    ActionSpec("stop_stepping", "Stop Steppin&g", None, "Leave step-through; applied updates stay"),
    ActionSpec("edge_weight", "Edges Show &Weights", None, "Each edge shows its weight w_ji", True),
    ActionSpec("edge_gradient", "Edges Show &Gradients", None, "Each edge shows ∂L/∂w_ji = δ_j·a_i", True),
    ActionSpec("edge_signal", "Edges Show Error &Signal", None, "Each edge shows what it carries back, w_ji·δ_j", True),
    ActionSpec("build_samples", "&Build Memories from Samples…", None,
               "Make a one-hidden-layer ReLU network that stores each sample as a memory"),
    ActionSpec("train", "&Train…", "Ctrl+T", "Show the training panel: data, settings, Start"),
    ActionSpec("guide", "&User Guide", QKeySequence.StandardKey.HelpContents,
               "Building, hand-setting, stepping, training, files and the command line, with pictures"),
    ActionSpec("shortcuts", "&Keyboard Shortcuts", "Ctrl+/", "List every action with its keys"),
    ActionSpec("about", "&About nnstudio", None, "The version, and the shape and output of the open network"),
]


def plain_text(spec: ActionSpec) -> str:
    """The action's name as a person reads it: no mnemonic ampersand, no trailing ellipsis."""
    return spec.text.replace("&", "").rstrip("…")


def shortcut_text(action: QAction) -> str:
    """The action's main keys in this platform's own notation (Ctrl+N; ⌘N on macOS), or "". (A standard
    key's alternatives — X11's dedicated "New" or "Open" keys — are left out: few keyboards have them.)"""
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def build_actions(parent: QWidget, handlers: dict[str, Callable[..., object]]) -> dict[str, QAction]:
    """One QAction per spec, connected to `handlers[name]`.

    A handler for a name no spec declares is a slip in a room's `handlers()`: refused here, rather
    than leaving a menu item that does nothing."""
    unknown = sorted(handlers.keys() - {spec.name for spec in ACTIONS})
    if unknown:
        raise ValueError(f"handlers for actions no spec declares: {', '.join(unknown)}")
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        action = QAction(spec.text, parent)
        action.setObjectName(f"action_{spec.name}")
        if isinstance(spec.shortcut, QKeySequence.StandardKey):
            action.setShortcuts(spec.shortcut)
        elif spec.shortcut:
            action.setShortcut(QKeySequence(spec.shortcut))
        keys = shortcut_text(action)
        if spec.tip:
            action.setStatusTip(spec.tip)
        # Every button and menu item says what it does and which keys do it too.
        action.setToolTip(plain_text(spec) + (f" ({keys})" if keys else "") + (f" — {spec.tip}" if spec.tip else ""))
        action.setCheckable(spec.checkable)
        if spec.name in handlers:
            handler = handlers[spec.name]
            if spec.checkable:
                action.toggled.connect(handler)
            else:
                action.triggered.connect(lambda checked=False, h=handler: h())
        actions[spec.name] = action
    return actions
