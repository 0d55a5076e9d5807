"""Makes tests/core/conv_network_table_torch.json: what PyTorch's autograd gives for whole networks that mix
convolution, max and average pooling and dense layers, so tests/core/test_conv_network_oracle.py can hold
nnstudio's forward, loss, backward and update (core/trace.py, core/optim.py) to it without torch.

Each case names a network (input shape, layers), a batch size, a loss and the kind of target; its numbers are
drawn here, seeded by the case's place in CASES: integer inputs in −2..2 (so that max pooling meets ties, as
it does after a ReLU's zeros or a step's 0s and 1s), kernels, weights and biases rounded to 3 decimals. torch
computes, in float64 on one thread: every layer's a, the loss in nnstudio's conventions (core/losses.py: the
batch mean of ½Σ(y − ŷ)² for mse; the cross-entropies summed over the outputs and averaged over the batch),
δ = ∂L/∂z of every layer (pooling: its output), ∂L/∂kernel, ∂L/∂W and ∂L/∂b, the max pools' indices, and the
parameters after one SGD step and, from the same start, one Adam step (torch.optim, L2 on the kernels and
weights only, as nnstudio's). The inputs are written beside the outputs, so the test reads the very numbers
torch was given.

Run again whenever CASES changes (the test says so: the file must hold exactly these cases), from the
repository's root:

    pip install torch==2.13.0
    python tests/core/make_conv_network_table_torch.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("conv_network_table_torch.json")
SGD_RATE = 0.1
ADAM_RATE = 0.01


def conv(channels: int, k: int, activation: str, stride: int = 1, pad: int = 0, bias: bool = True,
         params: dict[str, float] | None = None, bias_shift: float = 0.0) -> dict[str, Any]:
    return {"kind": "conv", "channels": channels, "k": k, "stride": stride, "pad": pad, "activation": activation,
            "params": params or {}, "bias": bias, "bias_shift": bias_shift}


def pool(kind: str, size: int, stride: int | None = None) -> dict[str, Any]:
    return {"kind": kind, "size": size, "stride": stride}


def dense(n: int, activation: str, bias: bool = True, params: dict[str, float] | None = None) -> dict[str, Any]:
    return {"kind": "dense", "n": n, "activation": activation, "params": params or {}, "bias": bias}


#: name → the network (input shape (C, H, W) and layers), the batch, the loss, its targets, and L2's λ
CASES: dict[str, dict[str, Any]] = {
    "conv relu stride 2 padding 1, max pool, dense softmax, cce": {
        "input": [2, 7, 7], "batch": 3, "loss": "cce", "target": "onehot", "l2": 0.0,
        "layers": [conv(3, 3, "relu", stride=2, pad=1), pool("max", 2), dense(4, "softmax")]},
    "max pool on integer input (ties), conv tanh, avg pool rounds down, dense sigmoid, bce": {
        "input": [2, 6, 5], "batch": 2, "loss": "bce", "target": "unit", "l2": 0.01,
        "layers": [pool("max", 2, 1), conv(3, 2, "tanh"), pool("avg", 2), dense(3, "sigmoid")]},
    "ends in a convolution: elu, then leaky relu stride 2, mse": {
        "input": [1, 5, 5], "batch": 2, "loss": "mse", "target": "normal", "l2": 0.0,
        "layers": [conv(2, 3, "elu", pad=1, params={"alpha": 0.7}),
                   conv(3, 3, "leaky_relu", stride=2, params={"slope": 0.2})]},
    "ends in a max pool: gelu with padding, overlapping 3×3 pool stride 2, mse": {
        "input": [3, 6, 6], "batch": 2, "loss": "mse", "target": "normal", "l2": 0.05,
        "layers": [conv(4, 3, "gelu", pad=1), pool("max", 3, 2)]},
    "ends in an average pool: softplus, 2×2 pool stride 1, mse": {
        "input": [2, 5, 4], "batch": 3, "loss": "mse", "target": "normal", "l2": 0.0,
        "layers": [conv(2, 2, "softplus", pad=1), pool("avg", 2, 1)]},
    "a sigmoid convolution is the output, bce": {
        "input": [2, 5, 5], "batch": 2, "loss": "bce", "target": "unit", "l2": 0.0,
        "layers": [conv(3, 3, "swish", stride=2, pad=2), conv(2, 3, "sigmoid", pad=1)]},
    "step before a max pool (ties of 0 and 1), dense swish, dense identity, mse": {
        "input": [1, 6, 6], "batch": 2, "loss": "mse", "target": "normal", "l2": 0.0,
        "layers": [conv(3, 2, "step"), pool("max", 2), dense(3, "swish"), dense(2, "identity")]},
    "relu zeros tie in a max pool, conv swish, dense softmax, sparse cce": {
        "input": [1, 8, 8], "batch": 4, "loss": "sparse_cce", "target": "index", "l2": 0.01,
        "layers": [conv(4, 3, "relu", bias_shift=-1.0), pool("max", 2), conv(2, 2, "swish"), dense(3, "softmax")]},
    "no bias, stride 3 padding 2, overlapping average pool, cce after sigmoid": {
        "input": [3, 7, 8], "batch": 2, "loss": "cce", "target": "nonneg", "l2": 0.0,
        "layers": [conv(4, 3, "identity", stride=3, pad=2, bias=False), pool("avg", 2, 1),
                   dense(3, "sigmoid", bias=False)]},
    "5×5 kernel with 'same' padding 2, max pool, dense elu, dense sigmoid, cce": {
        "input": [2, 6, 6], "batch": 2, "loss": "cce", "target": "nonneg", "l2": 0.02,
        "layers": [conv(3, 5, "identity", pad=2), pool("max", 2), dense(5, "elu"), dense(2, "sigmoid")]},
    "sign in a hidden convolution, tanh, dense softmax with mse (the softmax Jacobian)": {
        "input": [2, 6, 6], "batch": 2, "loss": "mse", "target": "onehot", "l2": 0.0,
        "layers": [conv(2, 3, "tanh", stride=2, pad=1), conv(3, 2, "sign", pad=1), pool("max", 2),
                   dense(3, "softmax")]},
    "one sample: even kernel padding 1, avg pool, dense relu, dense identity, mse": {
        "input": [4, 5, 5], "batch": 1, "loss": "mse", "target": "normal", "l2": 0.0,
        "layers": [conv(3, 4, "leaky_relu", pad=1), pool("avg", 3, 1), dense(4, "relu"), dense(2, "identity")]},
}


def layer_shapes(case: dict[str, Any]) -> list[tuple[int, ...]]:
    """The shape each layer gives, (C, H, W) or (n,), by ⌊(H + 2p − k)/s⌋ + 1 and ⌊(H − size)/stride⌋ + 1."""
    shape: tuple[int, ...] = tuple(case["input"])
    shapes = []
    for layer in case["layers"]:
        if layer["kind"] == "conv":
            k, s, p = layer["k"], layer["stride"], layer["pad"]
            shape = (layer["channels"], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1)
        elif layer["kind"] in ("max", "avg"):
            size, s = layer["size"], layer["stride"] or layer["size"]
            shape = (shape[0], (shape[1] - size) // s + 1, (shape[2] - size) // s + 1)
        else:
            shape = (layer["n"],)
        shapes.append(shape)
    return shapes


def case_inputs(index: int, case: dict[str, Any]) -> dict[str, Any]:
    """The case's numbers, as nested lists: x (B, C, H, W), each layer's [kernel or W, bias] ([] for pooling)
    and the targets y (class indices for sparse cce)."""
    rng = np.random.default_rng(1000 + index)

    def decimals(shape: tuple[int, ...], scale: float = 0.5, shift: float = 0.0) -> list:
        return np.round(shift + scale * rng.normal(size=shape), 3).tolist()

    batch = case["batch"]
    x = rng.integers(-2, 3, size=(batch, *case["input"])).tolist()
    params = []
    before: tuple[int, ...] = tuple(case["input"])
    for layer, shape in zip(case["layers"], layer_shapes(case)):
        if layer["kind"] == "conv":
            main = decimals((layer["channels"], before[0], layer["k"], layer["k"]))
        elif layer["kind"] == "dense":
            main = decimals((layer["n"], int(np.prod(before))))
        else:
            params.append([])
            before = shape
            continue
        bias = decimals((shape[0],), 0.3, layer.get("bias_shift", 0.0)) if layer["bias"] else None
        params.append([main, bias])
        before = shape
    outputs = int(np.prod(layer_shapes(case)[-1]))
    kind = case["target"]
    if kind == "index":
        y: list = rng.integers(0, outputs, size=batch).tolist()
    elif kind == "onehot":
        y = np.eye(outputs)[rng.integers(0, outputs, size=batch)].tolist()
    elif kind == "unit":
        y = np.round(rng.uniform(size=(batch, outputs)), 3).tolist()
    elif kind == "nonneg":
        y = np.round(rng.uniform(0, 1.5, size=(batch, outputs)), 3).tolist()
    else:
        y = decimals((batch, outputs), 1.0)
    return {"x": x, "params": params, "y": y}


def _activation(torch: Any, name: str, z: Any, params: dict[str, float]) -> Any:
    """nnstudio's activation `name` in torch: the same function and the same derivative (sign and step: 0)."""
    import torch.nn.functional as F

    if name == "step":
        return z * 0.0 + (z >= 0).to(z.dtype)
    if name == "sign":
        return z * 0.0 + torch.where(z >= 0, 1.0, -1.0).to(z.dtype)
    table = {"identity": lambda: z, "sigmoid": lambda: torch.sigmoid(z), "tanh": lambda: torch.tanh(z),
             "relu": lambda: torch.relu(z), "leaky_relu": lambda: F.leaky_relu(z, params.get("slope", 0.01)),
             "elu": lambda: F.elu(z, params.get("alpha", 1.0)), "gelu": lambda: F.gelu(z),
             "softplus": lambda: torch.logaddexp(z, torch.zeros_like(z)),  # F.softplus is linear beyond 20
             "swish": lambda: F.silu(z), "softmax": lambda: torch.softmax(z, dim=-1)}
    return table[name]()


