"""A small history built the real way, for the report tests: pages served by a
Wayback-compatible archive on 127.0.0.1, read by `tosmon backfill` into a real SQLite
database (migrations, extraction, clauses, summaries).

Acme Terms (business tier) has three captures: retention 30 days (2024-01-10), 90 days
(2024-03-05, effective date moved), and a wording change (2024-06-01) adding a sentence
with markup-like page text. Beta Privacy (consumer tier) has one capture, with such text too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from wayback import FakeWayback

from monitor.cli import main

ACME_URL = "https://acme.test/legal/terms"
BETA_URL = "https://beta.test/privacy"
HOSTILE = "<script>alert('PWNED')</script>"


def acme(days: int, effective: str, extra: str = "") -> str:
    return f"""<html><body><main>
<h1>Acme Terms of Service</h1>
<p>Effective date: {effective}</p>
<h2>Use of Customer Content for training</h2>
<p>Acme will not use Customer Content to train or improve its models.</p>
<h2>Data retention</h2>
<p>Acme retains Customer Content for {days} days, after which it is deleted.</p>
<h2>Ownership</h2>
<p>As between the parties, Customer retains all rights in its Inputs and owns all Outputs.</p>
<h2>Changes to these terms</h2>
<p>We will notify you at least 30 days before changes to these terms take effect.</p>
<p>These terms are governed by the laws of Delaware.{extra}</p>
</main></body></html>"""


BETA = f"""<html><body><main>
<h1>Beta Privacy Policy</h1>
<p>Last updated: February 1, 2024</p>
<h2>Retention</h2>
<p>We keep your personal data for 12 months and then delete it.</p>
<p>Contact {escape(HOSTILE)} at privacy@beta.test for questions &amp; requests.</p>
</main></body></html>"""

CAPTURES = {
    ACME_URL: [
        ("20240110000000", acme(30, "January 10, 2024")),
        ("20240305000000", acme(90, "March 5, 2024")),
        (
            "20240601000000",
            acme(90, "March 5, 2024", f" Disputes go to its courts {escape(HOSTILE)}."),
        ),
    ],
    BETA_URL: [("20240201000000", BETA)],
}


def config_text(folder: Path, base: str) -> str:
    return f"""
[monitor]
database = "sqlite:///{folder / "tosmon.db"}"
backoff = 0

[archive]
wayback_url = "{base}"
rate = 1000
retries = 2
timeout = 5

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
name = "Terms of Service"
url = "{ACME_URL}"
select = ["main"]
tier = "business"

[providers.beta]
name = "Beta"

[providers.beta.documents.privacy]
name = "Privacy Policy"
url = "{BETA_URL}"
select = ["main"]
tier = "consumer"
"""


@dataclass(frozen=True)
class Built:
    config: Path
    archive_base: str
    pages: dict[str, list[tuple[str, str]]]


def run(config: Path, *args: str, ok: bool = True, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(
        main, [*args, "--config", str(config)], catch_exceptions=False, env=env
    )
    if ok:
        assert result.exit_code == 0, result.output
    return result


def run_json(config: Path, *args: str) -> Any:
    return json.loads(run(config, *args).stdout)


def build(folder: Path, archive: FakeWayback) -> Built:
    """Serve every capture, write sources.toml, backfill; the archive may stop afterwards."""
    for url, captures in CAPTURES.items():
        for timestamp, html in captures:
            archive.add(url, timestamp, html)
    config = folder / "sources.toml"
    config.write_text(config_text(folder, archive.base), encoding="utf-8")
    run(config, "backfill")
    return Built(config, archive.base, CAPTURES)
