"""Helpers for tests that run real ``tosmon`` processes against a real database.

    config = write_config(tmp_path, {"terms": server.url("/terms")}, check="* * * * * *")
    proc = start("run", config=config)          # python -m monitor run --config ...
    wait_for(lambda: count(config, "fetch_attempts") >= 2)
    proc.send_signal(signal.SIGTERM); proc.wait(10)

The database (``[monitor] database`` of the config: a SQLite file by default, or a
PostgreSQL URL) is inspected directly, with queries only, never writes: ``sqlite3`` for
SQLite, SQLAlchemy for PostgreSQL (``?`` placeholders work on both).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, exc, text
from sqlalchemy.pool import NullPool


def page(*paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><body><nav>menu</nav><main><h1>Terms of Use</h1>{body}</main></body></html>"


def write_config(
    tmp_path: Path,
    documents: dict[str, str],
    check: str = "0 6 * * *",
    digest: str = "mon 08:00",
    extra: str = "",
    timeout: float = 20.0,
    database: str | None = None,
    document_settings: str = "",
) -> Path:
    """sources.toml with provider ``acme`` watching ``documents`` (id → url), no retries;
    ``document_settings``: TOML lines added to every document's table."""
    path = tmp_path / "sources.toml"
    database_url = database or f"sqlite:///{db_file(path)}"
    docs = "".join(
        f'\n[providers.acme.documents.{doc_id}]\nurl = "{url}"\nselect = ["main"]\n'
        f"{document_settings}"
        for doc_id, url in documents.items()
    )
    path.write_text(
        f"""
[monitor]
database = "{database_url}"
retries = 0
backoff = 0
timeout = {timeout}

[schedule]
check = "{check}"
digest = "{digest}"
timezone = "Europe/Paris"
jitter = 0
{extra}
[providers.acme]
name = "Acme"
{docs}""",
        encoding="utf-8",
    )
    return path


def db_file(config: Path) -> Path:
    return config.parent / "tosmon.db"


def start(*args: str, config: Path) -> subprocess.Popen[str]:
    """``tosmon ARGS --config CONFIG`` as a child process (stdout and stderr captured)."""
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", *args, "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=config.parent,  # not the checkout: its monitor/ would shadow the installed package
    )


def run(*args: str, config: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=config.parent,
    )


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


def database_of(config: Path) -> str:
    """The database URL the config names."""
    return str(tomllib.loads(config.read_text(encoding="utf-8"))["monitor"]["database"])


def query(config: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the test database ([] when it does not exist yet)."""
    url = database_of(config)
    if not url.startswith("sqlite"):
        return _server_query(url, sql, params)
    path = db_file(config)
    if not path.exists():
        return []
    conn = sqlite3.connect(path, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()


def _server_query(url: str, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    numbered = iter(range(len(params)))
    statement = text(re.sub(r"\?", lambda _: f":p{next(numbered)}", sql))
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(statement, {f"p{i}": v for i, v in enumerate(params)})
            return [tuple(row) for row in rows]
    except exc.ProgrammingError as error:
        if "does not exist" in str(error):  # no table yet: the first run has not migrated
            return []
        raise
    finally:
        engine.dispose()


def count(config: Path, table: str, where: str = "1=1") -> int:
    rows = query(config, f"SELECT COUNT(*) FROM {table} WHERE {where}")
    return int(rows[0][0]) if rows else 0


def versions_per_document(config: Path) -> dict[str, int]:
    rows = query(
        config,
        "SELECT d.provider || '/' || d.slug, COUNT(v.id) FROM documents d "
        "LEFT JOIN versions v ON v.document_id = d.id GROUP BY d.id",
    )
    return {key: n for key, n in rows}


def assert_consistent(config: Path) -> None:
    """SQLite's integrity and foreign-key checks pass (PostgreSQL enforces both itself),
    and no lock is left behind."""
    if database_of(config).startswith("sqlite"):
        assert query(config, "PRAGMA integrity_check") == [("ok",)]
        assert query(config, "PRAGMA foreign_key_check") == []
    assert query(config, "SELECT name, pid FROM locks") == []
