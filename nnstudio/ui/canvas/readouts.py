"""What the canvas's items read: each neuron's and edge's value, the output, the banner, the titles.

The scene makes the items and places them (layout.py says where); these functions say what they
show, from the document alone: the plain forward pass, or the step of a pass being walked through
in the chosen edge mode ("weight", "gradient" δ_j·a_i or "signal" w_ji·δ_j). Numbers are shortened
to `digits` on the canvas; tooltips always give all of them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from PySide6.QtWidgets import QGraphicsItem

from nnstudio.core.activations import get_activation
from nnstudio.core.errors import NNStudioError
from nnstudio.core.project import Project
from nnstudio.document import Document
from nnstudio.ui import format as fmt
from nnstudio.ui.canvas import style
from nnstudio.ui.canvas.edge_item import EdgeItem
from nnstudio.ui.canvas.image_item import ImageItem
from nnstudio.ui.canvas.neuron_item import NeuronItem
from nnstudio.ui.selection import ItemKey

MODE_NAMES = {"weight": "w", "gradient": "∂L/∂w", "signal": "w·δ"}


def column_titles(project: Project, column: int) -> tuple[str, str]:
    """The title and subtitle over a column: "Input", "2 inputs"; "Layer 2 · output", "1 · sigmoid"."""
    net = project.network
    if column == 0:
        image = project.input_image
        shape = f" ({image[0]}×{image[1]} image)" if image else ""
        return "Input", f"{net.input_size} input{'s' if net.input_size != 1 else ''}{shape}"
    layer = net.layers[column - 1]
    title = f"Layer {column}" + (" · output" if column == len(net.layers) else "")
    return title, f"{layer.n_out} · {get_activation(layer.activation).label}"


def banner_text(document: Document, edge_mode: str) -> str:
    """Where the pass stands and what the edges show, or why they show nothing yet."""
    plan = document.stepping.plan
    mode = MODE_NAMES[edge_mode]
    shown = document.shown()
    if shown.source == "rewind":
        return (f"Rewound · the network at {document.preview_rewound}; 'Use these weights' keeps it, "
                "the slider's end returns")
    if shown.source == "training":
        return "Training · the canvas follows the network as it learns"
    if plan is None:
        if edge_mode == "weight":
            return ""
        return f"Edges show w: {mode} needs a pass through the network; Step ▶ (F10) starts one"
    parts = [f"Step {plan.index} of {len(plan.steps) - 1} · {shown.phase}"]
    layers = range(len(document.project.network.layers))
    if plan.updated():
        parts.append("edges: old → new value of each weight and bias")
    elif edge_mode == "gradient" and not any(plan.gradients_visible(k) for k in layers):
        parts.append("edges: ∂L/∂w = δ·a appears once the backward pass reaches a layer's gradients")
    elif edge_mode == "signal" and not any(plan.delta_visible(k) for k in layers):
        parts.append("edges: w·δ appears once the backward pass reaches a layer's δ")
    elif edge_mode == "signal":
        parts.append("edges: w·δ carried back; a bias edge carries 1·δ")
    else:
        parts.append(f"edges: {mode}")
    return "\n".join(parts)


def output_summary(document: Document) -> str:
    """The output beside the last column, from the document's one answer (see shown.py).

    Up to four outputs are listed; more (MNIST's ten) show the predicted class and p.
    """
    shown = document.shown()
    if not shown.has_layers:
        return ""
    if shown.output is None:
        return "ŷ = ?" if len(shown.labels) == 1 else "\n".join(shown.output_lines()[:4] + (
            ["…"] if len(shown.labels) > 4 else []))
    if shown.classifier:
        return shown.predicted()
    return "\n".join(shown.output_lines())


def output_room(labels: tuple[str, ...] | list[str]) -> str:
    """The widest output the text beside the last column will hold for these output labels."""
    return ("\n".join(f"{label} = −0.0000" for label in labels[:4])
            if len(labels) <= 4 else f"→ {max(labels, key=len)} (p = 0.000)")


def edit_text(project: Project, key: ItemKey) -> str:
    """The text an in-place editor starts with: what was typed, else the full number."""
    if key.kind == "neuron" and key.column == 0:
        typed = project.input_text[key.row]
        return typed or fmt.full(project.input[key.row])
    layer = project.network.layers[key.column - 1]
    if key.kind == "layer":  # every bias of the layer at once: shown when they are all alike
        if layer.bias is None:
            raise NNStudioError(f"layer {key.column} has no bias; turn on its bias in the inspector first")
        texts = {layer.bias_text.get(row) or fmt.full(layer.bias[row]) for row in range(layer.n_out)}
        return texts.pop() if len(texts) == 1 else ""
    if key.kind == "edge":
        return layer.weight_text.get((key.row, key.col)) or fmt.full(layer.weights[key.row, key.col])
    if layer.bias is None:
        raise NNStudioError(f"layer {key.column} has no bias; turn on its bias in the inspector first")
    return layer.bias_text.get(key.row) or fmt.full(layer.bias[key.row])


# ------------------------------------------------------------------ values put on the items


def show_inputs(project: Project, items: Mapping[ItemKey, QGraphicsItem], image: ImageItem | None,
                x: np.ndarray, texts: tuple, digits: int) -> None:
    """The input `x` on the input neurons (as typed when short), or on the image input."""
    for key, item in items.items():
        if key.kind == "neuron" and key.column == 0 and isinstance(item, NeuronItem):
            value = float(x[key.row])
            typed = texts[key.row] if texts else None
            label = fmt.pretty_expression(typed) if typed and len(typed) <= 6 else fmt.short(value, digits)
            item.set_value(label, f"input {project.input_label(key.row)} = {typed + ' = ' if typed else ''}"
                           f"{fmt.full(value)}")
    if image is not None:
        image.set_values(x)


def show_plain(document: Document, items: Mapping[ItemKey, QGraphicsItem], edges: list[EdgeItem],
               image: ImageItem | None, digits: int) -> None:
    """No pass being walked through: each neuron's activation, each edge's weight or bias."""
    project = document.project
    trace = document.shown_trace
    net = document.shown_network
    show_inputs(project, items, image, project.input, project.input_text, digits)
    for key, item in items.items():
        if key.kind != "neuron" or key.column == 0 or not isinstance(item, NeuronItem):
            continue
        if trace is not None:
            layer_trace = trace.layers[key.column - 1]
            z, a = float(layer_trace.z[key.row]), float(layer_trace.a[key.row])
            scale = float(np.max(np.abs(layer_trace.a))) or 1.0
            fill = style.value_colour(a, scale, alpha_floor=0)
            fill.setAlpha(int(fill.alpha() * 0.35))
            item.set_value(fmt.short(a, digits), f"{key.describe()}\nz = {fmt.full(z)}\na = {fmt.full(a)}", fill)
    for edge in edges:
        layer = net.layers[edge.key.column - 1]
        scale = float(max(np.max(np.abs(layer.weights)),
                          np.max(np.abs(layer.bias)) if layer.bias is not None else 0.0)) or 1.0
        value, typed = _weight(layer, edge)
        label = fmt.pretty_expression(typed) if typed and len(fmt.pretty_expression(typed)) <= 8 \
            else fmt.short(value, digits)
        edge.set_value(value, scale, label,
                       f"{edge.key.describe()} = {typed + ' = ' if typed else ''}{fmt.full(value)}")


def _weight(layer, edge: EdgeItem) -> tuple[float, str | None]:  # type: ignore[no-untyped-def]
    if edge.key.kind == "edge":
        return float(layer.weights[edge.key.row, edge.key.col]), layer.weight_text.get((edge.key.row, edge.key.col))
    return float(layer.bias[edge.key.row]), layer.bias_text.get(edge.key.row)


def edge_value(plan, edge_key: ItemKey, edge_mode: str, digits: int) -> tuple[float | None, str]:  # type: ignore[no-untyped-def]
    """What an edge shows at this step in the chosen mode: (value or None if not reached, label)."""
    passed = plan.current
    layer_index = edge_key.column - 1
    before = passed.before.layers[layer_index]
    j, i = edge_key.row, edge_key.col
    is_bias = edge_key.kind == "bias_edge"
    old = float(before.bias[j]) if is_bias else float(before.weights[j, i])
    if plan.updated():
        after = passed.after.layers[layer_index]
        new = float(after.bias[j]) if is_bias else float(after.weights[j, i])
        return new, f"{fmt.short(old, digits)} → {fmt.short(new, digits)}"
    if edge_mode == "weight":
        return old, fmt.short(old, digits)
    if passed.gradients is None:  # the pass stops before its loss (no target): nothing flows back
        return None, ""
    grads = passed.gradients.layers[layer_index]
    if edge_mode == "gradient":
        if not plan.gradients_visible(layer_index):
            return None, ""
        value = float(grads.grad_bias[j]) if is_bias else float(grads.grad_weights[j, i])
        return value, fmt.short(value, digits)
    if not plan.delta_visible(layer_index):  # "signal": what the edge carries back, w_ji·δ_j
        return None, ""
    delta = float(grads.delta[j])
    value = delta if is_bias else float(before.weights[j, i]) * delta
    return value, f"1·δ {fmt.short(value, digits)}" if is_bias else fmt.short(value, digits)


def neuron_text(plan, key: ItemKey, digits: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(label, tooltip) of a neuron at this step: blank until reached, then z and a, then a and δ."""
    layer_index = key.column - 1
    t = plan.current.trace.layers[layer_index]
    z, a = float(t.z[key.row]), float(t.a[key.row])
    lines, tips = [], [key.describe()]
    if plan.z_visible(layer_index):
        tips.append(f"z = {fmt.full(z)}")
    if plan.a_visible(layer_index):
        tips.append(f"a = {fmt.full(a)}")
    if plan.delta_visible(layer_index):
        delta = float(plan.current.gradients.layers[layer_index].delta[key.row])
        lines = [f"a {fmt.short(a, digits)}", f"δ {fmt.short(delta, digits)}"]
        tips.append(f"δ = ∂L/∂z = {fmt.full(delta)}")
    elif plan.a_visible(layer_index):
        lines = [f"z {fmt.short(z, digits)}", f"a {fmt.short(a, digits)}"]
    elif plan.z_visible(layer_index):
        lines = [f"z {fmt.short(z, digits)}"]
    return "\n".join(lines), "\n".join(tips)


def show_step(document: Document, plan, items: Mapping[ItemKey, QGraphicsItem],  # type: ignore[no-untyped-def]
              edges: list[EdgeItem], image: ImageItem | None, digits: int, edge_mode: str) -> None:
    """A pass being walked through: what each neuron and edge holds at this step, in `edge_mode`."""
    passed = plan.current
    project = document.project
    texts = project.samples[plan.step.sample].input_text if plan.use_samples else project.input_text
    show_inputs(project, items, image, passed.x, texts, digits)
    for key, item in items.items():
        if key.kind != "neuron" or key.column == 0 or not isinstance(item, NeuronItem):
            continue
        label, tip = neuron_text(plan, key, digits)
        fill = style.ACTIVE_FILL if plan.active_layer() == key.column - 1 else style.NEURON_FILL
        item.set_value(label, tip, fill)
    values: dict[int, list[float]] = {}
    shown = []
    for edge in edges:
        value, label = edge_value(plan, edge.key, edge_mode, digits)
        shown.append((edge, value, label))
        if value is not None:
            values.setdefault(edge.key.column, []).append(abs(value))
    for edge, value, label in shown:
        scale = max(values.get(edge.key.column, [0.0])) or 1.0
        tip = edge.key.describe() + ("" if value is None else f": {edge_mode if not plan.updated() else 'new'}"
                                     f" = {fmt.full(value)}")
        edge.set_value(0.0 if value is None else value, scale, label, tip)
