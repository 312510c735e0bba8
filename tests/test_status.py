"""`tosmon status`: per-document health, failing documents first, JSON and human output."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from procs import page, write_config
from servers import LocalServer, Reply
from sqlalchemy import func, select

from monitor.cli import main
from monitor.config import Config, load_config
from monitor.db import SessionFactory, open_database
from monitor.locks import Locks
from monitor.models import Document, FetchAttempt
from monitor.pipeline import check_documents
from monitor.status import build_status, status_report
from monitor.status_reads import lean_reading
from monitor.timefmt import iso

DOC_KEYS = {
    "provider",
    "document",
    "name",
    "url",
    "state",
    "last_attempt",
    "last_success",
    "last_change",
    "failing_since",
    "failing_kind",
    "flapping",
    "consecutive_failures",
    "last_error",
    "schedule",
    "next_runs",
}


@pytest.fixture
def setup(
    tmp_path: Path, http_server: LocalServer, database_url: str
) -> Iterator[tuple[Config, SessionFactory]]:
    """Three documents (one failing, one never checked, one changed) on SQLite and on
    PostgreSQL (when installed)."""
    http_server.route("/terms", Reply(body=page("We never train on your data.")))
    http_server.route("/privacy", Reply(503, "down"))
    path = write_config(
        tmp_path,
        {
            "terms": http_server.url("/terms"),
            "privacy": http_server.url("/privacy"),
            "usage": http_server.url("/usage"),
        },
        database=database_url,
    )
    config = load_config(path)
    sessions = open_database(config.database)
    checked = [d for d in config.documents() if d.id != "usage"]
    for _ in range(2):
        asyncio.run(check_documents(config, sessions, checked))
    http_server.route("/terms", Reply(body=page("We may train on your data.")))
    asyncio.run(check_documents(config, sessions, checked))
    yield config, sessions
    sessions.kw["bind"].dispose()


def test_status_lists_failing_documents_first_with_their_last_error(
    setup: tuple[Config, SessionFactory],
) -> None:
    """Failing first, then never checked, then healthy; each with failures and last error."""
    config, sessions = setup
    data = build_status(config, sessions)
    assert [d["document"] for d in data["documents"]] == ["privacy", "usage", "terms"]
    assert data["failing"] == 1
    privacy, usage, terms = data["documents"]
    assert set(privacy) == DOC_KEYS
    assert privacy["state"] == "failing"
    assert privacy["consecutive_failures"] == 3
    assert privacy["last_success"] is None
    assert privacy["last_error"]["kind"] == "http"
    assert "503" in privacy["last_error"]["message"]
    assert privacy["failing_kind"] == "http" and privacy["flapping"] is None
    assert privacy["failing_since"].endswith("Z")
    with sessions() as s:  # the first of the 3 failures (the checks may share a second)
        first = s.scalar(
            select(func.min(FetchAttempt.started_at))
            .join(Document, FetchAttempt.document_id == Document.id)
            .where(Document.slug == "privacy")
        )
    assert first is not None and privacy["failing_since"] == iso(first)
    assert terms["failing_since"] is None and terms["failing_kind"] is None
    assert usage["state"] == "never_checked" and usage["last_attempt"] is None
    assert terms["state"] == "ok" and terms["consecutive_failures"] == 0
    assert terms["last_success"] == terms["last_attempt"]
    assert terms["last_change"]["kind"] in ("substantive", "cosmetic")
    assert terms["last_change"]["at"].endswith("Z")


def test_status_gives_next_runs_from_the_schedule_in_its_time_zone(
    setup: tuple[Config, SessionFactory],
) -> None:
    """Next check runs follow `check` in `timezone`; the digest has its own; no locks held."""
    config, sessions = setup
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday; Paris is UTC+1
    data = build_status(config, sessions, now=now, runs=2)
    assert data["generated_at"] == "2026-11-25T12:00:00Z"
    assert data["timezone"] == "Europe/Paris"
    for doc in data["documents"]:
        assert doc["schedule"] == "0 6 * * *"
        assert doc["next_runs"] == ["2026-11-26T05:00:00Z", "2026-11-27T05:00:00Z"]
    assert data["digest"] == {
        "schedule": "mon 08:00",
        "next_runs": ["2026-11-30T07:00:00Z", "2026-12-07T07:00:00Z"],
    }
    assert data["locks"] == []


def test_a_success_after_failures_resets_the_count(
    setup: tuple[Config, SessionFactory], http_server: LocalServer
) -> None:
    """Once a failing document is fetched again, it is healthy; its old error remains visible."""
    config, sessions = setup
    http_server.route("/privacy", Reply(body=page("Privacy policy.")))
    asyncio.run(check_documents(config, sessions, config.documents("acme", "privacy")))
    privacy = next(
        d for d in build_status(config, sessions)["documents"] if d["document"] == "privacy"
    )
    assert privacy["state"] == "ok"
    assert privacy["consecutive_failures"] == 0
    assert privacy["last_error"] is not None


def test_status_command_prints_json_and_a_table(setup: tuple[Config, SessionFactory]) -> None:
    """`--json` prints the same data; the table flags the failing document and its error."""
    config, _ = setup
    runner = CliRunner()
    as_json = runner.invoke(main, ["status", "--json", "--config", str(config.path)])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["documents"][0]["document"] == "privacy"
    human = runner.invoke(main, ["status", "--config", str(config.path)], env={"COLUMNS": "160"})
    assert human.exit_code == 0, human.output
    assert "3 document(s), 1 FAILING" in human.output
    assert "FAILING acme/privacy: 3 failed check(s) in a row" in human.output
    assert "HTTP 503" in human.output
    assert human.output.index("acme/privacy") < human.output.index("acme/terms")
    assert "digest (mon 08:00): next" in human.output


def test_status_reads_a_current_sqlite_file_as_the_sessions_do(
    setup: tuple[Config, SessionFactory],
) -> None:
    """On a current SQLite file `status` reads through sqlite3 alone (no SQLAlchemy): the
    report is the same as through the sessions, locks included; other databases (and
    files to migrate) are read through the sessions."""
    config, sessions = setup
    lean = lean_reading(config.database)
    if not config.database.startswith("sqlite:"):
        assert lean is None
        return
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    with Locks(sessions) as locks:
        assert locks.acquire("document:acme/terms") is None
        lean = lean_reading(config.database)
        assert lean is not None and len(lean.locks) == 1
        assert status_report(config, lean, now) == build_status(config, sessions, now)
    assert lean_reading(f"{config.database}.missing") is None
