"""Returns, flip-flops and broken tracking through the real CLI: a page server and an SMTP
server on 127.0.0.1, a real SQLite file, `tosmon check` run after run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zstandard
from alembic import command
from click.testing import CliRunner
from servers import LocalServer, Reply
from smtp import SmtpServer
from sqlalchemy import select

from monitor.cli import main
from monitor.db import alembic_config, create_db_engine, open_database
from monitor.models import Change, Episode
from monitor.notices import duration

PAGE = """<html><body><main>
<h1>Terms of Service</h1>
<p>These terms apply to your use of the services.</p>
<h2>Retention</h2>
<p>We retain API inputs and outputs for {days} days, then delete them.</p>
<h2>Fees</h2>
<p>You will pay the fees in the order form within thirty days of invoice.</p>
</main></body></html>"""
A, B = PAGE.format(days=30), PAGE.format(days=90)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def write_project(
    tmp_path: Path, http: LocalServer, smtp: SmtpServer, extra: str = "", alerts: str = "all"
) -> Path:
    config = tmp_path / "sources.toml"
    config.write_text(f"""
[monitor]
database = "sqlite:///tos.db"
timeout = 1.0
retries = 0
backoff = 0.01
{extra}

[email]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
security = "none"
from = "tos-monitor <monitor@example.test>"
to = ["legal@example.test"]
alerts = "{alerts}"
timeout = 5

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
name = "Terms"
url = "{http.url("/terms")}"
select = ["main"]
""")
    return config


def tosmon(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def subjects(smtp: SmtpServer) -> list[str]:
    return [str(r.message["Subject"]) for r in smtp.received]


def body(smtp: SmtpServer, n: int) -> str:
    part = smtp.received[n].message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def status_of(config: Path) -> dict[str, Any]:
    [doc] = tosmon(config, "status", "--json")["documents"]
    return doc  # type: ignore[no-any-return]


def test_six_check_flip_sends_the_first_change_and_one_flapping_notice(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer
) -> None:
    """A page alternating A, B, A, B, A, B over six checks mails the first change and one
    "flapping" notice, nothing else; history stores the returns as reverts ("back to v1"),
    status says the document is flapping, and the digest lists the returns as such."""
    config = write_project(tmp_path, http_server, smtp)
    http_server.route("/terms", *(Reply(body=page) for page in [A, B, A, B, A, B]))
    for _ in range(6):
        tosmon(config, "check", "--json")

    assert len(smtp.received) == 2
    assert "Acme Terms — retention clause changed" in subjects(smtp)[0]
    assert subjects(smtp)[1] == "[tos-monitor] Flapping: Acme Terms alternates between 2 texts"
    notice = body(smtp, 1)
    assert "~ We retain API inputs and outputs for [-30-] {+90+} days" in notice
    assert "only message for this episode" in " ".join(notice.split())

    versions = tosmon(config, "history", "acme", "terms", "--json")["versions"]
    changes = [v["change"] for v in versions]
    assert changes[0] is None and changes[1]["kind"] == "substantive"
    assert [(c["kind"], c["reverts_to"]) for c in changes[2:]] == [
        ("revert", 1),
        ("revert", 2),
        ("revert", 1),
        ("revert", 2),
    ]
    assert all(c["severity"] is None and c["facts"] == [] for c in changes[2:])
    assert "back to v1" in tosmon(config, "history", "acme", "terms")

    same = tosmon(config, "diff", "acme", "terms", "--from", "1", "--to", "3", "--json")
    assert same["kind"] is None
    back = tosmon(config, "diff", "acme", "terms", "--from", "2", "--to", "3", "--json")
    assert (back["kind"], back["reverts_to"]) == ("revert", 1)

    flapping = status_of(config)["flapping"]
    assert flapping is not None and (flapping["texts"], flapping["returns"]) == (2, 4)

    digest = tosmon(config, "digest", "--dry-run")
    assert "Overview: 1 substantive change (1 high); 4 returns to an earlier text" in digest
    assert "alternates between 2 texts (4 returns)" in digest

    tosmon(config, "reextract", "--json")  # re-reading the history keeps returns as returns
    again = tosmon(config, "history", "acme", "terms", "--json")["versions"]
    assert [v["change"] for v in again] == changes
    assert len(smtp.received) == 2


def test_a_real_change_after_a_flap_alerts_again(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer
) -> None:
    """After a flip-flop, a capture with words never seen before is an ordinary change: it
    alerts, and it ends the flapping episode (status no longer shows it)."""
    config = write_project(tmp_path, http_server, smtp)
    c = PAGE.format(days=180)
    http_server.route("/terms", *(Reply(body=page) for page in [A, B, A, B, c]))
    for _ in range(5):
        tosmon(config, "check", "--json")
    assert len(smtp.received) == 3  # A→B, the flapping notice, B→C
    assert "retention clause changed" in subjects(smtp)[2]
    assert status_of(config)["flapping"] is None


FULL = """<html><body><main>
<h1>Terms of Service</h1>
<p>These terms apply to your use of the services offered by Acme and its affiliates.</p>
<h2>Use of your content</h2>
<p>We do not use your content to train our models. Content you submit through the services
is processed only to provide the services to you, and is never used to develop or improve
our models unless you explicitly opt in through your account settings.</p>
<h2>Ownership</h2>
<p>As between the parties, you retain all rights in your inputs and you own the outputs that
the services generate for you. We assign to you all our right, title and interest in the
outputs, and we claim no ownership of anything you create with the services.</p>
<h2>Retention</h2>
<p>We retain API inputs and outputs for 30 days, then delete them.</p>
</main></body></html>"""
PARTIAL = """<html><body><main>
<h1>Terms of Service</h1>
<p>These terms apply to your use of the services offered by Acme and its affiliates.</p>
<div class="loading">Loading…</div>
<h2>Retention</h2>
<p>We retain API inputs and outputs for 30 days, then delete them.</p>
</main></body></html>"""


def test_a_page_rendering_partially_every_other_fetch_sends_no_high_alert(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer
) -> None:
    """A page that loses two sections (a "Loading…" stub) on every other fetch over six
    checks sends nothing: each half-render is held as suspect, never a version."""
    config = write_project(tmp_path, http_server, smtp)
    http_server.route("/terms", *(Reply(body=page) for page in [FULL, PARTIAL] * 3))
    outcomes = []
    for _ in range(6):
        report = tosmon(config, "check", "--json")
        outcomes.append("suspect" if report["suspect"] else "ok")
    assert outcomes == ["ok", "suspect"] * 3
    assert not any("HIGH" in subject for subject in subjects(smtp))
    assert smtp.received == []
    assert len(tosmon(config, "history", "acme", "terms", "--json")["versions"]) == 1


def test_a_half_render_accepted_once_comes_back_as_returns_never_as_removals(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer
) -> None:
    """When a half-render is fetched twice in a row it is accepted (one alert); the page then
    flipping between the full and the half text records returns, whose severity and facts
    are those against the text returned to: no second "clause removed" alert."""
    config = write_project(tmp_path, http_server, smtp)
    flips = [FULL, PARTIAL, PARTIAL, FULL, PARTIAL, PARTIAL, FULL]
    http_server.route("/terms", *(Reply(body=page) for page in flips))
    for _ in flips:
        tosmon(config, "check", "--json")
    versions = tosmon(config, "history", "acme", "terms", "--json")["versions"]
    kinds = [(v["change"] or {}).get("kind") for v in versions]
    assert kinds == [None, "substantive", "revert", "revert", "revert"]
    assert [v["change"]["reverts_to"] for v in versions[2:]] == [1, 2, 1]
    assert all(v["change"]["severity"] is None for v in versions[2:])
    alerts = [s for s in subjects(smtp) if "Flapping" not in s]
    assert len(alerts) == 1  # the half-render accepted once; its returns are not alerted
    assert len(smtp.received) == 2 and "Flapping" in subjects(smtp)[1]


def test_broken_for_five_runs_then_recovered_sends_exactly_two_emails(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer
) -> None:
    """A page that 404s for five runs and then recovers sends one "tracking broken" email
    (at the second failure: `alert_after_failures` defaults to 2) and one "tracking
    recovered" email; status --json names the failure's start and kind meanwhile."""
    config = write_project(tmp_path, http_server, smtp)
    missing = Reply(404, "gone", content_type="text/plain")
    http_server.route("/terms", Reply(body=A), *([missing] * 5), Reply(body=A))
    tosmon(config, "check", "--json")
    started = datetime.now(UTC)
    for run in range(5):
        tosmon(config, "check", "--json")
        assert len(smtp.received) == (0 if run == 0 else 1)
    doc = status_of(config)
    assert doc["state"] == "failing" and doc["consecutive_failures"] == 5
    assert doc["failing_kind"] == "http"
    since = datetime.fromisoformat(doc["failing_since"].replace("Z", "+00:00"))
    assert doc["failing_since"].endswith("Z") and abs(since - started) < timedelta(seconds=5)

    tosmon(config, "check", "--json")
    tosmon(config, "check", "--json")
    assert len(smtp.received) == 2
    broken, recovered = subjects(smtp)
    assert broken.startswith("[tos-monitor] Tracking broken: Acme Terms — http since ")
    assert recovered.startswith("[tos-monitor] Tracking recovered: Acme Terms — was broken for ")
    assert "update `url` in sources.toml" in " ".join(body(smtp, 0).split())
    assert "5 failed checks" in body(smtp, 1)
    assert "The text did not change meanwhile." in body(smtp, 1)
    doc = status_of(config)
    assert (doc["state"], doc["failing_since"], doc["failing_kind"]) == ("ok", None, None)


