"""Versioned storage on a real SQLite file with the real migrations."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from monitor import store, store_snapshots
from monitor.config import DocumentConfig
from monitor.db import SessionFactory, alembic_config, create_db_engine, open_database
from monitor.record import Observation, record_observation

DOC = DocumentConfig(
    provider="acme",
    id="terms",
    name="Terms",
    provider_name="Acme",
    url="https://acme.test/terms",
    select=("main",),
)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def sessions(database_url: str) -> SessionFactory:
    """A migrated database: SQLite, and PostgreSQL when installed (see conftest)."""
    return open_database(database_url)


def observe(
    sessions: SessionFactory,
    text: str,
    day: int,
    origin: str = "live",
    clauses: dict[str, str] | None = None,
    misses: tuple[str, ...] = (),
) -> str:
    """Record one observation of DOC and return its outcome."""
    with sessions.begin() as s:
        row = store.ensure_document(s, DOC)
        snap = store.put_snapshot(s, row.id, f"<main>{text}</main>".encode(), "text/html")
        obs = Observation(
            T0 + timedelta(days=day),
            origin,
            snap,
            text,
            {k: (t, "default") for k, t in (clauses or {}).items()},
            misses,
        )
        return record_observation(s, row.id, obs).outcome


def history(sessions: SessionFactory) -> list[tuple[int, str, str | None]]:
    """(day, text, change kind) of every version, oldest first."""
    with sessions() as s:
        row = store.find_document(s, "acme", "terms")
        assert row is not None
        changes = store.changes_by_version(s, row.id)
        return [
            ((v.captured_at - T0).days, v.text, changes[v.id].kind if v.id in changes else None)
            for v in store.versions(s, row.id)
        ]


def test_migrations_give_wal_and_foreign_keys(tmp_path: Path) -> None:
    """The SQLite database is created by Alembic, in WAL mode, with foreign keys enforced."""
    sessions = open_database(f"sqlite:///{tmp_path / 'tos.db'}")
    with sessions() as s:
        assert s.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    conn = sqlite3.connect(tmp_path / "tos.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert conn.execute("select version_num from alembic_version").fetchone()[0] == head
    conn.close()


def test_a_database_of_the_first_schema_upgrades_in_place(tmp_path: Path) -> None:
    """A database left at the first migration keeps its rows when opened by this version."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql(
            "insert into documents (provider, slug, url, created_at) "
            "values ('acme', 'terms', 'https://acme.test/terms', '2025-01-01 00:00:00')"
        )
    engine.dispose()
    sessions = open_database(url)
    with sessions() as s:
        row = store.find_document(s, "acme", "terms")
        assert row is not None
        assert store.recent_live_outcomes(s, row.id, 5) == []


def test_snapshots_are_stored_once_and_compressed(sessions: SessionFactory) -> None:
    """The same bytes twice make one snapshot row; what comes back is byte-identical."""
    page = ("<html><body><main>" + "Terms of service. " * 2000 + "</main></body></html>").encode()
    with sessions.begin() as s:
        row = store.ensure_document(s, DOC)
        first = store.put_snapshot(s, row.id, page, "text/html")
        again = store.put_snapshot(s, row.id, page, "text/html")
        count = s.connection().exec_driver_sql("select count(*) from snapshots").scalar()
        stored = s.connection().exec_driver_sql("select length(content) from snapshots").scalar()
    assert first == again == store.sha256(page)
    assert count == 1
    assert stored is not None and stored < len(page) / 20
    store_snapshots._raw_cache.clear()
    with sessions() as s:
        assert store.load_snapshot(s, first) == page


def test_delta_chains_round_trip(sessions: SessionFactory) -> None:
    """Twenty near-identical captures are stored as deltas (a one-line change as a patch,
    a page reworded throughout as a zstd delta, in one chain) and each reads back exactly."""
    base = "<html><main>" + "".join(f"<p>Clause {i} text.</p>" for i in range(500)) + "</main>"
    pages = [(base + f"<!-- build {n} --></html>").encode() for n in range(20)]
    for n in (7, 13):  # every clause reworded: too many differences for a patch
        pages[n] = pages[n].replace(b" text.", f" text {n}.".encode())
    with sessions.begin() as s:
        row = store.ensure_document(s, DOC)
        digests = [store.put_snapshot(s, row.id, p, "text/html") for p in pages]
        sizes = (
            s.connection()
            .exec_driver_sql("select codec, length(content) from snapshots order by depth")
            .all()
        )
    reworded = {7, 8, 13, 14}  # against the page before it (8: back to the clauses' words)
    codecs = ["zstd"] + ["zstd-delta" if n in reworded else "patch" for n in range(1, 20)]
    assert [codec for codec, _ in sizes] == codecs
    assert max(size for codec, size in sizes if codec == "patch") < 100  # a one-line change
    store_snapshots._raw_cache.clear()
    with sessions() as s:
        assert [store.load_snapshot(s, d) for d in digests] == pages
    store_snapshots._raw_cache.clear()
    with sessions() as s:  # the newest first: each read with its whole chain (one query)
        assert [store.load_snapshot(s, d) for d in reversed(digests)] == pages[::-1]


