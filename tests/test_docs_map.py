"""docs/architecture.md stays true to the code (issue 30, item 4).

A map that names a file no longer there, or a guarding test that was renamed, sends a newcomer the
wrong way; so every repository path the map names in backticks must exist, every `path::test_name`
must name a test function defined in that file, every package under nnstudio/ must be on the map,
and the README must link to it. The checker is shown to catch each kind of mistake on a sample.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP = ROOT / "docs" / "architecture.md"

CODE_SPAN = re.compile(r"`([^`\n]+)`")
PATH_LIKE = re.compile(r"[A-Za-z0-9_.\-/]+")  # no spaces, brackets or operators: `1/sqrt(2)` is not a path


def named_paths(text: str) -> set[str]:
    """Repository paths the text names in backticks: containing '/' or ending in .py/.md."""
    found = set()
    for span in CODE_SPAN.findall(text):
        if "::" in span or not PATH_LIKE.fullmatch(span):
            continue
        if "/" in span or span.endswith((".py", ".md")):
            found.add(span)
    return found


def named_tests(text: str) -> set[tuple[str, str]]:
    """Every `path::test_name` in backticks, as (path, name)."""
    found = set()
    for span in CODE_SPAN.findall(text):
        if span.count("::") == 1:
            path, name = span.split("::")
            found.add((path, name))
    return found


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")}


def map_faults(text: str, root: Path) -> list[str]:
    """What the map names that the repository under `root` does not hold."""
    faults = [f"no such path: {path}" for path in sorted(named_paths(text)) if not (root / path).exists()]
    for path, name in sorted(named_tests(text)):
        target = root / path
        if not target.is_file():
            faults.append(f"no such test file: {path}")
        elif name not in _test_functions(target):
            faults.append(f"no test {name} in {path}")
    return faults


def unmapped_packages(text: str, root: Path) -> list[str]:
    """Packages under nnstudio/ (folders with an __init__.py) the map does not name."""
    named = {path.rstrip("/") for path in named_paths(text)}
    packages = sorted(init.parent.relative_to(root).as_posix() for init in (root / "nnstudio").rglob("__init__.py"))
    return [package for package in packages if package not in named]


def test_every_path_and_guarding_test_the_map_names_exists():
    text = MAP.read_text(encoding="utf-8")
    assert len(named_tests(text)) >= 10  # the invariants are each guarded by name, not by prose
    assert map_faults(text, ROOT) == []


def test_the_map_names_every_package_under_nnstudio():
    assert unmapped_packages(MAP.read_text(encoding="utf-8"), ROOT) == []


def test_the_readme_links_to_the_map():
    assert "(docs/architecture.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_map_checker_catches_a_missing_path_a_renamed_test_and_an_unnamed_package(tmp_path):
    (tmp_path / "nnstudio" / "core").mkdir(parents=True)
    (tmp_path / "nnstudio" / "gone").mkdir()
    for package in ("nnstudio", "nnstudio/core", "nnstudio/gone"):
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_kept():\n    pass\n\nclass TestB:\n    def test_inner(self):\n        pass\n")
    sample = ("`nnstudio/` and `nnstudio/core/`, `nnstudio/core/trace.py`, `1/sqrt(2)`, `python -m nnstudio`, "
              "`docs/guide.md`, `tests/test_a.py::test_kept`, `tests/test_a.py::test_inner`, "
              "`tests/test_a.py::test_renamed`, `tests/test_gone.py::test_x`")
    assert map_faults(sample, tmp_path) == [
        "no such path: docs/guide.md", "no such path: nnstudio/core/trace.py",
        "no test test_renamed in tests/test_a.py", "no such test file: tests/test_gone.py"]
    assert unmapped_packages(sample, tmp_path) == ["nnstudio/gone"]
