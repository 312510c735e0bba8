"""Opening the database: engine with SQLite pragmas, Alembic upgrades, sessions.

The schema is created and upgraded only by the Alembic migrations shipped in
``monitor.migrations`` (the top-level ``migrations/`` folder); ``open_database``
applies them automatically, ``tosmon db upgrade`` does it explicitly.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .errors import StoreError

SessionFactory = sessionmaker[Session]


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite: WAL, foreign keys, busy timeout, BEGIN IMMEDIATE.

    BEGIN IMMEDIATE takes SQLite's write lock when a transaction starts, so two
    processes (a daemon and a cron-launched check) queue instead of failing with
    "database is locked" half-way through a transaction.
    """
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        folder = Path(url[len("sqlite:///") :]).parent
        if not folder.is_dir():
            raise StoreError(f"database folder {folder} does not exist (from {url})")
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" hook emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(files("monitor.migrations")))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (a no-op when the schema is current)."""
    cfg = alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the database {engine.url!r}: {exc}") from exc


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def open_database(url: str) -> SessionFactory:
    """Engine + migrations + a session factory: what every command starts with."""
    try:
        engine = create_db_engine(url)
        upgrade(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the database {url}: {exc}") from exc
    return sessionmaker(engine, expire_on_commit=False)
