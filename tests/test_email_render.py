"""Rendering alerts and digests: escaping of hostile page text, subjects, and a look in a
real (headless) browser."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from smtp import SmtpServer, add_change, body_of, summary, write_config

from monitor.config import load_config
from monitor.db import open_database
from monitor.digest_view import render_digest
from monitor.notify import notify_after_check
from monitor.render import (
    ChangeItem,
    DigestData,
    Failure,
    alert_subject,
    render_alert,
)

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
HOSTILE_SCRIPT = "<script>document.body.innerHTML='PWNED'</script>"
HOSTILE_LINK = "<a href=javascript:alert(1)>click here</a>"


def item(data: dict[str, Any], provider: str = "OpenAI", origin: str = "live") -> ChangeItem:
    return ChangeItem(
        provider_id=provider.lower(),
        provider=provider,
        document="Services Agreement" if provider == "OpenAI" else "Privacy Policy",
        tier="api",
        url=f"https://{provider.lower()}.test/policies/terms",
        captured_at=NOW,
        origin=origin,
        severity=data["severity"],
        summary=data,
        document_id="terms" if provider == "OpenAI" else "privacy",
        version=7,
    )


def hostile() -> dict[str, Any]:
    data = summary(
        ["training", "retention\r\nBcc: victim@example.test"],
        text="Training changed\r\nBcc: victim@example.test\x00 \u202eevil",
        added=[HOSTILE_SCRIPT, HOSTILE_LINK, "<img src=x onerror=alert(1)>"],
        removed=["We never train on your data.\nX-Injected: yes"],
    )
    data["facts"].append(
        {"clause": "retention", "fact": "duration", "before": "30 days", "after": "<b>forever</b>"}
    )
    return data


def realistic() -> list[ChangeItem]:
    training = summary(
        text="Training clause: stance changed from 'not used' to 'used'; 1 sentence modified.",
        added=["You may opt out of training at any time in your account settings."],
        removed=["We will notify you 30 days before any change to these terms."],
    )
    retention = summary(["retention"], "medium", "Retention clause: 30 days → 90 days.")
    retention["facts"] = [
        {"clause": "retention", "fact": "duration", "before": "30 days", "after": "90 days"}
    ]
    return [item(training), item(retention, "Anthropic")]


def test_page_text_is_escaped_in_html_and_one_line_in_text() -> None:
    """A page containing <script>, a javascript: link, an onerror image, CR/LF, NUL and a
    bidi override shows as inert text: escaped in HTML, single-line in plain text."""
    message = render_alert([item(hostile())])
    html, text = message.html, message.text
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert 'href="javascript' not in html.lower() and "<a href=javascript" not in html.lower()
    assert "&lt;script&gt;document.body.innerHTML=&#39;PWNED&#39;&lt;/script&gt;" in html
    assert "&lt;b&gt;forever&lt;/b&gt;" in html
    assert HOSTILE_SCRIPT in text and HOSTILE_LINK in text
    lines = text.splitlines()
    assert not [ln for ln in lines if ln.startswith(("Bcc:", "X-Injected"))]
    assert "\x00" not in text and "\u202e" not in text and "\r" not in text


def test_subject_never_contains_line_breaks_from_page_content() -> None:
    """Clause keys or summaries with CR/LF cannot break the Subject header."""
    subject = render_alert([item(hostile())]).subject
    assert "\r" not in subject and "\n" not in subject
    assert subject.startswith("[tos-monitor] HIGH: OpenAI Services Agreement — training, ")


def test_hostile_content_delivered_by_smtp_injects_no_header(tmp_path: Path) -> None:
    """Delivered over SMTP, hostile page text adds no header and no recipient."""
    with SmtpServer() as server:
        config = load_config(write_config(tmp_path, server.port))
        sessions = open_database(config.database)
        add_change(sessions, config, "anthropic", "privacy", hostile(), datetime.now(UTC))
        notify_after_check(config, sessions)
    assert [r.rcpt_tos for r in server.received] == [["legal@example.test"]]
    msg = server.received[0].message
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert "<script" not in body_of(msg, "html").lower()


def test_subjects_say_what_matters() -> None:
    """One change names the document and clause; several are counted and listed."""
    one = item(summary())
    assert alert_subject([one]) == (
        "[tos-monitor] HIGH: OpenAI Services Agreement — training clause changed"
    )
    two = item(summary(["retention", "audit"], "medium"), "Anthropic")
    assert alert_subject([two]) == (
        "[tos-monitor] MEDIUM: Anthropic Privacy Policy — retention, audit clauses changed"
    )
    assert alert_subject([one, two, one]) == (
        "[tos-monitor] HIGH: 3 changes — OpenAI Services Agreement (training), "
        "Anthropic Privacy Policy (retention, audit)"
    )
    many = [item(summary([f"clause{n}" * 8])) for n in range(12)]
    long = alert_subject(many)
    assert len(long) <= 160 and long.endswith("…")


def test_long_diffs_are_capped_and_counted() -> None:
    """A rewrite of many sentences shows 12 in all (the modified one first) and folds the
    rest into a count with the command that shows them."""
    data = summary(added=[f"New sentence number {n}." for n in range(30)])
    message = render_alert([item(data)])
    assert "New sentence number 10." in message.text
    assert "New sentence number 11." not in message.text
    assert "and 19 more — see `tosmon diff openai terms --to 7 --words`" in message.text
    assert (
        "and 19 more" in message.html and "tosmon diff openai terms --to 7 --words" in message.html
    )


def positions_summary() -> dict[str, Any]:
    data = summary(text="Training use: not used → opt-out (free services).")
    data["positions"] = [
        {
            "key": "training_use",
            "before": ["not_used"],
            "after": ["opt_out"],
            "scope_before": None,
            "scope_after": ["free services"],
            "evidence_before": ["We do not use your content to train our models."],
            "evidence_after": ["We may use <b>your</b> content to train our models."],
        },
        {
            "key": "effective_date",
            "before": "2025-06-17",
            "after": "2025-10-08",
            "scope_before": None,
            "scope_after": None,
            "evidence_before": [],
            "evidence_after": ["Effective October 8, 2025."],
        },
    ]
    return data


def test_alert_shows_position_changes_with_evidence_before_the_diff() -> None:
    """An alert names each moved position (before → after, with scope) and quotes the
    sentences behind both values, above the sentence diff; page text stays escaped."""
    message = render_alert([item(positions_summary())])
    text = message.text
    line = "  > Training use: not used -> opt-out (free services)"
    assert line in text
    assert '      before: "We do not use your content to train our models."' in text
    assert text.index(line) < text.index("Changes:") < text.index("  ~ We [-do not-]")
    assert "Effective date: 2025-06-17 -> 2025-10-08" in text
    html = message.html
    assert "opt-out (free services)" in html and "&lt;b&gt;your&lt;/b&gt;" in html
    assert html.index("Training use") < html.index('<del style="background:#ffcecb')


def test_subprocessors_added_and_removed_are_named_with_the_positions() -> None:
    """A change that adds and removes subprocessors names them under the position changes,
    before the diff, in both parts; the names are page text and stay escaped."""
    data = positions_summary()
    data["subprocessors"] = {"added": ["Cerebras <Inc>"], "removed": ["Azure"]}
    message = render_alert([item(data)])
    text = message.text
    assert "  > Subprocessors added: Cerebras <Inc>" in text
    assert "  > Subprocessors removed: Azure" in text
    assert text.index("Subprocessors added") < text.index("Changes:")
    assert "Cerebras &lt;Inc&gt;" in message.html


def test_a_sentence_stored_as_removed_and_added_is_not_shown() -> None:
    """A summary stored before the diff paired identical sentences lists a moved sentence
    as removed and added; messages show neither."""
    data = summary(
        added=["We keep logs for 90 days.", "Contact us at any time."],
        removed=["Contact us at any time.", "We keep logs for 30 days."],
    )
    message = render_alert([item(data)])
    assert "Contact us" not in message.text and "Contact us" not in message.html
    assert "  + We keep logs for 90 days." in message.text


def sample_digest() -> DigestData:
    history = summary(["ownership"], "medium", "Ownership clause: outputs now owned by you.")
    return DigestData(
        period_start=NOW - timedelta(days=7),
        period_end=NOW,
        changes=[*realistic(), item(history, origin="archive")],
        cosmetic=2,
        failures=[
            Failure(
                "openai",
                "OpenAI Usage Policies",
                "https://openai.test/usage",
                "collapsed",
                "text collapsed: a bot challenge page",
                NOW - timedelta(days=3),
                3,
            )
        ],
        documents=4,
    )


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    exe = chromium()
    assert exe is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run(
        [exe, *flags, *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_alert_and_digest_render_in_a_headless_browser(tmp_path: Path) -> None:
    """One alert (with hostile page text) and one digest open in headless Chromium: the
    injected script does not run and screenshots at phone width are written to
    test-artifacts/ for a look."""
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {
        "alert": render_alert([*realistic(), item(hostile())]).html,
        "digest": render_digest(sample_digest()).html,
    }
    for name, html in pages.items():
        page = ARTIFACTS / f"{name}.html"
        page.write_text(html, encoding="utf-8")
        dom = browser(["--dump-dom", page.as_uri()], tmp_path / f"{name}-dom")
        assert dom.returncode == 0, dom.stderr
        assert "<h1" in dom.stdout and "PWNED</body>" not in dom.stdout
        shot = ARTIFACTS / f"{name}-420.png"
        shot.unlink(missing_ok=True)
        run = browser(
            [f"--screenshot={shot}", "--window-size=420,900", page.as_uri()],
            tmp_path / f"{name}-shot",
        )
        assert run.returncode == 0, run.stderr
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