def test_a_break_across_changing_error_kinds_is_one_episode(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer
) -> None:
    """A 404, then a page whose `select` matches nothing, then a redirect we refuse, is one
    broken stretch: one "broken" email, one "recovered" email naming all three kinds, and
    the text that changed meanwhile is said so."""
    config = write_project(tmp_path, http_server, smtp)
    http_server.route(
        "/terms",
        Reply(body=A),
        Reply(404, "gone", content_type="text/plain"),
        Reply(body="<html><body><div>Moved to our new help centre.</div></body></html>"),
        Reply.redirect("ftp://files.example.test/terms"),
        Reply(body=B),
    )
    for _ in range(5):
        tosmon(config, "check", "--json")
    assert len(smtp.received) == 3
    broken, change, recovered = subjects(smtp)
    assert "retention clause changed" in change
    assert broken.startswith("[tos-monitor] Tracking broken: Acme Terms — selector since")
    assert recovered.startswith("[tos-monitor] Tracking recovered: Acme Terms")
    text = body(smtp, 2)
    assert "3 failed checks; http, selector, redirect" in text
    assert "The text changed meanwhile" in text


def test_per_document_alert_after_failures_and_alerts_none(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer
) -> None:
    """`alert_after_failures = 1` on a document mails at its first failure; the same break
    with `[email] alerts = "none"` mails nothing."""
    config = write_project(tmp_path, http_server, smtp)
    config.write_text(config.read_text() + "alert_after_failures = 1\n")
    http_server.route("/terms", Reply(body=A), Reply(500, "down", content_type="text/plain"))
    tosmon(config, "check", "--json")
    tosmon(config, "check", "--json")
    assert len(smtp.received) == 1 and "Tracking broken" in subjects(smtp)[0]

    quiet = tmp_path / "quiet"
    quiet.mkdir()
    config = write_project(quiet, http_server, smtp, alerts="none")
    http_server.route("/terms", Reply(body=A), Reply(500, "down", content_type="text/plain"))
    for _ in range(4):
        tosmon(config, "check", "--json")
    assert len(smtp.received) == 1


