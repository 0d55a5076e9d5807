"""Mutating a JSON tree in place, for the fuzz tests of the file formats (network files, lesson files)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st


def paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Every place in the JSON tree a mutation may touch (the first 8 items of a list)."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value[:8]):
            found += paths(child, path + (index,))
    return found


def parent(data: Any, path: tuple) -> Any:
    """The list or object that holds the place `path`."""
    for key in path[:-1]:
        data = data[key]
    return data


def mutate(draw: st.DrawFn, data: Any, path: tuple, hostile: st.SearchStrategy, keys: Sequence[str],
           most_grown: int, actions: Sequence[str]) -> None:
    """One of `actions` at `path`: replace the value by a hostile one, delete it, add one of `keys` beside it,
    repeat it up to `most_grown` times, or cut its list there."""
    holder = parent(data, path)
    action = draw(st.sampled_from(list(actions)))
    if action == "replace":
        holder[path[-1]] = copy.deepcopy(draw(hostile))  # the pool's lists must never be mutated in place
    elif action == "delete":
        del holder[path[-1]]
    elif action == "add" and isinstance(holder, dict):
        holder[draw(st.sampled_from(list(keys)))] = copy.deepcopy(draw(hostile))
    elif action == "grow" and isinstance(holder, list):
        holder.extend([holder[path[-1]]] * draw(st.integers(1, most_grown)))
    elif action == "cut" and isinstance(holder, list):
        del holder[path[-1]:]
