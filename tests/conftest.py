"""Shared fixtures. Every test runs without network access and with its own data directory."""

from __future__ import annotations

import uuid

import pytest

from tests.postgres_server import PostgresServer, PostgresUnavailable


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """Keep the user's real data directory (the cached demo, settings) out of every test."""
    monkeypatch.setenv("GASOPS_DATA_DIR", str(tmp_path_factory.mktemp("gasops-data")))


# -- PostgreSQL + PostGIS on loopback (tests/postgres_server.py), shared by the io and ui tests -------------------


@pytest.fixture(scope="session")
def postgres():
    """One server for the session: started before the first PostGIS test, stopped and deleted after the last."""
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL + PostGIS are needed for these tests: {exc}", pytrace=False)
    try:
        server.create_database("plain", postgis=False)
        yield server
    finally:
        server.stop()


@pytest.fixture
def schema(postgres) -> str:
    """A new, empty schema for one test."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    postgres.execute(f'CREATE SCHEMA "{name}"')
    return name


@pytest.fixture
def url(postgres, schema) -> str:
    return postgres.url(schema=schema)