def test_versions_only_when_text_differs(sessions: SessionFactory) -> None:
    """First capture is a baseline; the same text again adds nothing; new words add a change."""
    assert observe(sessions, "We keep data for 30 days.", 0) == "new_version"
    assert observe(sessions, "We keep data for 30 days.", 1) == "unchanged"
    assert observe(sessions, "We keep data for 90 days.", 2) == "new_version"
    assert history(sessions) == [
        (0, "We keep data for 30 days.", None),
        (2, "We keep data for 90 days.", "substantive"),
    ]


def test_live_substantive_changes_are_pending_alerts(sessions: SessionFactory) -> None:
    """A live substantive change waits for alerting; cosmetic and archive changes never alert."""
    observe(sessions, "We keep data for 30 days.", 0)
    observe(sessions, "We keep data for 30 days!", 1)  # cosmetic
    observe(sessions, "We keep data for 90 days!", 2)
    with sessions() as s:
        pending = store.pending_alerts(s)
    assert [json.loads(c.summary)["kind"] for c, _ in pending] == ["substantive"]


def test_older_capture_lands_in_order_and_changes_are_recomputed(sessions: SessionFactory) -> None:
    """A backfilled capture between two versions gets its place; changes around it follow."""
    observe(sessions, "Alpha terms.", 0)
    observe(sessions, "Gamma terms.", 10)
    assert observe(sessions, "Beta terms.", 5, origin="archive") == "new_version"
    assert history(sessions) == [
        (0, "Alpha terms.", None),
        (5, "Beta terms.", "substantive"),
        (10, "Gamma terms.", "substantive"),
    ]
    with sessions() as s:
        summaries = [
            json.loads(c.summary) for c, _ in store.changes_since(s, None, T0 + timedelta(days=30))
        ]
    assert len(summaries) == 2  # alpha→beta and beta→gamma; alpha→gamma is gone


def test_earlier_sighting_moves_a_version_back(sessions: SessionFactory) -> None:
    """A capture showing the next version's text earlier moves that version's start back."""
    observe(sessions, "Alpha terms.", 0)
    observe(sessions, "Gamma terms.", 10)
    assert observe(sessions, "Gamma terms.", 4, origin="archive") == "unchanged"
    assert history(sessions) == [(0, "Alpha terms.", None), (4, "Gamma terms.", "substantive")]


def test_a_missed_clause_selector_keeps_the_clause(sessions: SessionFactory) -> None:
    """When a clause selector stops matching, the clause keeps its text: not a deletion."""
    observe(sessions, "Intro. We train on data.", 0, clauses={"training": "We train on data."})
    observe(sessions, "Intro v2. We train on data.", 1, misses=("training",))
    with sessions() as s:
        row = store.find_document(s, "acme", "terms")
        assert row is not None
        latest = store.latest_version(s, row.id)
        assert latest is not None
        assert store.clause_texts(s, latest.id)["training"].text == "We train on data."
        assert store.clause_history(s, "training") == []


def test_put_snapshots_stores_what_put_snapshot_does_one_by_one(
    sessions: SessionFactory,
) -> None:
    """A batch (a page seen twice, one document twice, a delta made on another base, one
    on the right base) gives the rows ``put_snapshot`` gives called in turn."""
    from monitor.snapshot_codec import delta_on

    other = DocumentConfig("acme", "privacy", "Privacy", "Acme", "https://a.test/p", ("main",))
    base = "<html><main>" + "".join(f"<p>Clause {i} text.</p>" for i in range(300)) + "</main>"
    pages = [(base + f"<!-- build {n} --></html>").encode() for n in range(4)]

    def rows(batched: bool) -> list[tuple[object, ...]]:
        with sessions.begin() as s:
            s.connection().exec_driver_sql("delete from snapshots")
            ids = [store.ensure_document(s, d).id for d in (DOC, other)]
            for document_id in ids:
                store.put_snapshot(s, document_id, pages[0], "text/html")
            good = delta_on(pages[1], pages[0])
            stale = delta_on(pages[2], pages[3])  # not on the document's last snapshot
            todo = [
                (ids[0], pages[1], good),
                (ids[1], pages[2], stale),
                (ids[1], pages[1], None),  # the bytes another document stored just before
                (ids[0], pages[3], None),  # on the row made in this batch
                (ids[0], pages[3], None),  # the same bytes again
            ]
            batch = [store.NewSnapshot(i, p, "text/html", d, store.sha256(p)) for i, p, d in todo]
            if batched:
                digests = store.put_snapshots(s, batch)
            else:
                digests = [
                    store.put_snapshot(s, i, p, "text/html", None, d, digest=store.sha256(p))
                    for i, p, d in todo
                ]
            assert digests == [store.sha256(p) for _, p, _ in todo]
            query = (
                "select sha256, document_id, codec, base_sha256, depth, content, size,"
                " content_type from snapshots order by sha256"
            )
            return [tuple(row) for row in s.connection().exec_driver_sql(query)]

    assert rows(True) == rows(False)
