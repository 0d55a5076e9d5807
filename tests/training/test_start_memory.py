"""The start parameters held for "from the same start": exactly, within a budget, and never a near miss."""

from __future__ import annotations

import numpy as np

from nnstudio.core import build_network
from nnstudio.core.init import reinitialise
from nnstudio.core.parameter_print import parameter_print
from nnstudio.core.runs import RunStart
from nnstudio.training.start_memory import StartMemory

NET = build_network([2, 3, 1], ["tanh", "sigmoid"], "xavier", seed=0)


def _same(made, held) -> bool:
    return all(np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)
               for a, b in zip(made.layers, held.layers))


def test_a_held_start_comes_back_bit_for_bit_with_todays_activations():
    memory = StartMemory()
    fingerprint = memory.keep(NET)
    assert fingerprint == parameter_print(NET) and fingerprint in memory
    now = build_network([2, 3, 1], ["relu", "sigmoid"], "xavier", seed=9)  # the weights moved, an activation too
    made = memory.recall(RunStart("as-is", fingerprint), now)
    assert _same(made, NET) and [layer.activation for layer in made.layers] == ["relu", "sigmoid"]
    assert memory.recall(RunStart("as-is", fingerprint), build_network([2, 4, 1], ["tanh", "sigmoid"])) is None
    assert memory.recall(RunStart("as-is", fingerprint), NET.astype("float32")) is None  # not the same bits
    assert memory.recall(None, NET) is None


def test_a_fresh_start_is_drawn_again_and_an_unknown_one_is_not_offered():
    memory = StartMemory()
    fresh = reinitialise(NET, 5)
    made = memory.recall(RunStart("fresh", parameter_print(fresh), 5), NET)
    assert _same(made, fresh)
    assert memory.recall(RunStart("fresh", parameter_print(fresh), 6), NET) is None  # the print says otherwise
    assert memory.recall(RunStart("as-is", parameter_print(fresh)), NET) is None  # not held, not fresh


def test_the_oldest_starts_go_past_the_budget():
    size = NET.parameter_count * 8
    memory = StartMemory(budget=2 * size)
    prints = [memory.keep(build_network([2, 3, 1], ["tanh", "sigmoid"], "xavier", seed=seed)) for seed in range(3)]
    assert [p in memory for p in prints] == [False, True, True]
    memory.keep(build_network([2, 3, 1], ["tanh", "sigmoid"], "xavier", seed=1))  # kept again: now the latest
    memory.keep(build_network([2, 3, 1], ["tanh", "sigmoid"], "xavier", seed=3))
    assert [p in memory for p in prints] == [False, True, False]
    tiny = StartMemory(budget=size - 1)
    assert tiny.keep(NET) not in tiny  # larger than the whole budget: not held
