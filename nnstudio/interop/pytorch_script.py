"""A network as one readable PyTorch script: `torch.nn` modules with the exact weights, the same loss and
optimiser settings, a `train(...)` loop, and a check that prints the output for the file's input.

It needs nothing but torch. Weights are inline for small networks, else in a `.safetensors` file beside
the script, which the script reads with a dozen lines of its own (so not even the safetensors package is
needed). The loss is nnstudio's (MSE is ½Σ(y − ŷ)² per sample, averaged over a batch), L2 applies to W
only, and ReLU′(0) = 0 as in torch, so `python script.py --step --json` prints the output, loss and
updated parameters `nnstudio step --json` prints (the tests compare them when torch is installed).

A network trained on normalised inputs starts with a `Normalise` module, x ↦ (x − offset)/scale in the
network's precision (offset and scale inline, as buffers: saved with the model, never trained), so the
model, its `train` loop and the check all take raw inputs and give `nnstudio eval`'s answer.

A convolutional network keeps that flat interface: `nn.Unflatten` turns each input's C·H·W values ((C, H, W)
order, as `nnstudio eval --input` reads them) into maps for `nn.Conv2d` (kernel (K, C, k, k), as nnstudio's),
`nn.MaxPool2d` and `nn.AvgPool2d`, and `nn.Flatten` turns maps back into that order before the first dense
layer and at the end of a network that ends in maps. Layer l's tensors are `W{l}`, `b{l}` (a pooling has none).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nnstudio.core.layer_checks import is_spatial
from nnstudio.core.losses import get_loss
from nnstudio.core.network import Conv2DLayer, Pool2DLayer
from nnstudio.core.project import Project
from nnstudio.data.dataset import Normalisation
from nnstudio.interop.safetensors_file import save_safetensors
from nnstudio.interop.script_text import (docstring_text, literal, loss_and_target, number, refusal_lines, save_script,
                                          shapes_text)

MODULES = {
    "identity": "nn.Identity()",
    "relu": "nn.ReLU()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "gelu": "nn.GELU()  # exact: z·Φ(z)",
    "swish": "nn.SiLU()",
    "softmax": "nn.Softmax(dim=-1)",
    "sign": "Elementwise(lambda z: torch.where(z >= 0, 1.0, -1.0).to(z.dtype))  # +1 at 0; g′ = 0",
    "step": "Elementwise(lambda z: (z >= 0).to(z.dtype))  # g′ = 0",
    "softplus": "Elementwise(lambda z: torch.logaddexp(torch.zeros_like(z), z))  # ln(1 + eᶻ), no threshold",
}
LOSSES = {
    "mse": "0.5 * ((y - y_hat) ** 2).sum(dim=-1).mean()  # ½Σ(y − ŷ)² per sample",
    "bce": "-(y * torch.log(p) + (1 - y) * torch.log1p(-p)).sum(dim=-1).mean()",
    "cce": "-(y * torch.log(p)).sum(dim=-1).mean()",
}
CLIPS = {"bce": "p = y_hat.clamp(EPS, 1 - EPS)", "cce": "p = y_hat.clamp(EPS, 1.0)"}


def _module(layer) -> str:  # type: ignore[no-untyped-def]
    if layer.activation == "leaky_relu":
        return f"nn.LeakyReLU({number(layer.params['slope'])})"
    if layer.activation == "elu":
        return f"nn.ELU({number(layer.params['alpha'])})"
    return MODULES[layer.activation]


def pytorch_script(project: Project, values_file: str | None = None) -> str:
    """The script's text; `values_file`: the sibling `.safetensors` holding W1, b1, … (large networks)."""
    network = project.network
    loss_name, target = loss_and_target(project)
    config = project.optimizer
    dtype = "torch.float64" if network.dtype == np.dtype(np.float64) else "torch.float32"
    lines = [
        '"""' + docstring_text(f"{project.name or 'network'} ({shapes_text(network)}) in PyTorch."),
        "",
        "Exported by nnstudio; needs only torch. `python this.py` prints the output for the file's input;",
        "`--step` also takes one optimiser step on (input, target) and prints the loss and updated parameters",
        "(`--json`: as `nnstudio step --json` names them). `train(inputs, targets)` trains on your data.",
        "",
        "nn.Linear keeps W as (neurons × inputs), one row per neuron, as nnstudio does: z = W·a + b.",
        *(["nn.Conv2d keeps its kernel as (K, C, k, k) and cross-correlates, as nnstudio does; the model takes",
           "each input flat, C·H·W values in (C, H, W) order, and nn.Flatten turns maps back into that order."]
          if network.is_spatial else []),
        '"""',
        "",
        "import json",
        "import sys",
        "",
        "import torch",
        "from torch import nn",
        "",
        f"DTYPE = {dtype}",
        "EPS = torch.finfo(DTYPE).eps  # probabilities are clipped to [ε, 1 − ε]",
        "",
        "",
        "class Elementwise(nn.Module):",
        '    """An activation torch has no module for, as nnstudio defines it."""',
        "",
        "    def __init__(self, function):",
        "        super().__init__()",
        "        self.function = function",
        "",
        "    def forward(self, z):",
        "        return self.function(z)",
        "",
        "",
        *_normalise_class(project),
        "def build():",
        f'    """The network: {shapes_text(network)}."""',
        "    model = nn.Sequential(",
    ]
    modules, main = _modules(project)
    for module in modules:  # the comma before a module's comment, not in it
        code, _, comment = module.partition("  # ")
        lines.append(f"        {code}," + (f"  # {comment}" if comment else ""))
    lines += ["    )", "    with torch.no_grad():"]
    if project.normalisation is not None:
        offset, scale = Normalisation.from_project_field(project.normalisation).rounded(network.dtype)
        lines.append(f"        model[0].offset.copy_(torch.tensor({literal(offset)}, dtype=DTYPE))")
        lines.append(f"        model[0].scale.copy_(torch.tensor({literal(scale)}, dtype=DTYPE))")
    if values_file is not None:
        lines += ["        values = read_safetensors(__file__, " + repr(values_file) + ")"]
    for index, (layer, at) in enumerate(zip(network.layers, main), start=1):
        weights, bias = layer.parameters()
        for name, values, tensor in (("weight", weights, "W"), ("bias", bias, "b")):
            if values is None:
                continue
            source = (f"values['{tensor}{index}'].to(DTYPE)" if values_file is not None else
                      f"torch.tensor({literal(values, '        ')}, dtype=DTYPE)")
            lines.append(f"        model[{at}].{name}.copy_({source})")
    lines += ["    return model", "", "", f"LAYERS = {main}  # model[i] of nnstudio's layers 1, 2, …", "", ""]
    if values_file is not None:
        lines += [
            "def read_safetensors(script, name):",
            '    """W1, b1, … from the .safetensors file beside this script (the format is a length, a JSON',
            '    header, then the bytes; read here so that nothing but torch is needed)."""',
            "    import os",
            "    with open(os.path.join(os.path.dirname(os.path.abspath(script)), name), 'rb') as handle:",
            "        length = int.from_bytes(handle.read(8), 'little')",
            "        header = json.loads(handle.read(length))",
            "        data = handle.read()",
            "    kinds = {'F32': torch.float32, 'F64': torch.float64}",
            "    return {key: torch.frombuffer(bytearray(data[e['data_offsets'][0]:e['data_offsets'][1]]),",
            "                                  dtype=kinds[e['dtype']]).reshape(e['shape'])",
            "            for key, e in header.items() if key != '__metadata__'}",
            "",
            "",
        ]
    lines += [
        "def loss_fn(y_hat, y):",
        f'    """{get_loss(loss_name).label}, as nnstudio computes it (the mean over a batch)."""',
    ]
    if loss_name in CLIPS:
        lines.append(f"    {CLIPS[loss_name]}")
    lines += [f"    return {LOSSES[loss_name]}", "", "", "def optimiser(model):",
              '    """The file\'s optimiser; L2 (weight decay) on W only, as in nnstudio."""',
              "    learned = [m for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]  # pooling learns nothing",
              "    weights = [m.weight for m in learned]",
              "    biases = [m.bias for m in learned if m.bias is not None]",
              f"    groups = [{{'params': weights, 'weight_decay': {number(config.l2)}}}, "
              "{'params': biases, 'weight_decay': 0.0}]"]
    if config.name == "sgd":
        lines.append(f"    return torch.optim.SGD(groups, lr={number(config.learning_rate)})")
    elif config.name == "momentum":
        lines.append("    # nnstudio's v ← μv − α·g, w ← w + v is torch's momentum for a constant learning rate")
        lines.append(f"    return torch.optim.SGD(groups, lr={number(config.learning_rate)}, "
                     f"momentum={number(config.momentum)})")
    else:
        lines.append(f"    return torch.optim.Adam(groups, lr={number(config.learning_rate)}, "
                     f"betas=({number(config.beta1)}, {number(config.beta2)}), eps={number(config.epsilon)})")
    lines += [
        "",
        "",
        "def train(model, inputs, targets, epochs=5, batch_size=32, seed=0):",
        '    """Mini-batch training on tensors (samples × inputs, samples × outputs); the mean loss per epoch."""',
        "    generator = torch.Generator().manual_seed(seed)",
        "    step = optimiser(model)",
        "    losses = []",
        "    for epoch in range(epochs):",
        "        order = torch.randperm(len(inputs), generator=generator)",
        "        total = 0.0",
        "        for start in range(0, len(inputs), batch_size):",
        "            batch = order[start:start + batch_size]",
        "            step.zero_grad()",
        "            loss = loss_fn(model(inputs[batch]), targets[batch])",
        "            loss.backward()",
        "            step.step()",
        "            total += loss.item() * len(batch)",
        "        losses.append(total / len(inputs))",
        "        print(f'epoch {epoch + 1}: loss {losses[-1]:.6g}')",
        "    return losses",
        "",
        "",
        "if __name__ == '__main__':",
        "    model = build()",
        f"    x = torch.tensor([{literal(project.input)}], dtype=DTYPE)",
        f"    y = torch.tensor([{literal(target)}], dtype=DTYPE)",
        "    y_hat = model(x)",
        "    result = {'output': y_hat[0].tolist()}",
        "    if '--step' in sys.argv[1:]:",
        *refusal_lines(project, "        "),
        "        step = optimiser(model)",
        "        step.zero_grad()",
        "        loss = loss_fn(y_hat, y)",
        "        loss.backward()",
        "        step.step()",
        "        result['loss'] = loss.item() + 0.0  # + 0.0: a zero loss is 0, not -0 (an all-zero target)",
        "        layers = [model[i] for i in LAYERS]  # nn.Linear, nn.Conv2d, or a pooling with no parameters",
        "        result['layers'] = [{'new_weights': m.weight.tolist() if hasattr(m, 'weight') else None,",
        "                             'new_bias': None if getattr(m, 'bias', None) is None else m.bias.tolist()}",
        "                            for m in layers]",
        "    if '--json' in sys.argv[1:]:",
        "        print(json.dumps(result))",
        "    else:",
        "        print('output ŷ =', result['output'])",
        "        if 'loss' in result:",
        "            print('loss L =', result['loss'])",
        "            for index, layer in enumerate(result['layers'], start=1):",
        "                if layer['new_weights'] is not None:",
        "                    print(f'W{index} =', layer['new_weights'])",
        "                if layer['new_bias'] is not None:",
        "                    print(f'b{index} =', layer['new_bias'])",
        "",
    ]
    return "\n".join(lines)


