"""The layer rules of ARCHITECTURE.md, enforced: import-linter contracts and ruff, run inside the suite."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_import_contracts_hold():
    result = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_contracts_cover_every_domain_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    qt_free = next(c for c in config if "PySide6" in c["forbidden_modules"])["source_modules"]
    packages = sorted(p.name for p in (ROOT / "console").iterdir() if (p / "__init__.py").exists() and p.name != "ui")
    modules = sorted(p.stem for p in (ROOT / "console").glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert sorted(m.removeprefix("console.") for m in qt_free) == sorted(packages + modules)


def test_ruff_is_clean():
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "console", "tests", "plugins"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_console_ui_imports_qt_even_lazily():
    """import-linter sees module-level and function-level imports; this also catches string-built imports."""
    offenders = []
    for path in (ROOT / "console").rglob("*.py"):
        rel = path.relative_to(ROOT / "console")
        if rel.parts[0] == "ui":
            continue
        text = path.read_text(encoding="utf-8")
        if any(f"import {m}" in text or f"from {m}" in text for m in ("PySide6", "pyqtgraph", "OpenGL")):
            offenders.append(str(rel))
    assert offenders == []


FRONT_ENDS = ("ui", "cli")


def _imported_modules(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """(line, dotted name) of everything a module imports, at module level or inside functions.

    ``from a.b import c`` yields ``a.b.c`` (``c`` may be a module or a name in ``a.b``: either way a private ``_c``
    is not a public API); relative imports are resolved against ``module``; ``importlib.import_module("...")`` with
    a constant name counts too.
    """
    found = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def private_imports_of_front_ends() -> list[str]:
    """``file:line -> console.<pkg>._<private>`` for every front-end import of another package's private part."""
    offenders = []
    for front_end in FRONT_ENDS:
        for path in sorted((ROOT / "console" / front_end).rglob("*.py")):
            rel = path.relative_to(ROOT)
            module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
            if path.name == "__init__.py":
                module += ".__init__"  # so that relative imports resolve against the package itself
            tree = ast.parse(path.read_text(encoding="utf-8"), str(rel))
            for line, name in _imported_modules(tree, module):
                parts = name.split(".")
                if parts[0] != "console" or len(parts) < 2 or parts[1] == front_end:
                    continue
                if any(p.startswith("_") and not p.endswith("__") for p in parts[1:]):  # not __version__
                    offenders.append(f"{rel}:{line} -> {name}")
    return offenders


def test_front_ends_import_only_public_apis():
    """console.ui and console.cli use console.app.* and the domain packages' __init__, never a private ``_module``.

    import-linter cannot say this (its wildcards match whole module names, not ``_*``), so it is checked here.
    """
    assert private_imports_of_front_ends() == []


def test_the_private_import_check_sees_every_kind_of_import():
    source = (
        "import console.isolation._analysis\n"
        "from console.ledger._node import LedgerNode\n"
        "from console.telemetry import _history\n"
        "from console.network import GasNetwork\n"
        "from ...app.jobs import Jobs\n"
        "def later():\n"
        "    from console.simulation._x import y\n"
        "    importlib.import_module('console.io._postgis')\n"
    )
    names = [name for _, name in _imported_modules(ast.parse(source), "console.ui.isolation._controller")]
    assert names == [
        "console.isolation._analysis",
        "console.ledger._node.LedgerNode",
        "console.telemetry._history",
        "console.network.GasNetwork",
        "console.app.jobs.Jobs",
        "console.simulation._x.y",
        "console.io._postgis",
    ]
