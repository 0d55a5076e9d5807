"""No import circles inside nnstudio/: each module can be read, tested and moved after the ones it uses.

A circle counts every module-level import, those under `if TYPE_CHECKING:` included: a type-only import
still means neither module can be understood without the other (issue 30). Where a module needs only
part of another that imports it, it names that part as a Protocol (document/shown.py's ShownSource,
document/stepping.py's SteppingHost, ui/window/exports.py's ExchangeWindow).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_names(package: Path) -> dict[str, Path]:
    """Every module under `package` by its dotted name (a package by its own name, not `….__init__`)."""
    names = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, those inside `if`/`try` at module level included (TYPE_CHECKING blocks)."""
    found: list[ast.stmt] = []
    for node in body:
        found.append(node)
        if isinstance(node, ast.If):
            found += _statements(node.body) + _statements(node.orelse)
        elif isinstance(node, ast.Try):
            found += _statements(node.body) + _statements(node.orelse) + _statements(node.finalbody)
            for handler in node.handlers:
                found += _statements(handler.body)
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of `modules` that `name` imports at module level (`from p import m` counts m if it is one)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _statements(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([node.module] if node.module else []))
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names}
    return {module for module in found if module in modules and module != name}


def import_circles(package: Path) -> list[list[str]]:
    """Each set of modules that import one another round a circle (Tarjan's strongly connected components)."""
    modules = module_names(package)
    graph = {name: sorted(imports_of(name, path, modules)) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(start: str) -> None:  # iterative, so a long chain of imports cannot exhaust the stack
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(graph[child])))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    circles.append(sorted(members))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return circles


def test_nnstudio_has_no_import_circle():
    assert import_circles(ROOT / "nnstudio") == []


def test_the_circle_finder_sees_a_circle_made_on_purpose_even_a_type_only_one(tmp_path):
    package = tmp_path / "made"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "a.py").write_text("from made.inner import b\n")
    (package / "inner" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..c import C\n")
    (package / "c.py").write_text("import made.a\nC = 1\n")
    (package / "d.py").write_text("from made import c\n")  # uses the circle, is not in it
    assert import_circles(package) == [["made.a", "made.c", "made.inner.b"]]
    (package / "inner" / "b.py").write_text("B = 2\n")  # the circle broken: none left
    assert import_circles(package) == []
