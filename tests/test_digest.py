"""The weekly digest: grouping, failing documents, the quiet form, sending and previews."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from smtp import SmtpServer, add_change, body_of, summary, write_config
from sqlalchemy import select

from monitor import store
from monitor.cli import main
from monitor.config import Config, load_config
from monitor.db import SessionFactory, open_database
from monitor.digest import collect, failures, preview, queue_digest, run_digest
from monitor.digest_view import provider_groups, render_digest
from monitor.models import Digest, OutboxMessage

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as srv:
        yield srv


def setup(tmp_path: Path, port: int | None) -> tuple[Config, SessionFactory]:
    config = load_config(write_config(tmp_path, port))
    return config, open_database(config.database)


def attempt(
    sessions: SessionFactory, config: Config, at: datetime, outcome: str, **fields: object
) -> None:
    """Record one live fetch attempt of openai/terms."""
    doc = config.document("openai", "terms")
    with sessions.begin() as s:
        row = store.ensure_document(s, doc)
        store.add_attempt(
            s, row.id, origin="live", started_at=at, url=doc.url, outcome=outcome, **fields
        )


def week(sessions: SessionFactory, config: Config) -> list[tuple[str, str, list[str]]]:
    """(provider, document, [summary...]) in the digest's order."""
    with sessions() as s:
        data = collect(config, s, NOW - timedelta(days=7), datetime.now(UTC))
    return [
        (p["provider"], d["document"], [x["summary"] for x in d["changes"]])
        for p in provider_groups(data.changes)
        for d in p["documents"]
    ]


def test_changes_are_grouped_by_provider_then_document_highest_severity_first(
    tmp_path: Path,
) -> None:
    """Substantive changes of the week group under provider → document, the provider with
    the most severe change first, each change once (newest first) whatever the number of
    clauses it touched; cosmetic ones are only counted; older ones are left out."""
    config, sessions = setup(tmp_path, None)
    add_change(
        sessions, config, "openai", "terms", summary(text="too old"), NOW - timedelta(days=9)
    )
    add_change(
        sessions,
        config,
        "openai",
        "terms",
        summary(severity="low", text="t1"),
        NOW - timedelta(days=5),
    )
    add_change(
        sessions,
        config,
        "openai",
        "terms",
        summary(["training", "retention"], "medium", text="t2"),
        NOW - timedelta(days=2),
    )
    add_change(
        sessions,
        config,
        "anthropic",
        "privacy",
        summary(["audit"], "high", text="a1"),
        NOW - timedelta(days=3),
    )
    add_change(
        sessions,
        config,
        "anthropic",
        "privacy",
        summary(kind="cosmetic", text="commas"),
        NOW - timedelta(days=1),
    )
    assert week(sessions, config) == [
        ("Anthropic", "Privacy Policy", ["a1"]),
        ("OpenAI", "Services Agreement", ["t2", "t1"]),
    ]
    with sessions() as s:
        data = collect(config, s, NOW - timedelta(days=7), datetime.now(UTC))
    message = render_digest(data)
    assert data.cosmetic == 1 and "1 cosmetic change not listed" in message.text
    assert "commas" not in message.text and "too old" not in message.text
    assert message.subject.startswith("[tos-monitor] Weekly digest ")
    assert message.subject.endswith(": 3 changes (1 high)")
    assert message.text.count("t2") == 1, "a change touching two clauses is shown once"
    assert "-- [MEDIUM] " in message.text and "training, retention clauses --" in message.text


def test_backfilled_changes_recorded_this_week_appear_marked_as_history(tmp_path: Path) -> None:
    """A change backfilled from the archive this week shows, whatever its capture date,
    clearly marked as history."""
    config, sessions = setup(tmp_path, None)
    add_change(
        sessions,
        config,
        "openai",
        "terms",
        summary(text="old wording change"),
        NOW - timedelta(days=700),
        origin="archive",
    )
    with sessions() as s:
        message = render_digest(collect(config, s, NOW - timedelta(days=7), datetime.now(UTC)))
    assert "[HISTORY, backfilled]" in message.text and "old wording change" in message.text
    assert "HISTORY (backfilled)" in message.html
    assert "1 of them backfilled history" in message.text


