"""The table of docs/losses.md (loss × output activation × target kind: computed or refused), read for the
tests, and the one small case every cell is computed on.

The table is the specification: tests/core/test_loss_table.py checks each "computed" cell against PyTorch's
autograd (live when torch is installed, else the values it gave, frozen in loss_table_torch.json by
tests/core/make_loss_table_torch.py) and each "refused" cell for a LossError that names the loss.

The case: one layer of 2 inputs → 3 outputs and a batch of two samples, so the 1/B of the mean and the
per-sample Σy are both exercised. Every z lies between 0.07 and 0.97 in size: away from ReLU's and
step's kink at 0 (where derivatives are conventions) and far from saturation (where the probabilities
nnstudio clips and the ones torch clamps would part).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[2] / "docs" / "losses.md"
KINDS = ("one-hot", "soft", "all-zero", "Σy > 1", "an entry > 1", "a negative entry")

X = np.array([[0.6, -0.4], [-0.3, 0.9]])
W = np.array([[0.8, -0.5], [-0.7, 0.4], [0.3, 0.9]])
B = np.array([0.1, -0.2, 0.25])
PARAMS = {"leaky_relu": {"slope": 0.01}, "elu": {"alpha": 1.0}}  # nnstudio's defaults, given to torch alike
CLASSES = np.array([1, 0])  # the one-hot targets as class indices
TARGETS = {
    "one-hot": np.eye(3)[CLASSES],
    "soft": np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]),
    "all-zero": np.zeros((2, 3)),
    "Σy > 1": np.array([[1.0, 0.5, 1.0], [0.25, 1.0, 0.75]]),
    "an entry > 1": np.array([[0.0, 2.0, 0.5], [1.5, 0.0, 0.0]]),
    "a negative entry": np.array([[-0.5, 1.0, 0.5], [0.0, 0.25, -1.0]]),
}


@dataclass(frozen=True)
class Cell:
    """One cell of the table: does nnstudio compute `loss` after `activation` for a target of `kind`?
    `whole_row_refused`: the pair itself is refused (for every kind), not the target."""

    loss: str
    activation: str
    kind: str
    computed: bool
    whole_row_refused: bool

    @property
    def key(self) -> str:
        return f"{self.loss}/{self.activation}/{self.kind}"


def cells() -> list[Cell]:
    """Every cell of the table in docs/losses.md, one per loss × activation × kind, in the table's order."""
    text = DOC.read_text(encoding="utf-8")
    body = text.split("<!-- loss-table")[1].split("<!-- /loss-table -->")[0]
    rows = [line for line in body.splitlines() if line.startswith("| `")]
    out = []
    for row in rows:
        parts = [part.strip() for part in row.strip().strip("|").split("|")]
        loss = parts[0].strip("`")
        activations = re.findall(r"`(\w+)`", parts[1])
        verdicts = parts[3:]
        assert len(verdicts) == len(KINDS), row
        assert all(v.startswith(("computed", "refused")) for v in verdicts), row
        computed = [v.startswith("computed") for v in verdicts]
        for activation in activations:
            for kind, ok in zip(KINDS, computed):
                out.append(Cell(loss, activation, kind, ok, not any(computed)))
    return out


def targets(cell: Cell) -> np.ndarray:
    """The targets nnstudio is given for the cell: dense rows (sparse_cce's one-hot rows included)."""
    return TARGETS[cell.kind]
