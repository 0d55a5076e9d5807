"""A network as a plain NumPy script, for study: the forward pass, the loss, the backward pass and one
update written out in the textbook's notation, printing what `nnstudio step` prints.

Only the activations, loss and optimiser the network uses are written, each as nnstudio computes it,
so the script's numbers equal `nnstudio step --json` (the tests run it and compare). Weights are
inline for small networks, else in an `.npz` beside the script (read with allow_pickle=False). A stored
input normalisation is written inline whatever the size (one offset and one scale per input, a line
each), so the `.npz` stays the W1, b1, … that `load_npz` reads, and the script takes raw inputs.

A convolutional network's script adds its layer table, convolution and pooling with explicit loops, and the
loops that use them (numpy_script_maps.py); a dense network's script is exactly as it was.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from nnstudio.core.project import Project
from nnstudio.data.dataset import Normalisation
from nnstudio.atomic import atomic_write
from nnstudio.interop.numpy_script_maps import BACKWARD, FORWARD, FUNCTIONS, table_lines
from nnstudio.interop.script_text import (docstring_text, literal, loss_and_target, number, refusal_lines, save_script,
                                          shapes_text)

ACTIVATION_CODE = {
    "identity": ("z.copy()", "np.ones_like(z)"),
    "sign": ("np.where(z >= 0, 1.0, -1.0).astype(z.dtype)", "np.zeros_like(z)"),
    "step": ("(z >= 0).astype(z.dtype)", "np.zeros_like(z)"),
    "sigmoid": ("0.5 * (1.0 + np.tanh(0.5 * z))", "a * (1.0 - a)"),
    "tanh": ("np.tanh(z)", "1.0 - a * a"),
    "relu": ("np.maximum(z, 0.0)", "(z > 0).astype(z.dtype)  # ReLU′(0) = 0"),
    "leaky_relu": ("np.where(z > 0, z, p['slope'] * z)", "np.where(z > 0, 1.0, p['slope']).astype(z.dtype)"),
    "elu": ("np.where(z > 0, z, p['alpha'] * np.expm1(np.minimum(z, 0.0)))",
            "np.where(z > 0, 1.0, a + p['alpha']).astype(z.dtype)"),
    "gelu": ("z * 0.5 * (1.0 + erf(z / math.sqrt(2.0)))",
             "0.5 * (1.0 + erf(z / math.sqrt(2.0))) + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)"),
    "softplus": ("np.logaddexp(0.0, z)", "0.5 * (1.0 + np.tanh(0.5 * z))"),
    "swish": ("z * (0.5 * (1.0 + np.tanh(0.5 * z)))",
              "(lambda s: s + z * s * (1.0 - s))(0.5 * (1.0 + np.tanh(0.5 * z)))"),
    "softmax": ("(lambda e: e / np.sum(e))(np.exp(z - np.max(z)))", None),
}

# (value, ∂L/∂ŷ, formula) in terms of y_hat and y; p is ŷ clipped to [ε, 1 − ε]
LOSS_CODE = {
    "mse": ("0.5 * np.sum((y - y_hat) ** 2)", "-(y - y_hat)", "L = ½Σ(y − ŷ)²,  ∂L/∂ŷ = −(y − ŷ)"),
    "bce": ("-np.sum(y * np.log(p) + (1 - y) * np.log1p(-p))", "(p - y) / (p * (1 - p))",
            "L = −Σ[y ln ŷ + (1 − y) ln(1 − ŷ)]"),
    "cce": ("-np.sum(y * np.log(p))", "-y / p", "L = −Σ y ln ŷ"),
}
CLIP = {"bce": "p = np.clip(y_hat, EPS, 1 - EPS)", "cce": "p = np.clip(y_hat, EPS, 1.0)"}
# (loss, output activation) with a closed form, as core/losses.py computes it: the loss from the output's z
# (stable; in terms of z_out and y), δ = ∂L/∂z (in terms of y_hat and y), and δ in words.
FUSED = {
    ("bce", "sigmoid"): ("np.sum(np.maximum(z_out, 0.0) - z_out * y + np.log1p(np.exp(-np.abs(z_out))))",
                         "y_hat - y", "ŷ − y"),
    ("cce", "softmax"): ("-np.sum(y * ((z_out - np.max(z_out)) - np.log(np.sum(np.exp(z_out - np.max(z_out))))))",
                         "y_hat * np.sum(y) - y", "ŷ·Σy − y (ŷ − y when the target sums to 1)"),
    ("cce", "sigmoid"): ("np.sum(y * (np.maximum(-z_out, 0.0) + np.log1p(np.exp(-np.abs(z_out)))))",
                         "-y * (1.0 - y_hat)", "−y·(1 − ŷ)"),
}


def numpy_script(project: Project, values_file: str | None = None) -> str:
    """The script's text; `values_file`: the name of the sibling `.npz` holding W1, b1, … (large networks)."""
    network = project.network
    loss_name, target = loss_and_target(project)
    last = network.layers[-1].activation
    fused = (loss_name, last) in FUSED
    config = project.optimizer
    count = len(network.layers)
    used = sorted({layer.activation for layer in network.layers})
    spatial = network.is_spatial
    lines = [
        '"""' + docstring_text(f"{project.name or 'network'} ({shapes_text(network)}): one forward pass, "
                               "the loss, the backward pass and one update, in plain NumPy."),
        "",
        "Exported by nnstudio; run it with `python` (NumPy only). It prints what `nnstudio step` prints,",
        "and with --json what `nnstudio step --json` prints.",
        "",
        "Notation (the textbook's): W of layer l is (neurons × inputs), one row per neuron;",
        "z = W·a_prev + b, a = g(z); the output error term δ = ∂L/∂z; a hidden layer's",
        "δ = (W_nextᵀ δ_next) ∘ g′(z); ∂L/∂W = δ·a_prevᵀ, ∂L/∂b = δ. Every gradient is computed",
        "before any parameter changes.",
        *(["", "A convolution's W[l] is its kernel (K, C, k, k), cross-correlated as in PyTorch; maps are kept",
           "flat in (C, H, W) order between layers (the input too), and reshaped where a layer reads them."]
          if spatial else []),
        '"""',
        "",
        "import json",
        "import math",
        "import sys",
        "",
        "import numpy as np",
        "",
        f"DTYPE = np.{np.dtype(network.dtype).name}",
        "EPS = float(np.finfo(DTYPE).eps)  # probabilities are clipped to [ε, 1 − ε]",
        "",
    ]
    if "gelu" in used:
        lines += ["erf = np.vectorize(math.erf, otypes=[float])", ""]
    lines += ["# Layer l (1-based, as in the textbook): W[l], b[l] (None: no bias), its activation g and parameters."]
    if values_file is None:
        lines.append("W = [None,")
        for layer in network.layers:
            main = layer.parameters()[0]
            lines.append("     None,  # pooling: nothing to learn" if main is None else
                         f"     np.array({literal(main, '     ')}, dtype=DTYPE),")
        lines.append("]")
        lines.append("b = [None,")
        for layer in network.layers:
            lines.append(f"     {'None' if layer.bias is None else f'np.array({literal(layer.bias)}, dtype=DTYPE)'},")
        lines.append("]")
    else:
        lines += [
            "import os",
            f"with np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), {values_file!r}),"
            " allow_pickle=False) as values:",
            f"    W = [None] + [values[f'W{{l}}'].astype(DTYPE) if f'W{{l}}' in values else None "
            f"for l in range(1, {count + 1})]",
            f"    b = [None] + [values[f'b{{l}}'].astype(DTYPE) if f'b{{l}}' in values else None "
            f"for l in range(1, {count + 1})]",
        ]
    lines += [
        f"g = [None, {', '.join(repr(layer.activation) for layer in network.layers)}]",
        f"params = [None, {', '.join(repr(dict(layer.params)) for layer in network.layers)}]",
        *(table_lines(network) if spatial else []),
        *_input_lines(project),
        f"y = np.array({literal(target)}, dtype=DTYPE)",
        f"learning_rate = {number(config.learning_rate)}",
        f"l2 = {number(config.l2)}  # L2 adds ½λ‖W‖² to the loss (biases are not regularised)",
        "",
        "",
        "def activation(name, z, p):",
        '    """a = g(z)."""',
    ]
    for name in used:
        lines += [f"    if name == {name!r}:", f"        return {ACTIVATION_CODE[name][0]}"]
    lines += ["    raise ValueError(name)", "", "", "def derivative(name, z, a, p):",
              '    """g′(z) (softmax goes through its Jacobian in `backward`)."""']
    for name in used:
        if ACTIVATION_CODE[name][1] is not None:
            lines += [f"    if name == {name!r}:", f"        return {ACTIVATION_CODE[name][1]}"]
    value, gradient, formula = LOSS_CODE[loss_name]
    lines += ["    raise ValueError(name)", *(FUNCTIONS if spatial else []), "", "",
              "L_LAYERS = len(W) - 1", *refusal_lines(project)]
    lines += FORWARD if spatial else [
              "",
              "# Forward pass: z[l] = W[l]·a[l−1] + b[l], a[l] = g(z[l]), a[0] = x.",
              "a, z = [x], [None]",
              "for l in range(1, L_LAYERS + 1):",
              "    z_l = a[l - 1] @ W[l].T  # = W[l]·a[l−1]",
              "    if b[l] is not None:",
              "        z_l = z_l + b[l]",
              "    z.append(z_l)",
              "    a.append(activation(g[l], z_l, params[l]))",
              "y_hat = a[L_LAYERS]"]
    lines += ["", f"# Loss ({loss_name}): {formula}"]
    if fused:
        from_z, delta_code, in_words = FUSED[(loss_name, last)]
        lines += ["z_out = z[L_LAYERS]",
                  f"loss = float({from_z}) + 0.0  # from z: stable (+ 0.0: a zero loss is 0, not -0)",
                  "",
                  f"# Output error term: with {last} and this loss, δ = ∂L/∂z = {in_words}.",
                  "delta = [None] * (L_LAYERS + 1)",
                  f"delta[L_LAYERS] = {delta_code}"]
    else:
        lines += ([CLIP[loss_name]] if loss_name in CLIP else []) + [
                  f"loss = float({value}) + 0.0",
                  "",
                  "# Output error term: δ = ∂L/∂ŷ ∘ g′(z) (for softmax, its Jacobian times ∂L/∂ŷ).",
                  f"grad_a = {gradient}",
                  "delta = [None] * (L_LAYERS + 1)",
                  "if g[L_LAYERS] == 'softmax':",
                  "    delta[L_LAYERS] = y_hat * (grad_a - np.sum(grad_a * y_hat))",
                  "else:",
                  "    delta[L_LAYERS] = grad_a * derivative(g[L_LAYERS], z[L_LAYERS], y_hat, params[L_LAYERS])"]
    lines += BACKWARD + [""] if spatial else [
              "",
              "# Backward pass: ∂L/∂W = δ·a_prevᵀ, ∂L/∂b = δ; a hidden δ = (W_nextᵀ δ_next) ∘ g′(z).",
              "grad_W, grad_b = [None] * (L_LAYERS + 1), [None] * (L_LAYERS + 1)",
              "for l in range(L_LAYERS, 0, -1):",
              "    grad_W[l] = np.outer(delta[l], a[l - 1])",
              "    grad_b[l] = delta[l].copy() if b[l] is not None else None",
              "    if l > 1:",
              "        signal = delta[l] @ W[l]  # = W[l]ᵀ·δ[l]",
              "        if g[l - 1] == 'softmax':",
              "            delta[l - 1] = a[l - 1] * (signal - np.sum(signal * a[l - 1]))",
              "        else:",
              "            delta[l - 1] = signal * derivative(g[l - 1], z[l - 1], a[l - 1], params[l - 1])",
              ""]
    lines += _update_lines(config, spatial)
    lines += [
        "",
        "",
        "def as_list(values):",
        "    return None if values is None else (np.asarray(values, dtype=float) + 0.0).tolist()  # no -0.0",
        "",
        "",
        "result = {",
        *(['    "input": as_list(x_raw),', '    "normalised_input": as_list(x),']
          if project.normalisation is not None else ['    "input": as_list(x),']),
        '    "layers": [{"activation": g[l], "z": as_list(z[l]), "a": as_list(a[l]), "delta": as_list(delta[l]),',
        '                "grad_weights": as_list(grad_W[l]), "grad_bias": as_list(grad_b[l]),',
        '                "new_weights": as_list(new_W[l]), "new_bias": as_list(new_b[l])}',
        "               for l in range(1, L_LAYERS + 1)],",
        '    "output": as_list(y_hat),',
        '    "target": as_list(y),',
        '    "loss": loss,',
        '    "learning_rate": learning_rate,',
        f'    "optimizer": {config.name!r},',
        "}",
        "if '--json' in sys.argv[1:]:",
        "    print(json.dumps(result))",
        "else:",
        "    np.set_printoptions(precision=10)",
        "    for l, layer in enumerate(result['layers'], start=1):",
        *(["        print(f'layer {l} ({kind[l]}, {layer[\"activation\"]})')",
           "        print(f'  z           = {np.array(layer[\"z\"])}')  # maps flattened in (C, H, W) order"]
          if spatial else
          ["        print(f'layer {l} ({layer[\"activation\"]})')",
           "        print(f'  z = W·a + b = {np.array(layer[\"z\"])}')"]),
        "        print(f'  a = g(z)    = {np.array(layer[\"a\"])}')",
        "    print(f'output ŷ = {y_hat}, target y = {y}, loss L = {loss:.10g}')",
        "    for l in range(L_LAYERS, 0, -1):",
        "        print(f'layer {l}: δ = {delta[l] + 0.0}')  # + 0.0: a zero δ prints 0, not -0",
        "    print(f'updated parameters ({result[\"optimizer\"]}, learning rate {learning_rate:g})')",
        "    for l in range(1, L_LAYERS + 1):",
        *(["        if new_W[l] is None:", "            continue  # pooling: nothing was learned"] if spatial else []),
        "        print(f'  W{l} =', new_W[l].tolist())",
        "        if new_b[l] is not None:",
        "            print(f'  b{l} =', new_b[l].tolist())",
        "",
    ]
    return "\n".join(lines)


