"""The layering rules of DEVELOPERS.md, checked on the code itself."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT_FREE = ["core", "io", "data", "training", "document"]
QT_MODULES = {"PySide6", "shiboken6", "pyqtgraph"}


def test_qt_free_packages_import_without_qt():
    code = (
        "import sys, importlib\n"
        "for name in ('nnstudio.core', 'nnstudio.io', 'nnstudio.cli'):\n"
        "    importlib.import_module(name)\n"
        f"for name in {QT_FREE!r}:\n"
        "    try: importlib.import_module('nnstudio.' + name)\n"
        "    except ModuleNotFoundError: pass\n"
        f"bad = sorted({QT_MODULES!r} & {{m.split('.')[0] for m in sys.modules}})\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_qt_free_module_mentions_qt_even_lazily():
    offenders = []
    for package in QT_FREE + ["cli.py"]:
        target = ROOT / "nnstudio" / package
        files = [target] if target.is_file() else sorted(target.rglob("*.py"))
        for path in files:
            bad = {name for name in _imports(path) if name.split(".")[0] in QT_MODULES}
            bad |= {name for name in _imports(path) if name.startswith("nnstudio.ui")} - (
                {"nnstudio.ui.app"} if path.name == "cli.py" else set())
            if bad:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


def test_core_imports_nothing_above_it():
    for path in (ROOT / "nnstudio" / "core").rglob("*.py"):
        above = {n for n in _imports(path) if n.startswith("nnstudio.") and not n.startswith("nnstudio.core")}
        assert above == set(), path


def test_every_package_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "nnstudio").rglob("__init__.py")}
    assert found | {"nnstudio.resources", "nnstudio.docs"} == listed  # resources/ and docs/, mapped in


def test_no_eval_exec_or_pickle_in_the_code():
    for path in (ROOT / "nnstudio").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile", "__import__"}, path
        assert "pickle" not in _imports(path), path