def _loss(torch: Any, name: str, last: dict[str, Any], z: Any, a: Any, y: Any) -> Any:
    """nnstudio's loss (core/losses.py) in torch: from the logits where nnstudio uses the closed form."""
    import torch.nn.functional as F

    batch = a.shape[0]
    if name == "mse":
        return 0.5 * ((y - a) ** 2).sum() / batch
    if name == "bce":
        return F.binary_cross_entropy_with_logits(z, y, reduction="sum") / batch
    if name == "sparse_cce":
        y = F.one_hot(y, a.shape[-1]).to(a.dtype)
    log_p = torch.log_softmax(z, dim=-1) if last["activation"] == "softmax" else F.logsigmoid(z)
    return -(y * log_p).sum() / batch


def _forward(torch: Any, case: dict[str, Any], x: Any, leaves: list[list[Any]]) -> tuple[list[Any], list[Any], list]:
    """Every layer's z and a (torch tensors, z kept for its gradient) and the max pools' indices."""
    import torch.nn.functional as F

    zs, as_, indices = [], [], []
    a = x
    for layer, params in zip(case["layers"], leaves):
        if layer["kind"] == "conv":
            z = F.conv2d(a, params[0], params[1], stride=layer["stride"], padding=layer["pad"])
        elif layer["kind"] == "dense":
            z = torch.flatten(a, 1) @ params[0].T + (params[1] if params[1] is not None else 0.0)
        elif layer["kind"] == "max":
            z, where = F.max_pool2d(a, layer["size"], layer["stride"] or layer["size"], return_indices=True)
            indices.append(where.tolist())
        else:
            z = F.avg_pool2d(a, layer["size"], layer["stride"] or layer["size"])
        z.retain_grad()
        a = z if layer["kind"] in ("max", "avg") else _activation(torch, layer["activation"], z, layer["params"])
        zs.append(z)
        as_.append(a)
    return zs, as_, indices


