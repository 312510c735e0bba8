"""A clause history reads what it shows of each change from the clause change itself
(``clause_changes.detail``, migration 0007), not from the change's whole summary: the same
history when recorded, after a downgrade and upgrade (the part rebuilt from the summaries),
and for rows stored without it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command
from test_store import DOC  # acme/terms

from monitor import store, views
from monitor.db import SessionFactory, alembic_config, create_db_engine, open_database

TEXTS = [
    {"training": "We may train on your content.", "retention": "We keep data for 30 days."},
    {"training": "We never train on your content.", "retention": "We keep data for 90 days."},
    {"training": "We never train on business content.", "retention": "We keep data for 90 days."},
]
FACT = {"clause": "training", "fact": "training", "before": "may", "after": "never"}
OTHER_FACT = {"clause": "retention", "fact": "period", "before": "30 days", "after": "90 days"}


def _summary(n: int) -> dict[str, Any]:
    """The change to version ``n + 1`` (a summary as ``summary.as_dict`` writes it)."""
    old, new = TEXTS[n - 1], TEXTS[n]
    changed = [k for k in old if old[k] != new[k]]
    return {
        "kind": "substantive",
        "severity": "high" if n == 1 else "medium",
        "clauses": changed,
        "summary": f"change {n}: {', '.join(changed)}",
        "added": ["A whole new sentence."],
        "removed": [],
        "modified": [[old[k], new[k]] for k in changed],
        "facts": [FACT, OTHER_FACT] if n == 1 else [],
        "clause_diffs": {
            k: {"added": [], "removed": [], "modified": [[old[k], new[k]]]} for k in changed
        },
        "positions": [],
        "subprocessors": {"added": [], "removed": []},
    }


def _record(sessions: SessionFactory) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with sessions.begin() as s:
        row = store.ensure_document(s, DOC)
        previous = None
        for n, clauses in enumerate(TEXTS):
            text = "\n\n".join(clauses.values())
            snap = store.put_snapshot(s, row.id, text.encode(), "text/html")
            version = store.add_version(
                s, row.id, at + timedelta(days=n), text, snap, "live",
                [(k, t, "rule") for k, t in clauses.items()],
            )  # fmt: skip
            if previous is not None:
                old = TEXTS[n - 1]
                pairs = [(k, old[k], clauses[k]) for k in clauses if old[k] != clauses[k]]
                store.add_change(s, row.id, previous, version, _summary(n), pairs, "none")
            previous = version


def _histories(sessions: SessionFactory) -> list[dict[str, Any]]:
    with sessions() as s:
        return [
            views.clause_history(s, "training"),
            views.clause_history(s, "retention", "acme", "terms"),
            views.clause_history(s, "training", "acme", "terms", limit=1),
        ]


def test_a_clause_history_shows_the_clause_part_of_each_change(database_url: str) -> None:
    sessions = open_database(database_url)
    _record(sessions)
    training, retention, newest = _histories(sessions)
    sessions.kw["bind"].dispose()
    assert training["total"] == 2 and newest["total"] == 2
    assert [c["version"] for c in training["changes"]] == [3, 2]
    first = training["changes"][1]
    assert first["captured_at"] == "2026-01-02T00:00:00Z"
    assert (first["kind"], first["severity"]) == ("substantive", "high")
    assert first["summary"] == "change 1: training, retention"
    assert first["facts"] == [FACT]  # the retention fact belongs to the other clause
    assert first["modified"] == [[TEXTS[0]["training"], TEXTS[1]["training"]]]
    assert (first["before"], first["after"]) == (TEXTS[0]["training"], TEXTS[1]["training"])
    assert first["diff"].startswith("--- before\n+++ after\n")
    assert [c["facts"] for c in retention["changes"]] == [[OTHER_FACT]]
    assert newest["changes"] == training["changes"][:1]


def test_the_same_history_after_a_downgrade_and_upgrade_and_without_the_parts(
    database_url: str,
) -> None:
    """Migration 0007 both ways on an existing database; then the parts erased, as rows
    another writer stored without them: the history reads them from the summaries."""
    sessions = open_database(database_url)
    _record(sessions)
    recorded = _histories(sessions)
    engine = create_db_engine(database_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006_clause_texts_shared")
        columns = {c["name"] for c in sa.inspect(conn).get_columns("clause_changes")}
        assert "detail" not in columns and {"before", "after"} <= columns
        command.upgrade(cfg, "head")
    assert _histories(sessions) == recorded
    with engine.begin() as conn:
        conn.exec_driver_sql("update clause_changes set detail = null")
    engine.dispose()
    assert _histories(sessions) == recorded
    sessions.kw["bind"].dispose()
