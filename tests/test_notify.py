"""Alert delivery through the outbox to a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import json
import logging
import os
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from servers import LocalServer, Reply
from smtp import (
    Certificates,
    SmtpServer,
    add_change,
    authenticator,
    body_of,
    free_port,
    summary,
    write_config,
)
from sqlalchemy import select

from monitor import store
from monitor.capture import Attempt, Capture, process_capture
from monitor.cli import main
from monitor.config import Config, load_config
from monitor.db import SessionFactory, open_database
from monitor.models import Change, OutboxMessage
from monitor.notify import notify_after_check, queue_alerts, send_pending

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as srv:
        yield srv


_opened: list[SessionFactory] = []


@pytest.fixture(autouse=True)
def backend(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every outbox test runs on SQLite and on PostgreSQL (when installed): ``setup`` and the
    commands take the database from TOSMON_DB, as `--db` would."""
    if database_url.startswith("postgresql"):  # SQLite: the file each config names
        monkeypatch.setenv("TOSMON_DB", database_url)
    yield database_url
    while _opened:
        _opened.pop().kw["bind"].dispose()


def setup(tmp_path: Path, port: int | None, **email: str) -> tuple[Config, SessionFactory]:
    config = load_config(write_config(tmp_path, port, **email), os.environ.get("TOSMON_DB"))
    sessions = open_database(config.database)
    _opened.append(sessions)  # disposed of after the test, not by the garbage collector
    return config, sessions


def outbox(sessions: SessionFactory) -> list[OutboxMessage]:
    with sessions() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def alert_states(sessions: SessionFactory) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(Change.alert).order_by(Change.id)))


def to_of(server: SmtpServer) -> list[str]:
    return sorted(r.rcpt_tos[0] for r in server.received)


def test_alert_is_a_multipart_message_with_the_usual_headers(
    tmp_path: Path, server: SmtpServer
) -> None:
    """A pending high change reaches every recipient as multipart/alternative (text + HTML,
    UTF-8) with From, To, Subject, a stable Message-ID and a Date; the change is queued."""
    config, sessions = setup(tmp_path, server.port)
    add_change(sessions, config, "openai", "terms", summary(), NOW - timedelta(hours=1))
    notify_after_check(config, sessions)

    assert to_of(server) == ["legal@example.test", "openai-owner@example.test"]
    msg = server.received[0].message
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in msg.iter_parts())
    assert msg["From"] == "tos-monitor <monitor@example.test>"
    assert msg["To"] == server.received[0].rcpt_tos[0]
    assert msg["Subject"] == (
        "[tos-monitor] HIGH: OpenAI Services Agreement — training clause changed"
    )
    rows = outbox(sessions)
    assert {r.message_id for r in rows} == {r.message["Message-ID"] for r in server.received}
    assert abs(parsedate_to_datetime(msg["Date"]) - datetime.now(UTC)) < timedelta(minutes=5)
    assert [r.state for r in rows] == ["sent", "sent"]
    assert alert_states(sessions) == ["queued"]
    text = body_of(msg, "plain")
    assert "We [-do not-] {+may+} use your content" in text
    assert "stance (training): not used -> used" in text
    assert "Tier: api" in text and "https://openai.test/policies/services-agreement" in text


def test_real_pipeline_baseline_alerts_no_one_and_a_change_alerts_once(
    tmp_path: Path, server: SmtpServer
) -> None:
    """Driving the real pipeline: the first capture is a baseline (no mail); a capture that
    flips the training clause sends one alert; a second run sends nothing more."""
    config, sessions = setup(tmp_path, server.port)
    doc = config.document("openai", "terms")
    page = (
        "<main><h2>Use of data</h2><p>We do not use your content to train our models.</p>"
        "<h2>Retention</h2><p>We retain API inputs for 30 days.</p>"
        "<p>Other text long enough to make this a real policy document body.</p></main>"
    )
    for day, html in enumerate([page, page.replace("do not use", "may use")]):
        at = NOW - timedelta(days=2 - day)
        with sessions.begin() as s:
            attempt = Attempt(at, doc.url, status=200, duration_ms=1.0)
            process_capture(s, doc, Capture(html.encode(), "text/html", at, "live"), attempt)
        notify_after_check(config, sessions)
        assert len(server.received) == 2 * day
    notify_after_check(config, sessions)
    assert len(server.received) == 2
    assert "HIGH: OpenAI Services Agreement — training clause changed" in str(
        server.received[0].message["Subject"]
    )


