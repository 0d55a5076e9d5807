"""Loss, accuracy, per-class accuracy and confusion matrix of a model's outputs."""

from __future__ import annotations

import numpy as np

from nnstudio.core.losses import get_loss
from nnstudio.data.dataset import Dataset


def evaluate_outputs(outputs: np.ndarray, dataset: Dataset, loss: str, activation: str):  # type: ignore[no-untyped-def]
    """(loss, accuracy, per-class accuracy, confusion) — the last three None for regression."""
    rule = get_loss("cce" if get_loss(loss).sparse else loss)
    targets = dataset.targets(outputs.dtype, outputs.shape[1])
    value = rule.evaluate(outputs, targets) if len(dataset) else float("nan")
    if not dataset.is_classification:
        return value, None, None, None
    k = dataset.n_outputs
    truth = dataset.y.astype(np.intp)
    if outputs.shape[1] == 1:  # one sigmoid output for two classes
        predicted = (outputs[:, 0] >= 0.5).astype(np.intp)
    else:
        predicted = np.argmax(outputs, axis=1)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    per_class = np.divide(np.diag(confusion), confusion.sum(axis=1), out=np.full(k, np.nan),
                          where=confusion.sum(axis=1) > 0)
    accuracy = float(np.trace(confusion) / max(len(dataset), 1))
    return value, accuracy, per_class, confusion