def _input_lines(project: Project) -> list[str]:
    """`x`, the input the forward pass starts from: the file's input, or for a network trained on normalised
    inputs, that input raw (`x_raw`) normalised by the stored offset and scale in DTYPE, as `nnstudio eval`
    computes it (Normalisation.apply_in), so the script's answer equals nnstudio's on the same raw input."""
    raw = f"np.array({literal(project.input)}, dtype=DTYPE)"
    if project.normalisation is None:
        return [f"x = {raw}"]
    offset, scale = Normalisation.from_project_field(project.normalisation).rounded(project.network.dtype)
    return [
        f"# Input normalisation ({project.normalisation['kind']}), kept with the network: it sees "
        "x = (x_raw − offset)/scale,",
        "# so x_raw is an input as the dataset holds it (pixels, measurements).",
        f"x_raw = {raw}",
        f"offset = np.array({literal(offset)}, dtype=DTYPE)",
        f"scale = np.array({literal(scale)}, dtype=DTYPE)",
        "x = (x_raw - offset) / scale",
    ]


def _update_lines(config, spatial: bool = False) -> list[str]:  # type: ignore[no-untyped-def]
    """One step of the file's optimiser from a fresh start (no velocity or moments yet)."""
    lines = ["# Update: every gradient above was computed before any parameter changes.",
             "new_W, new_b = [None] * (L_LAYERS + 1), [None] * (L_LAYERS + 1)",
             "for l in range(1, L_LAYERS + 1):",
             *(["    if W[l] is None:", "        continue  # pooling: nothing to learn"] if spatial else []),
             "    gW = grad_W[l] + l2 * W[l] if l2 else grad_W[l]"]
    if config.name == "sgd":
        lines += ["    # SGD: w ← w − α·∂L/∂w",
                  "    new_W[l] = W[l] - learning_rate * gW",
                  "    new_b[l] = None if b[l] is None else b[l] - learning_rate * grad_b[l]"]
    elif config.name == "momentum":
        lines += [f"    # Momentum (μ = {config.momentum:g}), first step: v ← μ·0 − α·∂L/∂w, w ← w + v",
                  f"    new_W[l] = W[l] + ({number(config.momentum)} * np.zeros_like(gW) - learning_rate * gW)",
                  f"    new_b[l] = None if b[l] is None else b[l] + ({number(config.momentum)} * "
                  "np.zeros_like(grad_b[l]) - learning_rate * grad_b[l])"]
    else:
        b1, b2, eps = number(config.beta1), number(config.beta2), number(config.epsilon)
        lines += [f"    # Adam (β₁ = {config.beta1:g}, β₂ = {config.beta2:g}, ε = {config.epsilon:g}), first step t = 1",
                  "    def adam(p, grad):",
                  f"        m = {b1} * np.zeros_like(grad) + (1.0 - {b1}) * grad",
                  f"        v = {b2} * np.zeros_like(grad) + (1.0 - {b2}) * grad * grad",
                  f"        return p - learning_rate * (m / (1.0 - {b1} ** 1)) / (np.sqrt(v / (1.0 - {b2} ** 1)) + {eps})",
                  "    new_W[l] = adam(W[l], gW)",
                  "    new_b[l] = None if b[l] is None else adam(b[l], grad_b[l])"]
    return lines


def save_numpy_script(project: Project, path: str | os.PathLike[str]) -> list[Path]:
    """Write the script (and, for a large network, its `.npz` beside it); the files written."""
    return save_script(project, path, numpy_script, ".npz", _save_values)


def _save_values(project: Project, path: Path) -> None:
    """W1, b1, … as the script reads them: each layer's weights or kernel and its bias; a pooling layer has none,
    so its numbers are skipped (W2 is layer 2's, whatever comes before it)."""
    arrays = {}
    for index, layer in enumerate(project.network.layers, start=1):
        for name, values in zip("Wb", layer.parameters()):
            if values is not None:
                arrays[f"{name}{index}"] = np.asarray(values)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(path, buffer.getvalue())