def test_failing_documents_show_the_start_of_the_current_streak(tmp_path: Path) -> None:
    """A document whose last live checks failed is listed with the error and the start of
    the current failure streak (earlier, recovered failures do not count)."""
    config, sessions = setup(tmp_path, None)
    attempt(sessions, config, NOW - timedelta(days=9), "error", error_kind="http", error="HTTP 500")
    attempt(sessions, config, NOW - timedelta(days=8), "unchanged")
    for days in (3, 2, 1):
        attempt(
            sessions,
            config,
            NOW - timedelta(days=days),
            "error",
            error_kind="collapsed",
            error="text collapsed: a bot challenge page",
        )
    with sessions() as s:
        found = failures(config, s, None)
        message = render_digest(collect(config, s, NOW - timedelta(days=7), datetime.now(UTC)))
    assert [(f.title, f.kind, f.attempts, f.since) for f in found] == [
        ("OpenAI Services Agreement", "collapsed", 3, NOW - timedelta(days=3))
    ]
    since = (NOW - timedelta(days=3)).strftime("%Y-%m-%d %H:%M UTC")
    assert f"failing since {since} (3 checks)" in message.text
    assert "Documents that are failing" in message.html
    assert message.subject.endswith("no changes, 1 failing document")


def test_clause_selectors_that_stopped_matching_are_listed(tmp_path: Path) -> None:
    """A clause selector miss (a warning on a successful check) is a failing document until
    a check records a version without the warning; unchanged checks do not clear it."""
    config, sessions = setup(tmp_path, None)
    attempt(sessions, config, NOW - timedelta(days=6), "new_version")
    warning = "clause selector matched nothing: training"
    attempt(sessions, config, NOW - timedelta(days=4), "new_version", warning=warning)
    attempt(sessions, config, NOW - timedelta(days=2), "unchanged")
    with sessions() as s:
        found = failures(config, s, None)
    assert [(f.kind, f.message, f.since) for f in found] == [
        ("selector", warning, NOW - timedelta(days=4))
    ]
    attempt(sessions, config, NOW - timedelta(days=1), "new_version")
    with sessions() as s:
        assert failures(config, s, None) == []


def test_nothing_changed_gives_the_short_form(tmp_path: Path) -> None:
    """A quiet week (cosmetic edits only) gives a short 'nothing changed' message."""
    config, sessions = setup(tmp_path, None)
    add_change(
        sessions, config, "openai", "terms", summary(kind="cosmetic"), NOW - timedelta(days=1)
    )
    with sessions() as s:
        message = render_digest(collect(config, s, NOW - timedelta(days=7), datetime.now(UTC)))
    assert "Nothing changed" in message.text and "(1 cosmetic change ignored)" in message.text
    assert "Nothing changed." in message.html
    assert message.subject.endswith(": no changes")
    assert len(message.text.splitlines()) < 12


def test_digest_is_queued_recorded_and_sent_then_the_next_starts_where_it_ended(
    tmp_path: Path, server: SmtpServer
) -> None:
    """The digest goes to every recipient (provider recipients see their provider only),
    is recorded in `digests` with its outbox row, and the next digest covers only what
    happened after it."""
    config, sessions = setup(tmp_path, server.port)
    add_change(
        sessions, config, "openai", "terms", summary(text="openai t"), NOW - timedelta(days=1)
    )
    add_change(
        sessions,
        config,
        "anthropic",
        "privacy",
        summary(["audit"], text="anthropic a"),
        NOW - timedelta(days=2),
    )
    run_digest(config, sessions)
    by_rcpt = {r.rcpt_tos[0]: r.message for r in server.received}
    assert sorted(by_rcpt) == ["legal@example.test", "openai-owner@example.test"]
    legal = body_of(by_rcpt["legal@example.test"], "plain")
    owner = body_of(by_rcpt["openai-owner@example.test"], "plain")
    assert "openai t" in legal and "anthropic a" in legal
    assert "openai t" in owner and "anthropic a" not in owner
    with sessions() as s:
        digests = list(s.scalars(select(Digest)))
        sent = {m.id: m.state for m in s.scalars(select(OutboxMessage))}
    assert len(digests) == 2 and {d.outbox_id for d in digests} == set(sent)
    assert set(sent.values()) == {"sent"}
    ids = queue_digest(config, sessions)
    with sessions() as s:
        bodies = [s.get(OutboxMessage, i).text_body for i in ids]  # type: ignore[union-attr]
    assert all("Nothing changed" in b for b in bodies)


