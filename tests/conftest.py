"""Shared fixtures. Every test runs without network access and with its own data directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """Keep the user's real data directory (the cached demo, settings) out of every test."""
    monkeypatch.setenv("GASOPS_DATA_DIR", str(tmp_path_factory.mktemp("gasops-data")))
