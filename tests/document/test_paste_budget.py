"""A paste's budget (core/paste_budget.py): its raw length against what its target can hold, and its expressions'
characters against MAX_EXPRESSION_CHARACTERS, both before any cell is evaluated; nothing changes when refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.core.limits import MAX_EXPRESSION_CHARACTERS
from nnstudio.core.network import DenseLayer, Network
from nnstudio.core.paste_budget import (
    PasteTooLargeError,
    check_paste_size,
    expression_characters,
    paste_limit,
)
from nnstudio.core.project import Project
from nnstudio.document import Document, edits
from nnstudio.io import field_reader, layer_clipboard
from nnstudio.io.errors import NetworkFileError

EXPRESSION = "1/3+" * 249 + "1/3"  # 999 characters: one expression as long as a cell may hold


def test_the_limit_is_the_targets_cells_of_plain_numbers_and_the_expression_budget():
    assert paste_limit(10) == 10 * 40 + 200_000
    assert paste_limit(10, overhead=4096) == 10 * 40 + 200_000 + 4096
    check_paste_size(200_400, 10, "W1")  # exactly the limit: fine
    with pytest.raises(PasteTooLargeError) as refused:
        check_paste_size(200_401, 10, "W1")
    assert str(refused.value) == ("the clipboard holds 200,401 characters; a paste into W1 may hold at most 200,400 "
                                  "(10 values of up to 40 characters, and 200,000 of expressions); nothing was changed")
    assert expression_characters(["0.5", "-2.2250738585072014e-308", " 3 ", "1/sqrt(2)", "2π"]) == 9 + 2


def test_a_paste_of_more_expression_characters_than_the_budget_is_refused_before_any_is_evaluated(monkeypatch):
    evaluated = []
    monkeypatch.setattr(edits, "evaluate_number", lambda text: evaluated.append(text) or 0.5)
    network = Network(64, (DenseLayer(np.zeros((256, 64)), np.zeros(256), "relu"),))
    document = Document(Project(network=network))
    before = document.project
    cells = MAX_EXPRESSION_CHARACTERS // len(EXPRESSION) + 1  # 201 expressions: 200,799 characters
    block = [[EXPRESSION] * 64 for _ in range(cells // 64)] + [[EXPRESSION] * (cells % 64)]
    with pytest.raises(PasteTooLargeError) as refused:
        document.paste_block(1, 0, 0, block)
    assert str(refused.value) == ("the paste into W1 holds 200,799 characters of expressions; a paste may hold at "
                                  "most 200,000 (plain numbers do not count); nothing was changed")
    assert evaluated == []
    assert document.project is before and len(document.undo_stack) == 0
    # Plain numbers do not count: 16,384 of them paste (and each is read).
    document.paste_block(1, 0, 0, [["0.25"] * 64] * 256)
    assert len(evaluated) == 64 * 256 and document.project.network.layers[0].weights[255, 63] == 0.5


def test_a_copied_layer_with_more_expression_characters_than_the_budget_is_refused_before_any_is_evaluated(
        monkeypatch):
    evaluated = []
    monkeypatch.setattr(field_reader, "evaluate_number", lambda text: evaluated.append(text) or 0.5)
    rows = [[EXPRESSION] * 64 for _ in range(4)]  # 256 expressions of 999 characters: 255,744
    text = json.dumps({"format": "nnstudio.layer", "version": 1, "inputs": 64, "size": 4, "activation": "relu",
                       "weights": rows})
    with pytest.raises(NetworkFileError) as refused:
        layer_clipboard.layer_from_text(text, np.dtype(np.float64), inputs=64)
    assert str(refused.value) == ("the clipboard: the paste into a layer after 64 neurons holds 255,744 characters "
                                  "of expressions; a paste may hold at most 200,000 (plain numbers do not count); "
                                  "nothing was changed")
    assert evaluated == []