def test_one_message_per_run_and_recipient_lists_every_change(
    tmp_path: Path, server: SmtpServer
) -> None:
    """Three changes in one run make one message per recipient; provider recipients hear
    only of their provider, and the subject counts the changes."""
    config, sessions = setup(tmp_path, server.port, alerts="all")
    add_change(sessions, config, "openai", "terms", summary(), NOW - timedelta(hours=3))
    add_change(
        sessions,
        config,
        "openai",
        "terms",
        summary(["retention"], "medium"),
        NOW - timedelta(hours=2),
    )
    add_change(
        sessions,
        config,
        "anthropic",
        "privacy",
        summary(["audit"], "low"),
        NOW - timedelta(hours=1),
    )
    notify_after_check(config, sessions)
    by_rcpt = {r.rcpt_tos[0]: r.message for r in server.received}
    assert sorted(by_rcpt) == ["legal@example.test", "openai-owner@example.test"]
    legal = by_rcpt["legal@example.test"]
    assert legal["Subject"] == (
        "[tos-monitor] HIGH: 3 changes — OpenAI Services Agreement (training), "
        "OpenAI Services Agreement (retention), Anthropic Privacy Policy (audit)"
    )
    owner = by_rcpt["openai-owner@example.test"]
    assert owner["Subject"].startswith("[tos-monitor] HIGH: 2 changes — ")
    assert "Anthropic" not in body_of(owner, "plain")
    assert alert_states(sessions) == ["queued", "queued", "queued"]


@pytest.mark.parametrize(
    ("alerts", "mailed", "states"),
    [
        ("high", 2, ["queued", "skipped"]),
        ("all", 2, ["queued", "queued"]),
        ("none", 0, ["skipped", "skipped"]),
    ],
)
def test_alerts_setting_decides_which_severities_alert(
    tmp_path: Path, server: SmtpServer, alerts: str, mailed: int, states: list[str]
) -> None:
    """alerts=high sends only high changes, all sends every substantive one, none sends
    nothing; a change left out is marked skipped (the digest still reports it)."""
    config, sessions = setup(tmp_path, server.port, alerts=alerts)
    add_change(sessions, config, "openai", "terms", summary(), NOW - timedelta(hours=2))
    add_change(
        sessions, config, "openai", "terms", summary(["retention"], "low"), NOW - timedelta(hours=1)
    )
    notify_after_check(config, sessions)
    assert len(server.received) == mailed
    assert alert_states(sessions) == states
    if alerts == "high":
        assert "retention" not in str(server.received[0].message["Subject"])


def test_backfilled_changes_never_send_immediate_alerts(tmp_path: Path, server: SmtpServer) -> None:
    """A change from the archive is never alerted, even if something marked it pending."""
    config, sessions = setup(tmp_path, server.port, alerts="all")
    add_change(
        sessions,
        config,
        "openai",
        "terms",
        summary(),
        NOW - timedelta(days=400),
        "archive",
        alert="pending",
    )
    notify_after_check(config, sessions)
    assert server.received == []
    assert alert_states(sessions) == ["skipped"]


