"""Makes tests/core/conv_table_torch.json: what PyTorch gives for the convolution and pooling cases below, so
tests/core/test_conv_oracle.py can hold nnstudio/core/conv.py to it without torch.

Each case is random inputs of a fixed shape (seeded): integer maps x in −2..2, so that max pooling meets ties;
a kernel, a bias and the weights R of a linear functional L = Σ R∘output, rounded to 3 decimals so the file
stays small. torch computes, in float64 on one thread: z = conv2d(x, kernel, bias, stride, padding) and, by
autograd on Σ R∘z, ∂L/∂x, ∂L/∂kernel, ∂L/∂bias; max_pool2d and avg_pool2d of x (size, stride, no padding), the
max pool's indices, and ∂L/∂x of each. The inputs are written into the file beside the outputs, so the test
reads the very numbers torch was given and needs no random generator.

Run again whenever CASES changes (the test says so: the file must hold exactly these cases), from the
repository's root:

    pip install torch==2.13.0
    python tests/core/make_conv_table_torch.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("conv_table_torch.json")

#: name → (B, C, H, W, K, k, stride, padding, pool size, pool stride or None for the size)
CASES: dict[str, tuple[int, int, int, int, int, int, int, int, int, int | None]] = {
    "one channel, 3×3 kernel, pool rounds down": (2, 1, 5, 5, 2, 3, 1, 0, 2, None),
    "3 → 4 channels, stride 2, padding 1, overlapping pool": (2, 3, 6, 5, 4, 3, 2, 1, 3, 2),
    "2×2 kernel, stride 2, 3×3 pool rounds down": (1, 2, 7, 7, 3, 2, 2, 0, 3, None),
    "5×5 kernel, 'same' padding 2, pool stride 1": (2, 2, 5, 6, 2, 5, 1, 2, 2, 1),
    "1×1 kernel": (3, 2, 4, 4, 3, 1, 1, 0, 2, None),
    "padding 2, stride 2, 7 rows pool to 3": (2, 3, 7, 6, 3, 3, 2, 2, 2, None),
    "even kernel with padding 1, 4 input channels": (1, 4, 5, 5, 2, 4, 1, 1, 3, 1),
    "stride 3, 4×4 pool with stride 3": (2, 2, 8, 7, 3, 3, 3, 1, 4, 3),
    "kernel as tall as the padded input": (2, 2, 3, 4, 2, 5, 1, 1, 3, None),
    "stride beyond the kernel: pixels never read": (2, 1, 9, 9, 2, 2, 3, 0, 2, 3),
}


def _shapes(spec: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The conv output's and the pooled maps' shapes: ⌊(H + 2p − k)/s⌋ + 1 and ⌊(H − size)/stride⌋ + 1."""
    batch, channels, height, width, out_channels, k, stride, pad, size, pool_stride = spec
    pool_stride = pool_stride or size
    conv = (batch, out_channels, (height + 2 * pad - k) // stride + 1, (width + 2 * pad - k) // stride + 1)
    pool = (batch, channels, (height - size) // pool_stride + 1, (width - size) // pool_stride + 1)
    return conv, pool


def case_inputs(index: int, spec: tuple[int, ...]) -> dict[str, Any]:
    """The case's inputs, as nested lists of Python numbers (seeded by the case's place in CASES)."""
    rng = np.random.default_rng(index)
    batch, channels, height, width, out_channels, k = spec[:6]
    conv, pool = _shapes(spec)

    def decimals(shape: tuple[int, ...]) -> list:
        return np.round(rng.normal(size=shape), 3).tolist()

    return {"x": rng.integers(-2, 3, size=(batch, channels, height, width)).tolist(),
            "kernel": decimals((out_channels, channels, k, k)), "bias": decimals((out_channels,)),
            "r_conv": decimals(conv), "r_pool": decimals(pool)}


def torch_values(spec: tuple[int, ...], inputs: dict[str, Any]) -> dict[str, Any]:
    """What torch's conv2d, max_pool2d and avg_pool2d and their autograd give for the inputs, as lists."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    stride, pad, size, pool_stride = spec[6], spec[7], spec[8], spec[9] or spec[8]

    def leaf(key: str) -> torch.Tensor:
        return torch.tensor(inputs[key], dtype=torch.float64, requires_grad=True)

    def weights(key: str) -> torch.Tensor:
        return torch.tensor(inputs[key], dtype=torch.float64)

    x, kernel, bias = leaf("x"), leaf("kernel"), leaf("bias")
    z = F.conv2d(x, kernel, bias, stride=stride, padding=pad)
    (weights("r_conv") * z).sum().backward()
    values = {"z": z, "grad_x": x.grad, "grad_kernel": kernel.grad, "grad_bias": bias.grad}
    for name, pool in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
        x = leaf("x")
        y = pool(x, size, pool_stride)
        (weights("r_pool") * y).sum().backward()
        values |= {f"{name}_y": y, f"{name}_grad_x": x.grad}
    _, indices = F.max_pool2d(weights("x"), size, pool_stride, return_indices=True)
    values = {key: value.detach().tolist() for key, value in values.items()}
    return values | {"max_indices": indices.tolist()}


def main() -> None:
    import torch

    lines = []
    for index, (name, spec) in enumerate(CASES.items()):
        inputs = case_inputs(index, spec)
        case = {"spec": list(spec), **inputs, **torch_values(spec, inputs)}
        lines.append(f" {json.dumps(name, ensure_ascii=False)}: {json.dumps(case)}")
    made_by = json.dumps(f"tests/core/make_conv_table_torch.py with torch {torch.__version__}")
    OUT.write_text(f'{{"made_by": {made_by},\n"cases": {{\n' + ",\n".join(lines) + "\n}}\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(lines)} cases, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
