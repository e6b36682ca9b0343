"""Docstring examples are tests: the suite collects the console package with --doctest-modules."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_suite_runs_the_console_packages_docstring_examples():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "console" in options["testpaths"]
    assert "--doctest-modules" in options["addopts"].split()
    assert {"ELLIPSIS", "NORMALIZE_WHITESPACE"} <= set(options["doctest_optionflags"])