def _modules(project: Project) -> tuple[list[str], list[int]]:
    """The `nn.Sequential`'s modules, and for each nnstudio layer the index of its Linear, Conv2d or pooling.

    Maps travel between modules as [B, C, H, W]: an `nn.Unflatten` makes them from the flat input (the values
    in (C, H, W) order, as `nnstudio eval --input` takes them), and an `nn.Flatten` before the first dense
    layer after maps (and at the end of a network that ends in maps) flattens them in that same order."""
    network = project.network
    modules = [] if project.normalisation is None else [f"Normalise({network.input_size})"]
    maps = bool(network.layers) and is_spatial(network.layers[0])
    if maps and network.input_shape is not None:
        modules.append(f"nn.Unflatten(1, {tuple(network.input_shape)})  # flat (C, H, W)-ordered input → maps")
    main = []
    for layer in network.layers:
        if isinstance(layer, Pool2DLayer):
            kind = "MaxPool2d" if layer.kind == "max" else "AvgPool2d"
            main.append(len(modules))
            modules.append(f"nn.{kind}({layer.size}, stride={layer.stride})  # floor: leftover rows are dropped")
            continue
        if isinstance(layer, Conv2DLayer):
            main.append(len(modules))
            modules.append(f"nn.Conv2d({layer.in_shape[0]}, {layer.channels}, {layer.k}, stride={layer.stride}, "
                           f"padding={layer.pad}, bias={layer.bias is not None}, dtype=DTYPE)")
        else:
            if maps:
                modules.append("nn.Flatten()  # maps → one row per sample, in (C, H, W) order")
                maps = False
            main.append(len(modules))
            modules.append(f"nn.Linear({layer.n_in}, {layer.n_out}, bias={layer.bias is not None}, dtype=DTYPE)")
        modules.append(_module(layer))
    if maps:
        modules.append("nn.Flatten()  # the output maps, flattened as `nnstudio eval` prints them")
    return modules, main


def _normalise_class(project: Project) -> list[str]:
    """The `Normalise` module's source for a network with a stored normalisation (else nothing): the first
    module of the model, so whatever is fed to the model (the check, `train`, the user's data) is raw."""
    if project.normalisation is None:
        return []
    return [
        "class Normalise(nn.Module):",
        f'    """x ↦ (x − offset)/scale: the input normalisation kept with the network '
        f'({project.normalisation["kind"]}), so',
        "    the model takes raw inputs. offset and scale are buffers: saved in the state_dict, never trained.",
        '    """',
        "",
        "    def __init__(self, size):",
        "        super().__init__()",
        "        self.register_buffer('offset', torch.zeros(size, dtype=DTYPE))",
        "        self.register_buffer('scale', torch.ones(size, dtype=DTYPE))",
        "",
        "    def forward(self, x):",
        "        return (x - self.offset) / self.scale",
        "",
        "",
    ]


def save_pytorch_script(project: Project, path: str | os.PathLike[str]) -> list[Path]:
    """Write the script (and, for a large network, its `.safetensors` beside it); the files written."""
    return save_script(project, path, pytorch_script, ".safetensors", save_safetensors)
