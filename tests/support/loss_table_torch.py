"""A cell of docs/losses.md's table computed by PyTorch's autograd in float64, independently of nnstudio:
torch's own activations and loss functions (F.cross_entropy with probability targets, F.binary_cross_entropy
with and without logits, F.logsigmoid), the mean over the batch written as a sum divided by B, and every
gradient from `torch.autograd.grad`. Imported only where torch is installed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tests.support.loss_table import B, CLASSES, PARAMS, W, X, Cell, targets

ACTIVATIONS = {
    "identity": lambda z: z,
    "sign": torch.sign,  # nnstudio's sign is +1 at 0; no z here is 0
    "step": lambda z: (z >= 0).to(z.dtype),  # not differentiable in torch: no gradient flows, as g′ = 0
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, PARAMS["leaky_relu"]["slope"]),
    "elu": lambda z: F.elu(z, PARAMS["elu"]["alpha"]),
    "gelu": F.gelu,  # exact (erf), as nnstudio's
    "softplus": F.softplus,  # torch's threshold (20) is far above every z here
    "swish": F.silu,
    "softmax": lambda z: torch.softmax(z, dim=-1),
}


def _loss(cell: Cell, z: torch.Tensor, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The batch mean of the cell's loss, from torch's functions."""
    batch = z.shape[0]
    if cell.loss == "mse":
        return 0.5 * ((y - y_hat) ** 2).sum() / batch
    if cell.loss == "bce" and cell.activation == "sigmoid":
        return F.binary_cross_entropy_with_logits(z, y, reduction="sum") / batch
    if cell.loss == "bce":
        return F.binary_cross_entropy(y_hat, y, reduction="sum") / batch
    classes = torch.tensor(CLASSES)
    if cell.activation == "softmax":
        target = classes if cell.loss == "sparse_cce" else y
        return F.cross_entropy(z, target, reduction="sum") / batch
    if cell.activation == "sigmoid":
        log_p = F.logsigmoid(z)
        if cell.loss == "sparse_cce":
            return -log_p.gather(1, classes[:, None]).sum() / batch
        return -(y * log_p).sum() / batch
    raise ValueError(f"torch has no reference for {cell.key}")


def gradients(cell: Cell) -> dict[str, object]:
    """{"loss", "delta" (∂L/∂z), "grad_weights", "grad_bias"} of the cell, as plain lists."""
    weights = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(B, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(X, dtype=torch.float64)
    y = torch.tensor(targets(cell), dtype=torch.float64)
    z = x @ weights.T + bias
    y_hat = ACTIVATIONS[cell.activation](z)
    loss = _loss(cell, z, y_hat, y)
    wanted = [z, weights, bias]
    if loss.requires_grad:
        found = torch.autograd.grad(loss, wanted, allow_unused=True)
    else:  # the output does not depend on z differentiably (step): every gradient is 0
        found = (None, None, None)
    delta, grad_w, grad_b = (torch.zeros_like(t) if g is None else g for t, g in zip(wanted, found))
    return {"loss": float(loss.detach()), "delta": delta.tolist(), "grad_weights": grad_w.tolist(),
            "grad_bias": grad_b.tolist()}
