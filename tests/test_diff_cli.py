"""`tosmon diff` on real stored versions: clause diffs, the sentence/word view, JSON, and
hostile page text (terminal escapes, rich markup) printed literally and safely."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

import monitor.cli_history as cli_history
from monitor import cli
from monitor.capture import Attempt, Capture, process_capture
from monitor.config import load_config
from monitor.db import open_database

ESC = "\x1b"
PAGE = """<html><body><nav>menu</nav><main>
<h1>Terms</h1>
<h2>Data retention</h2>
<p>We retain API inputs and outputs for {days} days, then delete them.</p>
<h2>Fees</h2>
<p>{fees}</p>
<p>Contact \x1b[31mlegal\x1b[0m at [red]x[/red]{contact} for questions.</p>
</main></body></html>"""
VERSIONS = (
    {"days": 30, "fees": "Fees are due within thirty days. We may update fees.", "contact": ""},
    {
        "days": 90,
        "fees": "Fees are due within sixty days. Late fees apply.",
        "contact": " or [bold]y[/bold]",
    },
    {
        "days": 90,
        "fees": "Fees are due within sixty days. Late fees apply!",
        "contact": " or [bold]y[/bold] by mail",
    },
)


def record(config: Path, pages: list[str]) -> None:
    """Each page recorded as a live check one day after the previous one."""
    cfg = load_config(config)
    [doc] = cfg.documents()
    sessions = open_database(cfg.database)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for day, html in enumerate(pages):
        at = start + timedelta(days=day)
        with sessions.begin() as s:
            process_capture(s, doc, Capture(html.encode(), "text/html", at), Attempt(at, doc.url))
    sessions.kw["bind"].dispose()


def write_config(folder: Path) -> Path:
    config = folder / "sources.toml"
    config.write_text(f"""
[monitor]
database = "sqlite:///{folder / "tos.db"}"

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
name = "Terms"
url = "https://example.com/terms"
select = ["main"]
""")
    return config


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sources.toml with one document whose three versions are stored (read-only)."""
    config = write_config(tmp_path_factory.mktemp("diff"))
    record(config, [PAGE.format(**v) for v in VERSIONS])
    return config


def tosmon(project: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli.main, [*args, "--config", str(project)])
    assert result.exit_code == code, result.output
    return result.output


def diff_json(project: Path, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(tosmon(project, "diff", "acme", "terms", "--json", *args))
    return data


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output as on a colour terminal: styles become escape sequences."""
    monkeypatch.setattr(cli_history, "is_terminal", lambda: True)
    monkeypatch.setattr(
        cli_history,
        "console",
        lambda stderr=False: Console(
            file=sys.stdout, force_terminal=True, color_system="standard", highlight=False
        ),
    )


def test_clause_option_diffs_only_that_clause(project: Path) -> None:
    """`--clause retention` shows the retention clause's lines, nothing outside it."""
    out = tosmon(project, "diff", "acme", "terms", "--from", "1", "--to", "2", "-c", "retention")
    assert "--- v1 retention 2024-01-01 00:00" in out
    assert "-We retain API inputs and outputs for 30 days, then delete them." in out
    assert "+We retain API inputs and outputs for 90 days, then delete them." in out
    assert "Fees" not in out


def test_clause_unchanged_between_versions_says_so(project: Path) -> None:
    """A clause whose text is the same in both versions is reported as unchanged."""
    out = tosmon(project, "diff", "acme", "terms", "--clause", "retention")
    assert out.strip() == "The two versions have the same retention clause text."


def test_clause_absent_from_both_versions_says_so(project: Path) -> None:
    """A known clause neither version addresses is named as such, not shown as empty."""
    out = tosmon(project, "diff", "acme", "terms", "--clause", "audit")
    assert out.strip() == "Neither version addresses the audit clause."


def test_unknown_clause_is_a_usage_error(project: Path) -> None:
    """An unknown clause key exits 2 and lists the known keys."""
    out = tosmon(project, "diff", "acme", "terms", "--clause", "nonsense", code=2)
    assert "unknown clause 'nonsense'" in out and "retention" in out


def test_words_view_lists_sentences_with_word_changes(project: Path) -> None:
    """`--words` lists removed and added sentences and marks the changed words of modified
    ones (plain markers when not on a terminal)."""
    out = tosmon(project, "diff", "acme", "terms", "--words", "--from", "1", "--to", "2")
    lines = out.splitlines()
    assert lines[0] == "acme/terms: v1 → v2"
    assert "- We may update fees." in lines
    assert "+ Late fees apply." in lines
    assert "~ We retain API inputs and outputs for [-30-] {+90+} days, then delete them." in lines
    assert "~ Fees are due within [-thirty-] {+sixty+} days." in lines


def test_words_view_of_one_clause(project: Path) -> None:
    """`--words --clause KEY` shows only that clause's sentences."""
    out = tosmon(project, "diff", "acme", "terms", "-w", "-c", "retention", "--from", "1")
    assert out.splitlines() == [
        "acme/terms retention clause: v1 → v3",
        "~ We retain API inputs and outputs for [-30-] {+90+} days, then delete them.",
    ]


def test_words_view_styles_changed_words_on_a_terminal(project: Path, terminal: None) -> None:
    """On a terminal, inserted and deleted words are styled, not bracketed."""
    out = tosmon(project, "diff", "acme", "terms", "--words", "--from", "1", "--to", "2")
    assert "{+90+}" not in out and "[-30-]" not in out
    assert f"{ESC}[1;4;32m90{ESC}[0m" in out
    assert f"{ESC}[9;31m30{ESC}[0m" in out


def test_json_is_the_change_summary_of_the_two_versions(project: Path) -> None:
    """`--json` gives history's change object (kind, severity, clauses, summary, sentences,
    facts) for the versions compared, with the retention fact's before and after."""
    data = diff_json(project, "--from", "1", "--to", "2")
    assert data["from"]["version"] == 1 and data["to"]["version"] == 2
    assert data["kind"] == "substantive" and data["severity"] == "high"
    assert "retention" in data["clauses"]
    assert {"clause": "retention", "fact": "duration", "before": "30 days", "after": "90 days"} in (
        data["facts"]
    )
    assert "Late fees apply." in data["added"] and "We may update fees." in data["removed"]
    assert data["clause"] is None and data["diff"].startswith("--- v1 2024-01-01 00:00")


def test_json_with_clause_carries_its_texts_and_diff(project: Path) -> None:
    """`--json --clause KEY` adds that clause's texts and its sentence and line diffs."""
    clause = diff_json(project, "--from", "1", "-c", "retention")["clause"]
    assert clause["key"] == "retention"
    assert "30 days" in clause["before"] and "90 days" in clause["after"]
    assert [m["ops"] for m in clause["modified"]] == [
        [
            ["equal", "We retain API inputs and outputs for"],
            ["delete", "30"],
            ["insert", "90"],
            ["equal", "days, then delete them."],
        ]
    ]
    assert clause["added"] == [] and clause["removed"] == []
    assert "+We retain API inputs and outputs for 90 days" in clause["diff"]


def test_identical_versions_in_json(project: Path) -> None:
    """A version compared with itself has no kind and no sentences; by default the last two
    versions are compared."""
    same = diff_json(project, "--from", "2", "--to", "2")
    assert same["kind"] is None and same["added"] == [] and same["diff"] == ""
    latest = diff_json(project)
    assert (latest["from"]["version"], latest["to"]["version"]) == (2, 3)
    assert latest["added"] == [] and len(latest["modified"]) == 1


def test_version_out_of_range_is_an_error(project: Path) -> None:
    """A version number that does not exist exits 1 naming the versions there are."""
    out = tosmon(project, "diff", "acme", "terms", "--from", "1", "--to", "9", code=1)
    assert "has versions 1..3, not 9" in out


def test_single_version_has_nothing_to_diff(tmp_path: Path) -> None:
    """With only one stored version, `diff` says there is nothing to compare (exit 1)."""
    config = write_config(tmp_path)
    record(config, [PAGE.format(**VERSIONS[0])])
    out = tosmon(config, "diff", "acme", "terms", "--words", code=1)
    assert "has only one version: nothing to diff" in out


@pytest.mark.parametrize("args", [(), ("--words",)])
def test_hostile_page_text_is_printed_literally(
    project: Path, terminal: None, args: tuple[str, ...]
) -> None:
    """Terminal escapes in page text are stripped and rich markup is shown as typed, in every
    view on a colour terminal."""
    out = tosmon(project, "diff", "acme", "terms", "--from", "1", "--to", "3", *args)
    assert f"{ESC}[31mlegal" not in out and f"legal{ESC}[0m" not in out
    assert "[red]x[/red]" in out and "[bold]y[/bold]" in out
    assert "Contact [31mlegal[0m" in out  # the visible remainder of the escape, inert


def test_hostile_page_text_without_a_terminal(project: Path) -> None:
    """Piped output carries no escape character at all, and markup stays literal."""
    for args in ((), ("--words",)):
        out = tosmon(project, "diff", "acme", "terms", "--from", "1", *args)
        assert ESC not in out and "[red]x[/red]" in out