def test_dry_run_prints_the_text_and_output_writes_html_without_sending(
    tmp_path: Path, server: SmtpServer
) -> None:
    """`tosmon digest --dry-run` prints the text version and `--output` writes the HTML;
    neither sends nor records anything; `--since` moves the start."""
    config, sessions = setup(tmp_path, server.port)
    path = tmp_path / "sources.toml"
    add_change(sessions, config, "openai", "terms", summary(text="recent"), NOW - timedelta(days=1))
    add_change(sessions, config, "openai", "terms", summary(text="older"), NOW - timedelta(days=20))
    runner = CliRunner()
    result = runner.invoke(main, ["digest", "--config", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Subject: [tos-monitor] Weekly digest" in result.output
    assert "recent" in result.output and "older" not in result.output
    since = (NOW - timedelta(days=30)).strftime("%Y-%m-%d")
    result = runner.invoke(main, ["digest", "--config", str(path), "--dry-run", "--since", since])
    assert "older" in result.output
    html = tmp_path / "digest.html"
    result = runner.invoke(main, ["digest", "--config", str(path), "--output", str(html)])
    assert result.exit_code == 0 and html.read_text().startswith("<!DOCTYPE html>")
    assert server.received == []
    with sessions() as s:
        assert list(s.scalars(select(Digest))) == [] and store.unsent_outbox(s) == 0
    result = runner.invoke(main, ["digest", "--config", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert len(server.received) == 2


def test_preview_works_without_email_section(tmp_path: Path) -> None:
    """Without [email] the digest can still be previewed, but `tosmon digest` refuses."""
    config, sessions = setup(tmp_path, None)
    assert "Nothing changed" in preview(config, sessions).text
    result = CliRunner().invoke(main, ["digest", "--config", str(tmp_path / "sources.toml")])
    assert result.exit_code == 2 and "no [email] section" in result.output


def test_digest_reads_top_down(tmp_path: Path) -> None:
    """The digest opens with counts by severity, then the period's position changes, then
    failing documents, then the changes by provider (effective date shown when it moved),
    and ends with one line naming the documents that did not change."""
    config, sessions = setup(tmp_path, None)
    data = summary(["training"], "high", text="Training use: not used → opt-out.")
    data["positions"] = [
        {
            "key": "training_use",
            "before": ["not_used"],
            "after": ["opt_out"],
            "scope_before": None,
            "scope_after": None,
            "evidence_before": ["We do not use your content to train our models."],
            "evidence_after": ["We may use your content to train our models."],
        },
        {"key": "effective_date", "before": "2025-06-17", "after": "2025-10-08"},
    ]
    data["subprocessors"] = {"added": ["Cerebras"], "removed": []}
    add_change(sessions, config, "openai", "terms", data, NOW - timedelta(days=2))
    add_change(
        sessions, config, "openai", "terms", summary([], "low", text="o1"), NOW - timedelta(days=1)
    )
    attempt(
        sessions, config, NOW - timedelta(hours=5), "error", error_kind="http", error="HTTP 503"
    )
    with sessions() as s:
        message = render_digest(collect(config, s, NOW - timedelta(days=7), datetime.now(UTC)))
    text = message.text
    day = (NOW - timedelta(days=2)).strftime("%Y-%m-%d")
    marks = [
        "Overview: 2 substantive changes (1 high, 1 low); 1 failing document.",
        "######## Position changes ########",
        f"* {day}  OpenAI Services Agreement - Training use: not used -> opt-out",
        f"* {day}  OpenAI Services Agreement - Effective date: 2025-06-17 -> 2025-10-08",
        "######## Documents that are failing ########",
        "######## OpenAI ########",
        "== [HIGH] Services Agreement (api tier) ==",
        "Effective date: 2025-06-17 → 2025-10-08",
        "text outside clauses --\no1",
        "training clause --\nTraining use: not used → opt-out.",
        "  > Subprocessors added: Cerebras",
        "No change: Anthropic Privacy Policy.",
    ]
    at = 0
    for mark in marks:  # each part present, in this order
        found = text.find(mark, at)
        assert found >= 0, f"{mark!r} missing or out of order in:\n{text}"
        at = found + len(mark)
    html = message.html
    assert html.index("Position changes") < html.index("Documents that are failing")
    assert html.index("Documents that are failing") < html.index("<h2", html.index("HTTP 503"))
    assert "No change: Anthropic Privacy Policy." in html


def test_a_digest_over_max_message_bytes_shows_its_largest_change_compactly(
    tmp_path: Path,
) -> None:
    """A week whose full digest would be over `max_message_bytes` is delivered all the same
    by a server refusing anything bigger: the huge change is shown compactly with the
    `tosmon diff` command that shows it in full, the small change of the week in full."""
    limit = 30_000
    big = " ".join(f"Clause {n} binds the provider to this term." for n in range(2000))
    with SmtpServer(data_size_limit=limit) as server:
        path = write_config(tmp_path, server.port, extra=f"max_message_bytes = {limit}")
        config = load_config(path)
        sessions = open_database(config.database)
        huge = summary(["retention"], "medium", text="Big change.", added=[big])
        add_change(sessions, config, "openai", "terms", huge, NOW - timedelta(days=2))
        small = summary(["audit"], "low", text="Small change.", added=["We may audit yearly."])
        add_change(sessions, config, "anthropic", "privacy", small, NOW - timedelta(days=1))
        result = CliRunner().invoke(main, ["digest", "--config", str(path)])
        received = {r.rcpt_tos[0]: r for r in server.received}
    assert result.exit_code == 0, result.output
    assert sorted(received) == ["legal@example.test", "openai-owner@example.test"]
    assert all(len(r.raw) <= limit for r in received.values())
    text = body_of(received["legal@example.test"].message, "plain")
    assert "tosmon diff openai terms" in text and big not in text
    assert "We may audit yearly." in text and "Small change." in text


def test_a_digest_too_large_even_compact_arrives_in_numbered_parts(tmp_path: Path) -> None:
    """A week with more changes than fit `max_message_bytes` even shown compactly (a
    backfill's history) reaches a server refusing bigger messages as "(part i of n)"
    messages, every change in exactly one of them, in order, the failing document once."""
    limit = 12_000
    with SmtpServer(data_size_limit=limit) as server:
        path = write_config(tmp_path, server.port, extra=f"max_message_bytes = {limit}")
        config = load_config(path)
        sessions = open_database(config.database)
        attempt(sessions, config, NOW - timedelta(hours=3), "error", error="HTTP 503")
        for n in range(40):
            text = f"Backfilled change number {n:02d}."
            data = summary(["retention"], "medium", text=text, added=[f"We keep logs {n}."])
            at = NOW - timedelta(days=6, minutes=-n)
            add_change(sessions, config, "anthropic", "privacy", data, at, origin="archive")
        result = CliRunner().invoke(main, ["digest", "--config", str(path)])
        parts = [r.message for r in server.received if r.rcpt_tos[0] == "legal@example.test"]
    assert result.exit_code == 0, result.output
    assert len(parts) > 1 and all(len(r.raw) <= limit for r in server.received)
    n = len(parts)
    subjects = [str(m["Subject"]) for m in parts]
    assert all(f" of {n}) Weekly digest" in s for s in subjects)
    number = {int(s.split("(part ")[1].split()[0]): m for s, m in zip(subjects, parts, strict=True)}
    assert sorted(number) == list(range(1, n + 1))
    texts = [body_of(number[i], "plain") for i in sorted(number)]
    shown = [{k for k in range(40) if f"Backfilled change number {k:02d}." in t} for t in texts]
    assert sorted(k for part in shown for k in part) == list(range(40))  # each once
    assert all(min(a) > max(b) for a, b in zip(shown, shown[1:], strict=False))  # newest first
    assert sum("HTTP 503" in t for t in texts) == 1 and "HTTP 503" in texts[0]
