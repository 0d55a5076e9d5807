"""The Results panel's verdicts on a run's test set, for a network with maps through the trainer's fast forward pass.

metrics.verdicts runs the core's forward pass, exact and plain: for a dense network on 10,000 test images it is
a few matrix products. For LeNet it convolves every image with the core's reference convolution, which copies
each 5×5 window first: half a minute of the window's thread on Fashion-MNIST's test set, after every run. FastConv
(training/conv_engine.py, equal to the core: tests/training) predicts the same outputs several times faster, in the
network's own precision, so the class each image is given is the class the canvas shows when it is picked.

Even so, LeNet on 10,000 images is seconds of work: more than AT_ONCE test images of a network with maps are judged
by a `VerdictJob` in a thread of its own (numpy's products release the GIL), and the panel says "judging…" meanwhile;
a run's end then never freezes the window.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from nnstudio.core.errors import NNStudioError
from nnstudio.core.network import Network
from nnstudio.core.optim import OptimizerConfig
from nnstudio.data.dataset import Dataset
from nnstudio.training.conv_engine import FastConv
from nnstudio.training.metrics import Verdicts, check_classes, verdicts, verdicts_of

PREDICT_BATCH = 256  # the engine's buffers: images a forward pass takes at once
AT_ONCE = 2000  # test images of a network with maps judged in the window's own thread (more: a VerdictJob)
CHUNK = 1024  # images judged between two progress reports: ten for 10,000 test images (a signal each)


def test_verdicts(network: Network, dataset: Dataset, loss: str,
                  progress: Callable[[int, int], None] | None = None) -> Verdicts:
    """What `network` says of each image of a classification `dataset` (DatasetError for regression data); a
    network with maps predicted by FastConv (the core's pass when the engine refuses it, say for its memory),
    CHUNK images at a time, `progress(done, total)` told after each (a minute on a busy machine: not silent)."""
    if not network.is_spatial:
        return verdicts(network, dataset)
    check_classes(dataset)
    try:
        engine = FastConv(network, loss, OptimizerConfig("sgd"), network.dtype.name, batch=PREDICT_BATCH)
        x, parts = dataset.x.astype(network.dtype, copy=False), []
        for lo in range(0, len(x), CHUNK):
            parts.append(engine.predict(x[lo:lo + CHUNK]))
            if progress is not None:
                progress(min(lo + CHUNK, len(x)), len(x))
        outputs = np.concatenate(parts) if parts else engine.predict(x)
    except NNStudioError:
        return verdicts(network, dataset)
    return verdicts_of(network, dataset, outputs)


def judged_aside(network: Network, dataset: Dataset) -> bool:
    """Is this judgement long enough to go to a thread of its own (a VerdictJob)?"""
    return network.is_spatial and len(dataset) > AT_ONCE


class VerdictJob(QObject):
    """`test_verdicts` of one network on one test set in a Python thread; `done` carries the Verdicts (or
    `failed` why not) to the window's thread, queued there because this object lives in it. The thread holds the
    job until it has finished, whatever became of whoever asked (its connections end with the receiver)."""

    done = Signal(object)  # Verdicts
    failed = Signal(str)
    progressed = Signal(int, int)  # images judged so far, of how many (every CHUNK images)

    def __init__(self, network: Network, dataset: Dataset, loss: str) -> None:
        super().__init__()
        self.network, self.dataset, self.loss = network, dataset, loss
        self.thread = threading.Thread(target=self._run, name="nnstudio-verdicts", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            found = test_verdicts(self.network, self.dataset, self.loss, self.progressed.emit)
        except (NNStudioError, FloatingPointError, MemoryError) as error:
            self.failed.emit(f"The matrix could not be computed: {error}")
            return
        self.done.emit(found)
