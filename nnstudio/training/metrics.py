"""Loss, accuracy, per-class accuracy and confusion matrix of a model's outputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.core.losses import get_loss
from nnstudio.core.network import Network
from nnstudio.core.trace import forward
from nnstudio.data.dataset import Dataset, DatasetError


def evaluate_outputs(outputs: np.ndarray, dataset: Dataset, loss: str, activation: str):  # type: ignore[no-untyped-def]
    """(loss, accuracy, per-class accuracy, confusion) — the last three None for regression."""
    rule = get_loss("cce" if get_loss(loss).sparse else loss)
    targets = dataset.targets(outputs.dtype, outputs.shape[1])
    value = rule.evaluate(outputs, targets) if len(dataset) else float("nan")
    if not dataset.is_classification:
        return value, None, None, None
    k = dataset.n_outputs
    confusion = confusion_matrix(dataset.y, predicted_classes(outputs), k)
    per_class = np.divide(np.diag(confusion), confusion.sum(axis=1), out=np.full(k, np.nan),
                          where=confusion.sum(axis=1) > 0)
    accuracy = float(np.trace(confusion) / max(len(dataset), 1))
    return value, accuracy, per_class, confusion


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """The class each row of outputs predicts: one sigmoid output for two classes says 1 from 0.5 up;
    several outputs, the largest (the first of equals). One rule for every view, so a confusion
    matrix and the images behind its cells can never disagree."""
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= 0.5).astype(np.intp)
    return np.argmax(outputs, axis=1)


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """k × k counts: row = true class, column = predicted class."""
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (np.asarray(truth).astype(np.intp), predicted), 1)
    return confusion


@dataclass(frozen=True, eq=False)
class Verdicts:
    """What one network says about a test set: its outputs, the class each image is given, and the
    confusion matrix of those — one computation, so a matrix's cell and the images behind it agree."""

    network: Network
    dataset: Dataset
    outputs: np.ndarray
    predicted: np.ndarray
    confusion: np.ndarray

    def cell(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Indices of the images of `true_class` given `predicted_class`, in the dataset's order."""
        return np.flatnonzero((self.dataset.y == true_class) & (self.predicted == predicted_class))

    def wrong_first(self) -> np.ndarray:
        """Every index, the misclassified ones first (each part in the dataset's order)."""
        wrong = self.predicted != self.dataset.y
        return np.concatenate([np.flatnonzero(wrong), np.flatnonzero(~wrong)])


def check_classes(dataset: Dataset) -> None:
    """A confusion matrix is of classes: DatasetError for regression data."""
    if not dataset.is_classification:
        raise DatasetError(f"{dataset.name}: a confusion matrix needs classes; this data is a regression")


def verdicts_of(network: Network, dataset: Dataset, outputs: np.ndarray) -> Verdicts:
    """The verdicts of `outputs`, which `network` gave for each image of a classification `dataset`, however they
    were computed (the core's forward pass here, FastConv for the window's Results: ui/panels/results/fast_verdicts.py)."""
    predicted = predicted_classes(outputs)
    return Verdicts(network, dataset, outputs, predicted, confusion_matrix(dataset.y, predicted, dataset.n_outputs))


def verdicts(network: Network, dataset: Dataset) -> Verdicts:
    """Run `network` on a classification `dataset` (raises DatasetError for regression data)."""
    check_classes(dataset)
    return verdicts_of(network, dataset, forward(network, dataset.x.astype(network.dtype, copy=False)).output)