def test_without_email_section_alerts_stay_pending_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No [email]: nothing is queued, a warning says the alerts stay pending."""
    config, sessions = setup(tmp_path, None)
    add_change(sessions, config, "openai", "terms", summary(), NOW)
    with caplog.at_level(logging.INFO, logger="monitor"):
        notify_after_check(config, sessions)
    assert alert_states(sessions) == ["pending"]
    assert outbox(sessions) == []
    assert "no [email] section" in caplog.text and "1 alert(s) stay pending" in caplog.text


def test_server_down_leaves_messages_pending_with_backoff_then_delivers_once(
    tmp_path: Path,
) -> None:
    """Connection refused: the messages stay pending with the error, an attempt count and
    a next attempt time; the next automatic run respects the backoff; once the server is
    back every message arrives exactly once."""
    port = free_port()
    config, sessions = setup(tmp_path, port)
    add_change(sessions, config, "openai", "terms", summary(), NOW)
    notify_after_check(config, sessions)
    rows = outbox(sessions)
    assert [(r.state, r.attempts) for r in rows] == [("pending", 1), ("pending", 1)]
    assert all("connection refused" in (r.last_error or "") for r in rows)
    assert all(r.next_attempt_at and r.next_attempt_at > NOW for r in rows)
    assert alert_states(sessions) == ["queued"]  # the outbox holds them now

    with SmtpServer(port) as server:
        notify_after_check(config, sessions)  # backoff not over: nothing tried
        assert server.received == []
        assert [r.attempts for r in outbox(sessions)] == [1, 1]
        later = datetime.now(UTC) + timedelta(minutes=2)
        report = send_pending(config, sessions, now=later)
        assert len(report.sent) == 2 and report.waiting == 0
        send_pending(config, sessions, due_only=False)
        notify_after_check(config, sessions)
    assert to_of(server) == ["legal@example.test", "openai-owner@example.test"]
    assert [(r.state, r.attempts) for r in outbox(sessions)] == [("sent", 2), ("sent", 2)]


@pytest.mark.parametrize(
    ("refusal", "error"),
    [
        ({"refuse_rcpt": "450 4.2.1 mailbox busy"}, "recipient refused"),
        ({"refuse_data": "451 4.3.0 try again later"}, "message refused: 451"),
    ],
)
def test_transient_refusal_stays_pending_and_is_sent_once_accepted(
    tmp_path: Path, server: SmtpServer, refusal: dict[str, str], error: str
) -> None:
    """A 4xx on RCPT or DATA leaves the message pending with the server's answer; when the
    server accepts later, each message arrives once."""
    config, sessions = setup(tmp_path, server.port)
    add_change(sessions, config, "openai", "terms", summary(), NOW)
    for key, value in refusal.items():
        setattr(server.handler, key, value)
    notify_after_check(config, sessions)
    rows = outbox(sessions)
    assert [r.state for r in rows] == ["pending", "pending"]
    assert all(error in (r.last_error or "") for r in rows)
    for key in refusal:
        setattr(server.handler, key, None)
    send_pending(config, sessions, due_only=False)
    send_pending(config, sessions, due_only=False)
    assert to_of(server) == ["legal@example.test", "openai-owner@example.test"]


@pytest.mark.parametrize(
    ("refusal", "error"),
    [
        ({"refuse_rcpt": "550 5.1.1 mailbox unavailable"}, "recipient refused"),
        ({"refuse_data": "552 5.3.4 message too big"}, "message refused: 552"),
    ],
)
def test_permanent_refusal_fails_after_one_try_and_is_reported(
    tmp_path: Path, server: SmtpServer, refusal: dict[str, str], error: str
) -> None:
    """A 5xx on RCPT or DATA marks the message failed after one try: `notify` says so
    (exit 1) once, later runs do not retry it (exit 0), and `status` lists it."""
    config, sessions = setup(tmp_path, server.port)
    add_change(sessions, config, "openai", "terms", summary(), NOW)
    for key, value in refusal.items():
        setattr(server.handler, key, value)
    first = CliRunner().invoke(main, ["notify", "--config", str(config.path)])
    assert first.exit_code == 1
    assert "failed for good" in first.output and error in first.output
    rows = outbox(sessions)
    assert [(r.state, r.attempts) for r in rows] == [("failed", 1), ("failed", 1)]
    for key in refusal:
        setattr(server.handler, key, None)
    again = CliRunner().invoke(main, ["notify", "--json", "--config", str(config.path)])
    assert again.exit_code == 0 and json.loads(again.stdout)["sent"] == 0
    assert server.received == [] and [r.attempts for r in outbox(sessions)] == [1, 1]
    status = CliRunner().invoke(main, ["status", "--json", "--config", str(config.path)])
    failed = json.loads(status.stdout)["failed_messages"]
    assert sorted(r for m in failed for r in m["recipients"]) == [
        "legal@example.test",
        "openai-owner@example.test",
    ]
    assert all(error in m["error"] for m in failed)
    shown = CliRunner().invoke(main, ["status", "--config", str(config.path)])
    assert "FAILED message" in shown.output


def test_connection_dropped_mid_send_then_each_message_arrives_once(
    tmp_path: Path, server: SmtpServer
) -> None:
    """The server drops the connection during DATA of the first message: that one stays
    pending, the next message goes out on a new connection, and a later run delivers the
    first one; nothing arrives twice."""
    config, sessions = setup(tmp_path, server.port)
    add_change(sessions, config, "openai", "terms", summary(), NOW)
    server.handler.drop_data = 1
    report = send_pending(config, sessions) if queue_alerts(config, sessions) else None
    assert report is not None and len(report.sent) == 1 and len(report.failed) == 1
    assert "connection lost" in report.failed[0]["error"]
    assert len(server.received) == 1
    send_pending(config, sessions, due_only=False)
    send_pending(config, sessions, due_only=False)
    assert to_of(server) == ["legal@example.test", "openai-owner@example.test"]


def test_a_message_claimed_before_a_crash_is_resent_with_the_same_message_id(
    tmp_path: Path, server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A row left in `sending` (the sender died before recording the server's answer) is
    sent again, with its original Message-ID, and a warning names it."""
    config, sessions = setup(tmp_path, server.port)
    add_change(sessions, config, "anthropic", "privacy", summary(["audit"]), NOW)
    queue_alerts(config, sessions)
    with sessions.begin() as s:
        row = s.scalars(select(OutboxMessage)).one()
        row.state, row.attempts, message_id = "sending", 1, row.message_id
    with caplog.at_level(logging.WARNING, logger="monitor"):
        send_pending(config, sessions)
    assert [r.message["Message-ID"] for r in server.received] == [message_id]
    assert "may have been sent before a crash" in caplog.text


