"""The layering rules of DEVELOPERS.md, checked on the code itself."""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT_FREE = ["core", "io", "interop", "data", "training", "document", "lessons"]
QT_MODULES = {"PySide6", "shiboken6", "pyqtgraph"}


def _qt_free_modules() -> list[str]:
    """Every module of the Qt-free packages, by its dotted name."""
    return sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for package in QT_FREE for path in (ROOT / "nnstudio" / package).rglob("*.py"))


def test_the_qt_free_packages_exist_and_hold_modules():
    """The checks below look at what is there: a Qt-free package that disappeared (moved under ui/, renamed)
    would pass them by holding nothing, so each must be a package with modules of its own."""
    for package in QT_FREE:
        folder = ROOT / "nnstudio" / package
        assert (folder / "__init__.py").is_file(), f"nnstudio/{package} is gone"
        assert [p for p in folder.rglob("*.py") if p.name != "__init__.py"], f"nnstudio/{package} holds no module"


def test_qt_free_packages_import_without_qt():
    """Every module of theirs, imported (not only the packages' __init__): none brings Qt in."""
    modules = _qt_free_modules()
    assert len(modules) > len(QT_FREE)
    code = (
        "import sys, importlib\n"
        f"for name in {['nnstudio.cli', *modules]!r}:\n"
        "    importlib.import_module(name)\n"
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
    """The command line (cli.py and the cli_*.py modules its commands live in) is held to it as well; only
    cli.py, which opens the window when asked, may name nnstudio.ui.app."""
    command_line = sorted(path.name for path in (ROOT / "nnstudio").glob("cli*.py"))
    assert "cli.py" in command_line and len(command_line) > 1
    offenders = []
    for package in QT_FREE + command_line:
        target = ROOT / "nnstudio" / package
        files = [target] if target.is_file() else sorted(target.rglob("*.py"))
        for path in files:
            bad = {name for name in _imports(path) if name.split(".")[0] in QT_MODULES}
            bad |= {name for name in _imports(path) if name.startswith("nnstudio.ui")} - (
                {"nnstudio.ui.app"} if path.name == "cli.py" else set())
            if bad:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


def test_the_canvas_geometry_is_qt_free():
    """nnstudio/ui/canvas/layout.py says where everything on the canvas stands; it is tested without a display
    and is what the next views are built on, so it names no Qt module, nor a neighbour in nnstudio/ui (they all
    import Qt), and importing it brings none in."""
    path = ROOT / "nnstudio" / "ui" / "canvas" / "layout.py"
    imports = _imports(path)
    assert {name for name in imports if name.split(".")[0] in QT_MODULES or name.startswith("nnstudio.ui")} == set()
    code = ("import sys\nimport nnstudio.ui.canvas.layout\n"
            f"print(sorted({QT_MODULES!r} & {{m.split('.')[0] for m in sys.modules}}))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_core_imports_nothing_above_it():
    for path in (ROOT / "nnstudio" / "core").rglob("*.py"):
        above = {n for n in _imports(path) if n.startswith("nnstudio.") and not n.startswith("nnstudio.core")}
        assert above == set(), path


def test_the_network_file_format_never_needs_the_interop_formats():
    # Opening a .nnstudio file must work without onnx or safetensors and without the code that reads them.
    io_files = sorted((ROOT / "nnstudio" / "io").rglob("*.py"))
    assert io_files
    for path in io_files:
        assert {n for n in _imports(path) if n.startswith("nnstudio.interop")} == set(), path


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


# ------------------------------------------------------------------ tests wait for events, not for time (issue 27)

CLOCKS = {"perf_counter", "perf_counter_ns", "time", "time_ns", "monotonic", "monotonic_ns"}
SLEEP_IN_CODE_TEXT = re.compile(r"\btime\s*\.\s*sleep\s*\(")  # in code a test hands to a child: python -c "…"


def _time_names(tree: ast.AST) -> tuple[set[str], set[str], set[str]]:
    """The names a file binds to the time module, to time.sleep, and to time's clocks."""
    modules, sleeps, clocks = set(), set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "time"}
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            sleeps |= {alias.asname or alias.name for alias in node.names if alias.name == "sleep"}
            clocks |= {alias.asname or alias.name for alias in node.names if alias.name in CLOCKS}
    return modules, sleeps, clocks


def _reads_a_clock(node: ast.AST, modules: set[str], clocks: set[str], tainted: set[str]) -> bool:
    """Whether `node` calls a wall clock (time.perf_counter() and kin) or uses a name that holds such a reading."""
    for part in ast.walk(node):
        if isinstance(part, ast.Call):
            func = part.func
            if isinstance(func, ast.Attribute) and func.attr in CLOCKS and isinstance(func.value, ast.Name) \
                    and func.value.id in modules:
                return True
            if isinstance(func, ast.Name) and func.id in clocks:
                return True
        if isinstance(part, ast.Name) and part.id in tainted:
            return True
    return False


def time_offences(source: str) -> list[str]:
    """Each sleep call and each assert comparing a wall-clock reading in a test file's source, with its line."""
    tree = ast.parse(source)
    modules, sleeps, clocks = _time_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "sleep" and isinstance(func.value, ast.Name)
                    and func.value.id in modules) or (isinstance(func, ast.Name) and func.id in sleeps):
                found.append(f"line {node.lineno}: sleeps for a guessed time")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SLEEP_IN_CODE_TEXT.search(node.value):
            found.append(f"line {node.lineno}: code in a string sleeps for a guessed time")
    scopes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for scope in scopes:
        # Names holding a clock reading or a difference of readings (`started = perf_counter()`,
        # `elapsed = perf_counter() - started`), to a fixed point.
        tainted: set[str] = set()
        while True:
            before = len(tainted)
            for node in ast.walk(scope):
                value = getattr(node, "value", None)
                if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and value is not None \
                        and _reads_a_clock(value, modules, clocks, tainted):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    tainted |= {t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)}
            if len(tainted) == before:
                break
        for node in ast.walk(scope):
            if isinstance(node, ast.Assert) and any(
                    isinstance(part, ast.Compare) and _reads_a_clock(part, modules, clocks, tainted)
                    for part in ast.walk(node.test)):
                found.append(f"line {node.lineno}: asserts a wall-clock time")
    return sorted(set(found), key=lambda text: int(text.split()[1].rstrip(":")))


