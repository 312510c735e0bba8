"""Shared fixtures."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres import PostgresCluster
from servers import LocalServer
from sqlalchemy import Engine, make_url

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A started ``LocalServer`` on 127.0.0.1 (see tests/servers.py), stopped after the test."""
    with LocalServer() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster | None]:
    """One private PostgreSQL cluster for the session (None when PostgreSQL is absent)."""
    cluster = PostgresCluster.start()
    if cluster is None:
        yield None
        return
    with cluster:
        yield cluster


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_cluster: PostgresCluster | None
) -> Iterator[str]:
    """An empty database: a SQLite file in tmp_path, or a new database on the private
    PostgreSQL cluster (skipped when PostgreSQL's binaries or psycopg are not installed)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tosmon.db'}"
        return
    if postgres_cluster is None:
        pytest.skip("PostgreSQL (initdb, pg_ctl) or psycopg not installed")
    url = postgres_cluster.new_database()
    yield url
    close_engines(url)


def close_engines(url: str) -> None:
    """Dispose of the engines a test opened on ``url``: their pooled connections would
    otherwise be closed by the garbage collector, with a ResourceWarning."""
    database = make_url(url).database
    for engine in [o for o in gc.get_objects() if isinstance(o, Engine)]:
        if engine.url.database == database and engine.dialect.name == "postgresql":
            engine.dispose()