def test_starttls_with_auth_and_a_test_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """STARTTLS + AUTH against a server that requires both; the password comes from the
    environment variable named by password_env and is stored nowhere; a wrong password
    leaves the message pending with the server's 535."""
    certs = Certificates()
    options = {
        "tls_context": certs.server_context(),
        "require_starttls": True,
        "authenticator": authenticator("monitor", "s3cret-pass"),
        "auth_require_tls": True,
    }
    extra = 'username = "monitor"\npassword_env = "TOSMON_TEST_SMTP_PASSWORD"'
    with SmtpServer(**options) as server:
        config, sessions = setup(tmp_path, server.port, security="starttls", extra=extra)
        add_change(sessions, config, "anthropic", "privacy", summary(["audit"]), NOW)
        queue_alerts(config, sessions)
        tls = certs.client_context()
        monkeypatch.delenv("TOSMON_TEST_SMTP_PASSWORD", raising=False)
        report = send_pending(config, sessions, tls=tls)
        assert "TOSMON_TEST_SMTP_PASSWORD" in report.failed[0]["error"]
        monkeypatch.setenv("TOSMON_TEST_SMTP_PASSWORD", "wrong")
        report = send_pending(config, sessions, tls=tls, due_only=False)
        assert "authentication failed: 535" in report.failed[0]["error"]
        monkeypatch.setenv("TOSMON_TEST_SMTP_PASSWORD", "s3cret-pass")
        report = send_pending(config, sessions, tls=tls, due_only=False)
        assert len(report.sent) == 1
    assert to_of(server) == ["legal@example.test"]
    if not os.environ.get("TOSMON_DB"):  # the SQLite file: every byte stored
        assert "s3cret-pass" not in (tmp_path / "tos.db").read_bytes().decode("latin-1")


def test_starttls_refuses_an_untrusted_certificate(tmp_path: Path) -> None:
    """A certificate the client does not trust is a TLS error; the message stays pending."""
    certs = Certificates()
    with SmtpServer(tls_context=certs.server_context(), require_starttls=True) as server:
        config, sessions = setup(tmp_path, server.port, security="starttls")
        add_change(sessions, config, "anthropic", "privacy", summary(["audit"]), NOW)
        queue_alerts(config, sessions)
        report = send_pending(config, sessions, tls=ssl.create_default_context())
    assert server.received == []
    assert "TLS error" in report.failed[0]["error"]


def test_ssl_mode_delivers_over_implicit_tls(tmp_path: Path) -> None:
    """security = "ssl" speaks TLS from the first byte (port 465 style)."""
    certs = Certificates()
    with SmtpServer(ssl_context=certs.server_context()) as server:
        config, sessions = setup(tmp_path, server.port, security="ssl")
        add_change(sessions, config, "anthropic", "privacy", summary(["audit"]), NOW)
        queue_alerts(config, sessions)
        report = send_pending(config, sessions, tls=certs.client_context())
    assert len(report.sent) == 1 and to_of(server) == ["legal@example.test"]


