"""Version texts stored once per document, as deltas on a keyframe (migration 0005)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import zstandard
from alembic import command
from sqlalchemy.orm import Session
from test_store import DOC  # acme/terms

from monitor import models, store
from monitor.db import alembic_config, create_db_engine, open_database

BODY = "".join(f"Section {i}. We keep your data for {i} days.\n" for i in range(300))
CLAUSE = {"retention": "We keep your data for 3 days."}
TEXTS = [BODY + "Version one.", BODY + "Version two, reworded.", BODY + "Version one."]


def _old_database(url: str) -> None:
    """A database at revision 0004 holding three versions (the third back to the first's
    text), each with a clause text and positions: what an older release stored."""
    engine = create_db_engine(url)
    cfg = alembic_config()
    pack = zstandard.ZstdCompressor(level=12)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004_alert_episodes")
        run = conn.exec_driver_sql
        run(
            "insert into documents (id, provider, slug, url, created_at) "
            "values (1, 'acme', 'terms', 'https://acme.test/terms', '2025-01-01 00:00:00')"
        )
        snapshots = sa.table(
            "snapshots",
            *(sa.column(c) for c in ("sha256", "document_id", "codec", "depth", "size")),
            sa.column("content", sa.LargeBinary()),
            sa.column("created_at"),
        )
        conn.execute(
            snapshots.insert().values(
                sha256="s",
                document_id=1,
                codec="zstd",
                depth=0,
                size=1,
                content=pack.compress(b"x"),
                created_at=datetime(2025, 1, 1),
            )
        )
        versions = sa.table(
            "versions",
            *(sa.column(c) for c in ("id", "document_id", "captured_at", "text_sha256")),
            *(sa.column(c) for c in ("snapshot_sha256", "origin", "created_at")),
            sa.column("text", sa.LargeBinary()),
        )
        clauses = sa.table(
            "clause_texts",
            *(sa.column(c) for c in ("version_id", "key", "source")),
            sa.column("text", sa.LargeBinary()),
        )
        for n, text in enumerate(TEXTS, 1):
            at = datetime(2025, 1, n)
            conn.execute(
                versions.insert().values(
                    id=n,
                    document_id=1,
                    captured_at=at,
                    text_sha256=store.sha256(text),
                    snapshot_sha256="s",
                    origin="live",
                    created_at=at,
                    text=pack.compress(text.encode()),
                )
            )
            conn.execute(
                clauses.insert().values(
                    version_id=n,
                    key="retention",
                    source="select",
                    text=pack.compress(CLAUSE["retention"].encode()),
                )
            )
    engine.dispose()


def test_an_older_database_keeps_every_text_through_the_upgrade_and_back(
    database_url: str,
) -> None:
    """Upgraded, the versions read back their texts exactly (each distinct text stored once,
    the second a delta), their clause texts are all there; downgraded, ``versions.text``
    holds every text again, and so does ``clause_texts.text``."""
    _old_database(database_url)
    models.forget_texts()
    sessions = open_database(database_url)
    with sessions() as s:
        row = store.find_document(s, "acme", "terms")
        assert row is not None
        versions = store.versions(s, row.id)
        assert [v.text for v in versions] == TEXTS
        clauses = [store.clause_texts(s, v.id) for v in versions]
        assert [{k: c.text for k, c in found.items()} for found in clauses] == [CLAUSE] * 3
        stored = s.execute(sa.select(models.VersionText.base_id).order_by(models.VersionText.id))
        # the first text a keyframe, the second a delta on it, the clause text (once) too
        assert [base is not None for (base,) in stored] == [False, True, True]
    engine = create_db_engine(database_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004_alert_episodes")
        texts = conn.exec_driver_sql("select text from versions order by id").scalars()
        unpack = zstandard.ZstdDecompressor()
        assert [unpack.decompress(t).decode() for t in texts] == TEXTS
        clause_rows = conn.exec_driver_sql("select text from clause_texts").scalars()
        assert {unpack.decompress(t).decode() for t in clause_rows} == {CLAUSE["retention"]}
        assert not sa.inspect(conn).has_table("version_texts")
    engine.dispose()


def test_a_text_reads_back_after_the_process_forgets_it(database_url: str) -> None:
    """Texts of a document stored in turn (small changes: deltas; a rewrite: a keyframe)
    read back exactly from the database alone, and a re-read version reads its new text."""
    sessions = open_database(database_url)
    texts = [BODY + f"Change {n}." for n in range(5)] + ["Rewritten. " * 400, BODY]
    with sessions.begin() as s:
        row = store.ensure_document(s, DOC)
        snap = store.put_snapshot(s, row.id, b"<p>x</p>", "text/html")
        ids = [
            store.add_version(
                s, row.id, datetime(2025, 1, n + 1, tzinfo=UTC), t, snap, "live", []
            ).id
            for n, t in enumerate(texts)
        ]
    models.forget_texts()
    with sessions.begin() as s:
        assert [_version(s, i).text for i in reversed(ids)] == texts[::-1]
        store.set_version_text(s, _version(s, ids[0]), "A re-read text.")
    models.forget_texts()
    with sessions() as s:
        assert [_version(s, i).text for i in ids] == ["A re-read text.", *texts[1:]]


def _version(s: Session, version_id: int) -> models.Version:
    version = s.get(models.Version, version_id)
    assert version is not None
    return version
