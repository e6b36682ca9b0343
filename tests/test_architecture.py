"""The layer rules of ARCHITECTURE.md, enforced: import-linter contracts and ruff, run inside the suite."""

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
    assert (
        sorted(m.removeprefix("console.") for m in qt_free if m not in ("console.errors", "console.atomic")) == packages
    )


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
