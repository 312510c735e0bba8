"""Times and outcomes as a reader and a script see them: every JSON time is ISO 8601 UTC
with `Z` to the second, tables show `2026-12-01 19:13`, outcomes are words, and `--at`
before the history says when it starts. Live checks of a real HTTP server on 127.0.0.1
into a real SQLite file (their capture times have microseconds, unlike an archive's)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from servers import LocalServer, Reply

from monitor.cli import main

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
LOOKS_LIKE_A_TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
SHORT = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b")


def page(days: int, punctuation: str = ".") -> str:
    return (
        "<html><body><main><h1>Terms</h1><h2>Data retention</h2>"
        f"<p>We retain API inputs and outputs for {days} days{punctuation}</p>"
        "<p>We will not use your content to train our models.</p></main></body></html>"
    )


@pytest.fixture
def config(tmp_path: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TOSMON_CONFIG", "TOSMON_DB", "TOSMON_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[monitor]\ndatabase = "sqlite:///{tmp_path / "tos.db"}"\nretries = 0\n\n'
        '[providers.acme]\nname = "Acme"\n\n[providers.acme.documents.terms]\n'
        f'name = "Terms"\nurl = "{http_server.url("/terms")}"\nselect = ["main"]\n'
        f'tier = "api"\n',
        encoding="utf-8",
    )
    return path


def tosmon(config: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, [*args, "--config", str(config)], env={"COLUMNS": "80"})
    assert result.exit_code == code, result.output
    return result


def as_json(config: Path, *args: str) -> Any:
    return json.loads(tosmon(config, *args, "--json").stdout)


def strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from strings(value)


def two_versions(config: Path, server: LocalServer, seconds_apart: bool = False) -> dict[str, Any]:
    server.route("/terms", Reply(body=page(30)))
    tosmon(config, "check", "--no-notify")
    if seconds_apart:  # the second capture in a later second than the first
        time.sleep(1.05 - time.time() % 1)
    server.route("/terms", Reply(body=page(90)))
    report: dict[str, Any] = as_json(config, "check", "--no-notify")
    return report


def test_every_json_time_is_utc_with_z_to_the_second(
    config: Path, http_server: LocalServer
) -> None:
    """check, history, status, clauses, diff and compare --json write each time as
    `2026-12-01T19:13:05Z`: no microseconds, no `+00:00`."""
    report = two_versions(config, http_server)
    outputs = [
        report,
        as_json(config, "history", "acme", "terms"),
        as_json(config, "history", "--clause", "retention"),
        as_json(config, "status"),
        as_json(config, "clauses", "acme", "terms"),
        as_json(config, "diff", "acme", "terms"),
        as_json(config, "compare"),
    ]
    times = [s for out in outputs for s in strings(out) if LOOKS_LIKE_A_TIME.match(s)]
    assert len(times) >= 12
    assert [t for t in times if not ISO_Z.fullmatch(t)] == []
    assert ISO_Z.fullmatch(report["changed"][0]["captured_at"])


def test_tables_show_short_utc_times(config: Path, http_server: LocalServer) -> None:
    """history and clauses print capture times as `YYYY-MM-DD HH:MM`, never ISO."""
    two_versions(config, http_server)
    [_, v2] = as_json(config, "history", "acme", "terms")["versions"]
    shown = v2["captured_at"][:16].replace("T", " ")
    history = tosmon(config, "history", "acme", "terms").stdout
    clauses = tosmon(config, "clauses", "acme", "terms").stdout
    clause_history = tosmon(config, "history", "--clause", "retention").stdout
    for text in (history, clauses, clause_history):
        assert shown in text and "T" + v2["captured_at"][11:16] not in text
        assert not re.search(r"\d\d:\d\d:\d\d", text)
    assert len(SHORT.findall(history)) == 2
    assert f"acme/terms v2 (captured {shown} UTC)" in clauses


def test_at_the_second_json_gives_includes_that_capture(
    config: Path, http_server: LocalServer
) -> None:
    """`--at` with a capture time copied from the JSON (to the second) finds that version,
    though the capture happened a fraction of a second later."""
    two_versions(config, http_server, seconds_apart=True)
    [v1, v2] = as_json(config, "history", "acme", "terms")["versions"]
    assert as_json(config, "clauses", "acme", "terms", "--at", v2["captured_at"])["version"] == 2
    assert as_json(config, "clauses", "acme", "terms", "--at", v1["captured_at"])["version"] == 1


def test_at_before_the_history_says_when_it_starts(config: Path, http_server: LocalServer) -> None:
    """`clauses --at 2022-01-01` and `export --at 2022-01-01` before the first version say
    when the history starts, to the second, and how to get older history."""
    two_versions(config, http_server)
    [v1, _] = as_json(config, "history", "acme", "terms")["versions"]
    for command in ("clauses", "export"):
        result = tosmon(config, command, "acme", "terms", "--at", "2022-01-01", code=1)
        assert "acme/terms has no version at or before 2022-01-01T23:59:59Z" in result.output
        assert f"its history starts with v1, captured {v1['captured_at']}" in result.output
        assert "tosmon backfill" in result.output and "999999" not in result.output


def test_check_outcomes_are_words(config: Path, http_server: LocalServer) -> None:
    """The check table says `new version`, `no change`, `not modified (304)` and
    `cosmetic`; the JSON keeps the machine names."""
    http_server.route("/terms", Reply(body=page(30), etag='"a"'))
    first = tosmon(config, "check", "--no-notify").stdout
    assert "new version" in first and "first version (baseline)" in first
    assert "not modified (304)" in tosmon(config, "check", "--no-notify").stdout
    http_server.route("/terms", Reply(body=page(30)))
    unchanged = tosmon(config, "check", "--no-notify").stdout
    assert "no change" in unchanged and "unchanged" not in unchanged
    http_server.route("/terms", Reply(body=page(30, punctuation="!")))
    cosmetic = tosmon(config, "check", "--no-notify").stdout
    assert "│ cosmetic" in cosmetic and "new_version" not in cosmetic
    http_server.route("/terms", Reply(body=page(60)))
    [changed] = as_json(config, "check", "--no-notify")["changed"]
    assert changed["outcome"] == "new_version"
