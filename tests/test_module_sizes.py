"""No module in nnstudio/ over 450 lines: each room can be read in one sitting and changed without reading the rest.

A module that grows past the limit is doing more than one job; the fix is to move a job into a module whose name
says what it holds (docs/architecture.md lists the rooms), not to squeeze lines. Issue 30.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 450


def oversized_modules(package: Path, limit: int = MAX_MODULE_LINES) -> list[tuple[str, int]]:
    """Each module under `package` longer than `limit` lines, as (path relative to the package's parent, lines)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append((path.relative_to(package.parent).as_posix(), lines))
    return found


def test_no_module_in_nnstudio_is_over_450_lines():
    assert len(list((ROOT / "nnstudio").rglob("*.py"))) > 50  # the rule looks at the real tree
    assert oversized_modules(ROOT / "nnstudio") == []


def test_the_size_rule_sees_an_oversized_module_made_on_purpose(tmp_path):
    package = tmp_path / "made"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "at_the_limit.py").write_text("x = 1\n" * MAX_MODULE_LINES)
    (package / "inner" / "one_over.py").write_text("x = 1\n" * MAX_MODULE_LINES + "y = 2")  # no final newline
    assert oversized_modules(package) == [("made/inner/one_over.py", MAX_MODULE_LINES + 1)]
    (package / "inner" / "one_over.py").write_text("x = 1\n" * MAX_MODULE_LINES)  # split: back at the limit
    assert oversized_modules(package) == []