def test_a_notice_queued_while_smtp_is_down_is_sent_once_when_it_is_back(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer
) -> None:
    """The "tracking broken" notice waits in the outbox while the SMTP server is down and
    is delivered exactly once when it is back, however many checks ran meanwhile."""
    config = write_project(tmp_path, http_server, smtp)
    http_server.route("/terms", Reply(body=A), Reply(503, "down", content_type="text/plain"))
    tosmon(config, "check", "--json")
    smtp.stop()
    for _ in range(3):
        tosmon(config, "check", "--json")
    smtp.start()
    tosmon(config, "notify", "--json")
    for _ in range(2):
        tosmon(config, "check", "--json")
        tosmon(config, "notify", "--json")
    assert len(smtp.received) == 1
    assert subjects(smtp)[0].startswith("[tos-monitor] Tracking broken: Acme Terms — http")


def test_the_digest_lists_an_outage_that_opened_and_closed_in_the_period(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer
) -> None:
    """An outage that began and ended within the week is in the digest (when, how many
    failed checks, which errors), though nothing is failing any more."""
    config = write_project(tmp_path, http_server, smtp)
    missing = Reply(404, "gone", content_type="text/plain")
    http_server.route("/terms", Reply(body=A), missing, missing, missing, Reply(body=A))
    for _ in range(5):
        tosmon(config, "check", "--json")
    digest = " ".join(tosmon(config, "digest", "--dry-run").split())
    assert "Tracking interruptions and flip-flops" in digest
    assert "Acme Terms: tracking was broken from " in digest
    assert "(3 failed checks; http)" in digest
    assert "Documents that are failing" not in digest


