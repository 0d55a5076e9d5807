"""Makes tests/core/loss_table_torch.json: what PyTorch's autograd gives for every "computed" cell of the
table in docs/losses.md, so tests/core/test_loss_table.py can hold nnstudio to it without torch.

Run again whenever the table gains a computed cell (the test says so: the JSON must cover exactly the
computed cells), from the repository's root:

    pip install torch==2.13.0
    python tests/core/make_loss_table_torch.py

The values are float64 written with Python's repr, so they read back bit for bit; the torch version
that made them is recorded beside them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).with_name("loss_table_torch.json")


def main() -> None:
    sys.path.insert(0, str(ROOT))  # run as a script: `tests.support` is found from the repository's root
    import torch

    from tests.support.loss_table import cells
    from tests.support.loss_table_torch import gradients

    cases = {cell.key: gradients(cell) for cell in cells() if cell.computed}
    made_by = json.dumps(f"tests/core/make_loss_table_torch.py with torch {torch.__version__}")
    lines = [f" {json.dumps(key, ensure_ascii=False)}: {json.dumps(case)}" for key, case in cases.items()]
    OUT.write_text(f'{{"made_by": {made_by},\n"cases": {{\n' + ",\n".join(lines) + "\n}}\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(cases)} computed cells")


if __name__ == "__main__":
    main()
