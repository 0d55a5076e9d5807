"""The start parameters of this session's runs, kept by fingerprint so "from the same start" can train from
them again, bit for bit.

A file keeps each run's start only as a fingerprint (core/runs.py `RunStart`): parameters are large, and the
file keeps the network as it is. So a start is known exactly only where it can be had again: held here since
its run began in this window (within START_BYTES, the oldest dropped first), or, for a fresh start, drawn
again from its seed (core/init.py `reinitialise`). `recall` checks the fingerprint either way, so a start that
cannot be had exactly (another shape, another precision, another initialiser) is never offered as the same.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from nnstudio.core.init import reinitialise
from nnstudio.core.network import Layer, Network
from nnstudio.core.parameter_print import parameter_print
from nnstudio.core.spatial_layers import Pool2DLayer
from nnstudio.core.runs import RunStart

#: Parameters held for "from the same start", at most (about 40 starts of mnist-mlp's 100,000 float64s).
START_BYTES = 32 * 2**20


def _bytes(network: Network) -> int:
    return sum(0 if array is None else array.nbytes for layer in network.layers for array in layer.parameters())


def _held_with_todays_activations(old: Layer, new: Layer, dtype: np.dtype) -> Layer:
    """The held layer's parameters with the current layer's activation (a pooling layer has neither)."""
    if isinstance(new, Pool2DLayer):
        return new
    return old.astype(dtype).replace(activation=new.activation, params=new.params)


class StartMemory:
    """Networks by the fingerprint of their parameters, oldest first, together at most `budget` bytes."""

    def __init__(self, budget: int = START_BYTES) -> None:
        self.budget = budget
        self._kept: OrderedDict[str, Network] = OrderedDict()

    def keep(self, network: Network) -> str:
        """Hold `network` (as the latest) and return its fingerprint; the oldest go past the budget, and a
        network larger than the whole budget is not held at all."""
        fingerprint = parameter_print(network)
        self._kept[fingerprint] = network
        self._kept.move_to_end(fingerprint)
        while self._kept and sum(map(_bytes, self._kept.values())) > self.budget:
            self._kept.popitem(last=False)
        return fingerprint

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self._kept

    def recall(self, start: RunStart | None, current: Network) -> Network | None:
        """`current` (its shape, activations and precision) with exactly the parameters `start` names, or None
        when they cannot be had again: not held and not a fresh start, or not fitting `current` bit for bit."""
        if start is None:
            return None
        held = self._kept.get(start.fingerprint)
        if held is not None:
            if held.sizes != current.sizes or [(type(layer), layer.bias is None) for layer in held.layers] != \
                    [(type(layer), layer.bias is None) for layer in current.layers]:
                return None
            # the held parameters with today's activations: the same start, whatever the run changes
            made = current.with_layers(_held_with_todays_activations(old, new, current.dtype)
                                       for old, new in zip(held.layers, current.layers))
        elif start.kind == "fresh" and start.seed is not None:
            made = reinitialise(current, start.seed)
        else:
            return None
        return made if parameter_print(made) == start.fingerprint else None
