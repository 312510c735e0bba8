"""Noise never alerts, real wording always does: end to end through ``process_capture``
into a real SQLite file, then read back as ``tosmon history --json`` shows it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor import store
from monitor.capture import Attempt, Capture, DocumentReport, process_capture
from monitor.cli import main
from monitor.config import load_config
from monitor.db import SessionFactory
from monitor.db import open_database as open_db
from monitor.models import Change

PAGE = """<!doctype html>
<html><head><title>Terms</title>
<meta name="csrf-token" content="{token}">
<script>window.__BUILD__ = "{token}"; window.__SESSION__ = {{"id": "{token}"}};</script>
<style>.x{{color:red}}</style></head>
<body><nav><a href="/home?utm_source={token}">Home</a></nav>
<main data-build="{token}">
<h1>Terms of Service</h1>
<div class="intro" id="intro"><p>These terms apply to your use of the <b>Services</b>.
See the <a href="/privacy?utm_campaign={token}&amp;sid={token}">privacy policy</a>.</p></div>
<h2>Data retention</h2>
<p>We retain API inputs and outputs for {days} days, then delete them.</p>
<h2>Fees</h2>
<p>You will pay the fees within thirty days of invoice.</p>
<div class="feedback"><p>Was this page helpful? {votes} readers said yes.</p></div>
</main>
<footer>Build {token}</footer></body></html>"""


def page(token: str = "a1b2", days: int = 30, votes: int = 10) -> str:
    return PAGE.format(token=token, days=days, votes=votes)


NOISE: dict[str, Callable[[str], str]] = {
    "rotated tracking parameters in hrefs": lambda html: html.replace(
        "utm_campaign=a1b2&amp;sid=a1b2", "utm_campaign=zz&amp;gclid=9f8e&amp;sid=77"
    ),
    "session and build tokens in scripts and attributes": lambda html: html.replace(
        "a1b2", "c3d4e5"
    ),
    "attribute order": lambda html: html.replace(
        '<div class="intro" id="intro">', '<div id="intro" class="intro">'
    ),
    "whitespace and re-wrapping": lambda html: html.replace(
        "for 30 days, then", "for\n      30   days,\n\tthen"
    ).replace("<h2>Fees</h2>", "\n\n   <h2>\n Fees </h2>\n"),
    "bold becomes strong": lambda html: html.replace(
        "<b>Services</b>", "<strong>Services</strong>"
    ),
    "div becomes section": lambda html: re.sub(
        r'<div( [^>]*id="intro"[^>]*)>(.*?)</div>', r"<section\1>\2</section>", html, flags=re.S
    ),
    "span wrappers and emphasis": lambda html: html.replace(
        "pay the fees", '<span class="t"><em>pay</em> the <i>fees</i></span>'
    ),
    "NBSP and zero-width characters": lambda html: (
        html.replace("30 days", "30&nbsp;days")
        .replace("retain", "re\u200btain")
        .replace("Fees</h2>", "Fees\ufeff</h2>")
    ),
    "punctuation and letter case": lambda html: html.replace(
        "then delete them.", "then delete them!"
    ).replace("Terms of Service", "TERMS OF SERVICE"),
}


class Monitor:
    """One watched document with a real SQLite database; captures recorded as live checks."""

    def __init__(self, folder: Path, ignore: tuple[str, ...] = ()) -> None:
        folder.mkdir(exist_ok=True)
        self.config = folder / "sources.toml"
        self.config.write_text(
            "\n".join(
                [
                    "[monitor]",
                    f'database = "sqlite:///{folder / "tos.db"}"',
                    "[providers.acme]",
                    'name = "Acme"',
                    "[providers.acme.documents.terms]",
                    'url = "https://example.com/terms"',
                    'select = ["main"]',
                    f"ignore = {json.dumps(list(ignore))}",
                ]
            )
        )
        cfg = load_config(self.config)
        [self.doc] = cfg.documents()
        self.sessions: SessionFactory = open_db(cfg.database)
        self.at = datetime(2024, 1, 1, tzinfo=UTC)

    def capture(self, html: str) -> DocumentReport:
        self.at += timedelta(days=1)
        with self.sessions.begin() as s:
            capture = Capture(html.encode(), "text/html; charset=utf-8", self.at)
            return process_capture(s, self.doc, capture, Attempt(self.at, "u"))

    def changes(self) -> list[tuple[str, str, str | None]]:
        """(kind, alert, severity) of every stored change, oldest first."""
        with self.sessions() as s:
            rows = s.scalars(select(Change).order_by(Change.captured_at)).all()
            return [(c.kind, c.alert, c.severity) for c in rows]

    def history(self) -> dict[str, Any]:
        args = ["history", "acme", "terms", "--json", "--config", str(self.config)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.output)
        return data

    def close(self) -> None:
        self.sessions.kw["bind"].dispose()


@pytest.fixture
def monitor(tmp_path: Path) -> Iterator[Monitor]:
    m = Monitor(tmp_path)
    yield m
    m.close()


@pytest.mark.parametrize("kind", list(NOISE))
def test_noise_never_alerts(monitor: Monitor, kind: str) -> None:
    """Noise that leaves the visible words alone makes no version, or a cosmetic one that
    is stored but never alerted."""
    assert monitor.capture(page()).outcome == "new_version"
    noisy = NOISE[kind](page())
    assert noisy != page()
    report = monitor.capture(noisy)
    assert report.outcome in ("unchanged", "cosmetic")
    assert report.change is None or report.change["kind"] == "cosmetic"
    assert all(kind == "cosmetic" and alert == "none" for kind, alert, _ in monitor.changes())


def test_all_noise_at_once_never_alerts(monitor: Monitor) -> None:
    """Every kind of noise applied together, capture after capture, still alerts nothing."""
    monitor.capture(page())
    html = page()
    for noise in NOISE.values():
        html = noise(html)
        monitor.capture(html)
    assert all(alert == "none" for _, alert, _ in monitor.changes())
    assert all(kind == "cosmetic" for kind, _, _ in monitor.changes())


def test_pure_noise_makes_no_version(monitor: Monitor) -> None:
    """Tokens, tracking parameters, attribute order and markup swaps add no version at all."""
    monitor.capture(page())
    for kind in (
        "session and build tokens in scripts and attributes",
        "attribute order",
        "bold becomes strong",
        "div becomes section",
        "whitespace and re-wrapping",
    ):
        assert monitor.capture(NOISE[kind](page())).outcome == "unchanged", kind
    assert len(monitor.history()["versions"]) == 1


def test_a_real_word_change_is_substantive_and_pending(monitor: Monitor) -> None:
    """One changed word is a substantive change left pending for the alert emails."""
    monitor.capture(page())
    report = monitor.capture(page().replace("thirty days of invoice", "fifteen days of invoice"))
    assert report.outcome == "new_version"
    assert report.change is not None and report.change["kind"] == "substantive"
    assert monitor.changes() == [("substantive", "pending", "low")]


def test_retention_digit_change_is_high_severity_with_the_fact(monitor: Monitor) -> None:
    """ "30 days" → "90 days" in the retention clause is high severity, and history --json
    carries the retention fact's before and after."""
    monitor.capture(page(days=30))
    monitor.capture(page(token="new", days=90))
    [v1, v2] = monitor.history()["versions"]
    change = v2["change"]
    assert v1["change"] is None
    assert change["kind"] == "substantive" and change["severity"] == "high"
    assert "retention" in change["clauses"]
    assert {"clause": "retention", "fact": "duration", "before": "30 days", "after": "90 days"} in (
        change["facts"]
    )
    assert [m["before"] for m in change["modified"]] == [
        "We retain API inputs and outputs for 30 days, then delete them."
    ]
    assert change["added"] == [] and change["removed"] == []
    assert set(change) >= {
        "kind",
        "severity",
        "clauses",
        "summary",
        "added",
        "removed",
        "modified",
        "facts",
    }
    assert monitor.changes() == [("substantive", "pending", "high")]


def test_ignore_pattern_drops_a_changing_widget(tmp_path: Path) -> None:
    """A feedback widget whose count changes on every visit alerts without an ``ignore``
    pattern, and is dropped from the text with one."""
    plain = Monitor(tmp_path / "plain")
    ignoring = Monitor(tmp_path / "ignoring", (r"^Was this page helpful\?",))
    for m in (plain, ignoring):
        for votes in (10, 11, 250):
            m.capture(page(votes=votes))
    assert [k for k, _, _ in plain.changes()] == ["substantive", "substantive"]
    assert ignoring.changes() == []
    assert len(ignoring.history()["versions"]) == 1
    with ignoring.sessions() as s:
        row = store.find_document(s, "acme", "terms")
        assert row is not None
        text = store.versions(s, row.id)[0].text
    assert "helpful" not in text and "thirty days of invoice" in text
    plain.close()
    ignoring.close()