def test_no_test_sleeps_for_a_guess_or_asserts_a_wall_clock_time():
    """Tests wait for the event they mean (qtbot.waitSignal / waitUntil, a line from a child, a
    threading.Event); a sleep is a guess that fails on a busy machine, and a time bound measures the
    machine, not the code. Nothing is allowed here: prove a bound by a budget or a count instead."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        offenders += [f"{path.relative_to(ROOT)} {offence}" for offence in time_offences(path.read_text("utf-8"))]
    assert offenders == []


def test_the_time_guard_sees_sleeps_and_clock_asserts():
    """The guard above can fail: each pattern it exists for is caught, and waits on events are not.
    (The sample's sleeps are spelled SLEEP so that this file passes its own scan.)"""
    caught = time_offences((
        "import time\n"
        "from time import SLEEP as nap, perf_counter\n"
        "import time as clock\n"
        "def test_a():\n"
        "    time.SLEEP(0.3)\n"
        "    nap(1)\n"
        "    clock.SLEEP(2)\n"
        "    started = time.perf_counter()\n"
        "    elapsed = time.perf_counter() - started\n"
        "    assert elapsed < 0.2\n"
        "    assert perf_counter() - started < 1.0\n"
        "    assert clock.monotonic() < 5\n"
        "    code = 'import time; time.SLEEP(4)'\n").replace("SLEEP", "sleep"))
    assert caught == ["line 5: sleeps for a guessed time", "line 6: sleeps for a guessed time",
                      "line 7: sleeps for a guessed time", "line 10: asserts a wall-clock time",
                      "line 11: asserts a wall-clock time", "line 12: asserts a wall-clock time",
                      "line 13: code in a string sleeps for a guessed time"]
    assert time_offences(
        "import threading\n"
        "def test_b(qtbot):\n"
        "    qtbot.waitUntil(lambda: done, timeout=10000)\n"
        "    started = 3\n"
        "    assert threading.Event().wait(timeout=120) or started < 5\n") == []