def test_an_existing_database_upgrades_in_place_keeping_its_history(tmp_path: Path) -> None:
    """A database created at the first schema, with a version and a change, upgrades to the
    current one: the rows stay, old changes are no reverts, and episodes can be stored."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "insert into documents (id, provider, slug, url, created_at) "
            "values (1, 'acme', 'terms', 'https://acme.test/terms', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "insert into snapshots (sha256, document_id, codec, depth, content, size, created_at)"
            " values ('s', 1, 'zstd', 0, x'00', 1, '2026-01-01 00:00:00')"
        )
        for vid in (1, 2):
            conn.exec_driver_sql(
                "insert into versions (id, document_id, captured_at, text, text_sha256, "
                "snapshot_sha256, origin, created_at) values "
                f"({vid}, 1, '2026-01-0{vid} 00:00:00', ?, 'h{vid}', 's', 'live', "
                "'2026-01-01 00:00:00')",
                (zstandard.ZstdCompressor().compress(f"Terms, version {vid}.".encode()),),
            )
        conn.exec_driver_sql(
            "insert into changes (id, document_id, from_version_id, to_version_id, captured_at,"
            " kind, summary, origin, alert, created_at) values (1, 1, 1, 2, "
            "'2026-01-02 00:00:00', 'substantive', ?, 'live', 'queued', '2026-01-02 00:00:00')",
            (zstandard.ZstdCompressor().compress(b'{"kind": "substantive"}'),),
        )
    engine.dispose()
    sessions = open_database(url)
    with sessions.begin() as s:
        [change] = s.scalars(select(Change))
        assert (change.kind, change.alert, change.reverts_to_id) == ("substantive", "queued", None)
        s.add(
            Episode(
                document_id=1,
                kind="outage",
                started_at=datetime.now(UTC),
                last_at=datetime.now(UTC),
                count=1,
                texts=0,
                open_alert="none",
                close_alert="none",
            )
        )
    with sessions() as s:
        assert len(list(s.scalars(select(Episode)))) == 1
    sessions.kw["bind"].dispose()


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("revert_window = 0", "`revert_window`"),
        ("revert_days = -1", "`revert_days`"),
        ('alert_after_failures = "two"', "`alert_after_failures`"),
    ],
)
def test_bad_alert_settings_are_refused_with_the_setting_named(
    tmp_path: Path, http_server: LocalServer, smtp: SmtpServer, line: str, named: str
) -> None:
    """A revert window, revert days or failure threshold out of range stops with exit 2 and
    a message naming the file, the [monitor] table and the setting."""
    config = write_project(tmp_path, http_server, smtp, extra=line)
    result = CliRunner().invoke(main, ["sources", "validate", "--config", str(config)])
    assert result.exit_code == 2
    assert str(config) in result.output and "[monitor]" in result.output and named in result.output


@pytest.mark.parametrize(
    ("delta", "said"),
    [
        (timedelta(seconds=5), "1 min"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=5), "5 h"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3, hours=4, minutes=59), "3 days 4 h"),
    ],
)
def test_a_recovered_notice_says_how_long_tracking_was_broken_in_words(
    delta: timedelta, said: str
) -> None:
    """The "was broken for …" of a recovery reads as people say it, never "0 min"."""
    assert duration(delta) == said