def test_cli_notify_sends_everything_pending_and_reports_json(tmp_path: Path) -> None:
    """`tosmon notify --json` ignores the backoff of earlier failures and sends every
    pending message; with the server down it exits 1 with one line per message, no
    traceback."""
    port = free_port()
    path = write_config(tmp_path, port)
    config, sessions = setup(tmp_path, port)
    add_change(sessions, config, "openai", "terms", summary(), NOW)
    runner = CliRunner()
    down = runner.invoke(main, ["notify", "--config", str(path)])
    assert down.exit_code == 1
    assert "Traceback" not in down.output
    assert "not delivered" in down.output and "connection refused" in down.output
    with SmtpServer(port) as server:
        result = runner.invoke(main, ["notify", "--config", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sent"] == 2 and data["pending"] == 0 and data["failed"] == []
    assert len(server.received) == 2
    with sessions() as s:
        assert store.unsent_outbox(s) == 0


def test_cli_notify_without_email_section_says_what_to_add(tmp_path: Path) -> None:
    """`tosmon notify` with no [email] section exits 2 and names what is missing."""
    path = write_config(tmp_path, None)
    result = CliRunner().invoke(main, ["notify", "--config", str(path)])
    assert result.exit_code == 2 and "no [email] section" in result.output


def test_tosmon_check_sends_the_alert_at_the_end_of_its_run(
    tmp_path: Path, server: SmtpServer, http_server: LocalServer
) -> None:
    """`tosmon check` against a local site: the first run records a baseline and mails no
    one; after the training clause flips, the next run ends by mailing the alert;
    `--no-notify` leaves a further change pending."""
    page = (
        "<html><body><main><h2>Use of data</h2><p>We do not use your content to train our "
        "models.</p><h2>Retention</h2><p>We retain API inputs for 30 days.</p><p>Other text "
        "long enough to make this a real policy document body.</p></main></body></html>"
    )
    config = tmp_path / "sources.toml"
    config.write_text(
        f'[monitor]\ndatabase = "sqlite:///{tmp_path / "tos.db"}"\nretries = 0\n'
        '[providers.openai]\nname = "OpenAI"\n[providers.openai.documents.terms]\n'
        f'name = "Services Agreement"\nurl = "{http_server.url("/terms")}"\n'
        'select = ["main"]\ntier = "api"\n'
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {server.port}\nsecurity = "none"\n'
        'from = "monitor@example.test"\nto = ["legal@example.test"]\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    http_server.route("/terms", Reply(body=page))
    assert runner.invoke(main, ["check", "--config", str(config)]).exit_code == 0
    assert server.received == []
    http_server.route("/terms", Reply(body=page.replace("do not use", "may use")))
    result = runner.invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert [str(r.message["Subject"]) for r in server.received] == [
        "[tos-monitor] HIGH: OpenAI Services Agreement — training clause changed"
    ]
    http_server.route("/terms", Reply(body=page.replace("30 days", "90 days")))
    assert runner.invoke(main, ["check", "--config", str(config), "--no-notify"]).exit_code == 0
    assert len(server.received) == 1
    sessions = open_database(os.environ.get("TOSMON_DB") or f"sqlite:///{tmp_path / 'tos.db'}")
    _opened.append(sessions)
    assert alert_states(sessions)[-1] == "pending"


def test_changes_too_big_for_one_message_arrive_split_each_once_in_order(tmp_path: Path) -> None:
    """Three changes that fit `max_message_bytes` one by one but not together reach the
    recipient as two messages through a server refusing anything bigger than the limit:
    each change arrives once, whole and in order, and the subjects say "part i of n" so
    the reader knows the messages belong together."""
    limit = 40_000
    words = {
        name: " ".join(f"{name} term {n} binds the provider." for n in range(220))
        for name in ("First", "Second", "Third")
    }
    with SmtpServer(data_size_limit=limit) as server:
        extra = f"max_message_bytes = {limit}"
        config, sessions = setup(tmp_path, server.port, alerts="all", extra=extra)
        for hours, (name, text) in zip((3, 2, 1), words.items(), strict=True):
            data = summary(["retention"], "medium", text=f"{name} change.", added=[text])
            add_change(sessions, config, "anthropic", "privacy", data, NOW - timedelta(hours=hours))
        result = CliRunner().invoke(main, ["notify", "--json", "--config", str(config.path)])
        received = list(server.received)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["failed"] == []
    assert all(r.rcpt_tos == ["legal@example.test"] for r in received)
    assert all(len(r.raw) <= limit for r in received)
    texts = [body_of(r.message, "plain") for r in received]
    # packed in order: the first two fit one message, the third needs its own
    assert [sum(t.count(text) for text in words.values()) for t in texts] == [2, 1]
    joined = "\n".join(texts)
    assert [joined.count(text) for text in words.values()] == [1, 1, 1]
    positions = [joined.index(text) for text in words.values()]
    assert positions == sorted(positions)
    assert "too large for email" not in joined
    subjects = [str(r.message["Subject"]) for r in received]
    assert all(f"part {i} of {len(received)}" in s for i, s in enumerate(subjects, 1)), subjects
    assert [r.state for r in outbox(sessions)] == ["sent"] * len(received)
    assert alert_states(sessions) == ["queued"] * 3