def torch_values(case: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """What torch gives for the case's numbers (see the module docstring), as plain lists and floats."""
    import torch

    torch.set_num_threads(1)

    def leaves() -> list[list[Any]]:
        return [[None if p is None else torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in pair]
                for pair in inputs["params"]]

    def flat(t: Any) -> list:
        return t.detach().reshape(t.shape[0], -1).tolist()

    x = torch.tensor(inputs["x"], dtype=torch.float64, requires_grad=True)  # so a first pooling has a δ
    y = torch.tensor(inputs["y"], dtype=torch.int64 if case["target"] == "index" else torch.float64)
    params = leaves()
    zs, as_, indices = _forward(torch, case, x, params)
    loss = _loss(torch, case["loss"], case["layers"][-1], torch.flatten(zs[-1], 1), torch.flatten(as_[-1], 1), y)
    loss.backward()
    values: dict[str, Any] = {
        "loss": float(loss.detach()), "a": [flat(a) for a in as_], "max_indices": indices,
        "delta": [flat(z.grad) if z.grad is not None else np.zeros((len(inputs["x"]), int(np.prod(z.shape[1:])))
                                                                    ).tolist() for z in zs],
        "grad": [[None if p is None else (p.grad if p.grad is not None else torch.zeros_like(p)).tolist()
                  for p in pair] for pair in params]}
    for name, rule, rate in (("sgd", torch.optim.SGD, SGD_RATE), ("adam", torch.optim.Adam, ADAM_RATE)):
        params = leaves()
        mains = [pair[0] for pair in params if pair]
        biases = [pair[1] for pair in params if pair and pair[1] is not None]
        groups = [{"params": mains, "weight_decay": case["l2"]}] + ([{"params": biases, "weight_decay": 0.0}]
                                                                     if biases else [])
        optimizer = rule(groups, lr=rate)
        zs, as_, _ = _forward(torch, case, x, params)
        _loss(torch, case["loss"], case["layers"][-1], torch.flatten(zs[-1], 1), torch.flatten(as_[-1], 1),
              y).backward()
        optimizer.step()
        values[name] = [[None if p is None else p.detach().tolist() for p in pair] for pair in params]
    return values


def main() -> None:
    import torch

    lines = []
    for index, (name, case) in enumerate(CASES.items()):
        inputs = case_inputs(index, case)
        entry = {"case": case, **inputs, **torch_values(case, inputs)}
        lines.append(f" {json.dumps(name, ensure_ascii=False)}: {json.dumps(entry)}")
    made_by = json.dumps(f"tests/core/make_conv_network_table_torch.py with torch {torch.__version__}")
    OUT.write_text(f'{{"made_by": {made_by},\n"cases": {{\n' + ",\n".join(lines) + "\n}}\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(lines)} cases, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
