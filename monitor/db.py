"""Opening the database: engine with SQLite pragmas, Alembic upgrades, sessions.

The schema is created and upgraded only by the Alembic migrations shipped in
``monitor.migrations`` (the top-level ``migrations/`` folder); ``open_database``
applies them automatically, ``tosmon db upgrade`` does it explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .errors import StoreError
from .schema_head import shipped_head

if TYPE_CHECKING:  # alembic loads only when a migration is due (or for `db upgrade`)
    from alembic.config import Config as AlembicConfig

SessionFactory = sessionmaker[Session]
READ_ONLY = "tosmon_read_only"  # execution option of read-only connections
UPGRADE_LOCK = 7_404_553_011  # PostgreSQL advisory lock key of `db upgrade` ("tosmon")


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
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # a WAL reader: never waits for a writer
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def reader(sessions: SessionFactory) -> SessionFactory:
    """Sessions for reading only: on SQLite a deferred ``BEGIN``, so queries see the last
    committed state while a check holds the write lock (WAL lets readers through)."""
    engine = sessions.kw["bind"]
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def _stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database (``None``: none, or it cannot be read)."""
    try:
        with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(files("monitor.migrations")))
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (a no-op when the schema is current).

    Two processes upgrading at once take turns: on PostgreSQL under an advisory lock, on
    SQLite under the write lock of ``BEGIN IMMEDIATE``; the second finds the schema current.
    """
    head = shipped_head()
    if head is not None and _stored_revision(engine) == head:
        return  # the common case, decided without loading alembic
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    try:
        with engine.execution_options(**{READ_ONLY: True}).connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        with engine.connect() as conn:
            advisory = conn.dialect.name == "postgresql"
            if advisory:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK})
                conn.commit()
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
            finally:
                if advisory:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK})
                    conn.commit()
    except SQLAlchemyError as exc:
        url = engine.url.render_as_string(hide_password=False)
        raise StoreError(fault_message(url, exc, "migrate")) from exc


_FAULTS = (  # (words of SQLite's message, the cause in plain words, what to do)
    (
        "readonly",
        "the database file is read-only",
        "make the file and its folder writable "
        "by this user, or restore from backup or move it aside",
    ),
    ("malformed", "the database file is corrupted", "restore from backup or move it aside"),
    (
        "not a database",
        "the file is not a database or is corrupted",
        "restore from backup or move it aside",
    ),
    ("disk is full", "the disk is full", "free space on that disk, then run again"),
    (
        "disk i/o error",
        "the disk reported an I/O error",
        "check the disk, then restore from backup or move it aside",
    ),
    (
        "unable to open",
        "the database file cannot be opened",
        "check that the file and its folder exist and are readable and writable",
    ),
)


def fault_message(url: str, exc: BaseException, doing: str = "use") -> str:
    """One line for a database fault: which file, the cause in plain words, and the hint."""
    detail = first_line(exc)
    shown = make_url(url).render_as_string(hide_password=True) if "://" in url else url
    where = shown[len("sqlite:///") :] if shown.startswith("sqlite:///") else shown
    lowered = detail.lower()
    for words, cause, hint in _FAULTS:
        if words in lowered:
            return f"cannot {doing} the database {where}: {cause} ({detail}); {hint}"
    return f"cannot {doing} the database {where}: {detail}"


def first_line(exc: BaseException) -> str:
    """A database error's message without SQLAlchemy's SQL echo and background link."""
    orig = getattr(exc, "orig", None)
    message = str(orig if orig is not None else exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def insert_new(s: Session, model: Any, values: dict[str, Any], keys: list[str]) -> bool:
    """``INSERT … ON CONFLICT (keys) DO NOTHING``: create a row unless another process did;
    whether this one did."""
    stmt = _insert(s, model).values(**values).on_conflict_do_nothing(index_elements=keys)
    result = s.execute(stmt)
    return isinstance(result, CursorResult) and result.rowcount == 1


def insert_new_id(s: Session, model: Any, values: dict[str, Any], keys: list[str]) -> int | None:
    """``insert_new`` of a row with an ``id``: that new id (``RETURNING``), ``None`` when
    another process made the row."""
    stmt = _insert(s, model).values(**values).on_conflict_do_nothing(index_elements=keys)
    new_id = s.execute(stmt.returning(model.__table__.c.id)).scalar()
    return None if new_id is None else int(new_id)


def insert_new_many(
    s: Session, model: Any, rows: Sequence[dict[str, Any]], keys: list[str]
) -> None:
    """``insert_new`` of every row of ``rows`` (same columns), in one executemany."""
    if rows:
        s.execute(_insert(s, model).on_conflict_do_nothing(index_elements=keys), list(rows))


def _insert(s: Session, model: Any) -> Any:
    """The dialect's ``insert`` of ``model``'s table (the one with ``on_conflict_do_nothing``)."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":  # each dialect's package loads only where it is used
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(model.__table__)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(model.__table__)
    raise StoreError(f"database {dialect!r} is not supported: use SQLite or PostgreSQL")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def open_database(url: str) -> SessionFactory:
    """Engine + migrations + a session factory: what every command starts with."""
    try:
        engine = create_db_engine(url)
        upgrade(engine)
    except SQLAlchemyError as exc:
        raise StoreError(fault_message(url, exc, "open")) from exc
    return sessionmaker(engine, expire_on_commit=False)
