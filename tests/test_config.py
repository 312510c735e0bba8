"""sources.toml validation: one clear message naming file, line, document and the fix; exit 2."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from procs import run

from monitor.cli import main
from monitor.config import load_config
from monitor.errors import ConfigError

GOOD = """
[monitor]
database = "sqlite:///data/tos.db"
user_agent = "test-agent/1.0"

[archive]
wayback_url = "http://127.0.0.1:9/"

[providers.anthropic]
name = "Anthropic"

[providers.anthropic.documents.commercial-terms]
name = "Commercial Terms"
url = "https://www.anthropic.com/legal/commercial-terms"
select = ["main"]
remove = ["nav", "footer"]
tier = "business"

[providers.anthropic.documents.commercial-terms.clauses]
training = { heading = "(?i)use of customer content" }
audit = { select = ["#audit"] }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_gives_typed_documents(tmp_path: Path) -> None:
    """Provider and document ids are the TOML keys; options come back typed."""
    (tmp_path / "data").mkdir()
    config = load_config(write(tmp_path, GOOD))
    [doc] = config.documents()
    assert doc.key == "anthropic/commercial-terms"
    assert doc.title == "Anthropic Commercial Terms"
    assert doc.select == ("main",) and doc.remove == ("nav", "footer")
    assert doc.tier == "business"
    assert {r.key: (r.select, r.heading) for r in doc.clauses} == {
        "training": ((), "(?i)use of customer content"),
        "audit": (("#audit",), None),
    }
    assert config.fetch.user_agent == "test-agent/1.0"
    assert config.archive.wayback_url == "http://127.0.0.1:9"


def test_a_relative_sqlite_path_resolves_next_to_the_file(tmp_path: Path) -> None:
    """database = "sqlite:///data/tos.db" means data/tos.db beside sources.toml, not the cwd."""
    config = load_config(write(tmp_path, GOOD))
    assert config.database == f"sqlite:///{(tmp_path / 'data' / 'tos.db').resolve()}"


def test_db_override_wins(tmp_path: Path) -> None:
    """--db / TOSMON_DB replaces [monitor].database."""
    config = load_config(write(tmp_path, GOOD), database="sqlite:////tmp/other.db")
    assert config.database == "sqlite:////tmp/other.db"


BAD_CASES = {
    "toml syntax": (
        GOOD.replace('name = "Anthropic"', 'name = "Anthropic'),
        ["invalid TOML", "line 10"],
    ),
    "unknown key": (
        GOOD.replace('tier = "business"', 'tier = "business"\nselekt = ["x"]'),
        ["providers.anthropic.documents.commercial-terms", "unknown key 'selekt'", "allowed keys"],
    ),
    "missing url": (
        GOOD.replace('url = "https://www.anthropic.com/legal/commercial-terms"\n', ""),
        ["providers.anthropic.documents.commercial-terms", "`url` is missing"],
    ),
    "missing select": (
        GOOD.replace('select = ["main"]\n', ""),
        ["providers.anthropic.documents.commercial-terms", "`select` is missing"],
    ),
    "invalid css": (
        GOOD.replace('select = ["main"]', 'select = ["main >> ["]'),
        ["commercial-terms", "invalid CSS selector 'main >> ['"],
    ),
    "non-http url": (
        GOOD.replace("https://www.anthropic.com/legal/commercial-terms", "file:///etc/passwd"),
        ["commercial-terms", "must be an http(s) URL", "file:///etc/passwd"],
    ),
    "same url twice": (
        GOOD + '\n[providers.anthropic.documents.copy]\nurl = "https://www.anthropic.com/legal/'
        'commercial-terms"\nselect = ["main"]\n',
        ["providers.anthropic.documents.copy", "already watched by anthropic/commercial-terms"],
    ),
    "bad tier": (
        GOOD.replace('tier = "business"', 'tier = "enterprise"'),
        ["`tier` must be one of consumer, business, api"],
    ),
    "bad document schedule": (
        GOOD.replace('tier = "business"', 'tier = "business"\nschedule = "61 * * * *"'),
        ["providers.anthropic.documents.commercial-terms", "`schedule`", "not a valid cron"],
    ),
    "bad clause regex": (
        GOOD.replace("(?i)use of customer content", "(unclosed"),
        ["commercial-terms.clauses.training", "invalid regular expression"],
    ),
    "unknown archive kind": (
        GOOD.replace("[archive]\n", '[archive]\nkind = "heritrix"\n'),
        ["[archive]", "`kind` must be one of wayback, pywb, got 'heritrix'"],
    ),
    "capture template without timestamp": (
        GOOD.replace("[archive]\n", '[archive]\ncapture_url = "http://h/{url}"\n'),
        ["[archive]", "`capture_url` lacks the {timestamp} placeholder"],
    ),
    "cdx template with an unknown placeholder": (
        GOOD.replace("[archive]\n", '[archive]\ncdx_url = "http://h/{coll}/cdx"\n'),
        ["[archive]", "`cdx_url` has an unknown placeholder {coll}; allowed: {url}"],
    ),
    "unbalanced template": (
        GOOD.replace("[archive]\n", '[archive]\ncapture_url = "http://h/{timestamp/{url}"\n'),
        ["[archive]", "`capture_url` is not a valid template"],
    ),
    "unknown clause key": (
        GOOD.replace("audit = {", "auditing = {"),
        ["commercial-terms.clauses", "unknown key 'auditing'", "training"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_config_names_file_document_and_fix(tmp_path: Path, case: str) -> None:
    """Each kind of mistake gives one message with the file, the document and what is allowed."""
    text, expected = BAD_CASES[case]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message


def test_semantic_errors_point_at_the_table_line(tmp_path: Path) -> None:
    """The message carries the line of the offending document's table header."""
    text = GOOD.replace('select = ["main"]\n', "")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    line = text.splitlines().index("[providers.anthropic.documents.commercial-terms]") + 1
    assert f"sources.toml:{line}:" in str(info.value)


def test_sources_validate_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    """`tosmon sources validate` on a bad file exits 2 with the message; no database appears."""
    (tmp_path / "data").mkdir()
    path = write(tmp_path, GOOD.replace('select = ["main"]\n', ""))
    result = CliRunner().invoke(main, ["sources", "validate", "--config", str(path)])
    assert result.exit_code == 2
    assert "`select` is missing" in result.output
    assert not (tmp_path / "data" / "tos.db").exists()


def test_check_with_bad_config_exits_2_and_keeps_the_database(tmp_path: Path) -> None:
    """A broken sources.toml never touches what is already stored."""
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "tos.db"
    sqlite3.connect(db).execute("create table keep (x)").connection.commit()
    before = db.read_bytes()
    path = write(tmp_path, GOOD.replace("https://www.anthropic", "ftp://www.anthropic"))
    result = CliRunner().invoke(main, ["check", "--config", str(path)])
    assert result.exit_code == 2
    assert "must be an http(s) URL" in result.output
    assert db.read_bytes() == before


def test_sources_validate_accepts_a_good_file(tmp_path: Path) -> None:
    """A valid file is reported OK with its counts."""
    path = write(tmp_path, GOOD)
    result = CliRunner().invoke(main, ["sources", "validate", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "OK (1 documents, 1 providers)" in result.output


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    """No sources.toml: the message says how to point at one."""
    result = CliRunner().invoke(main, ["check", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "file not found" in result.output and "TOSMON_CONFIG" in result.output


MANY_FAULTS = """
[monitor]
database = "sqlite:///tos.db"
timeout = -5
colour = "blue"

[schedule]
check = "not a cron"

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
url = "ftp://acme.example/terms"
select = ["main", "div[["]
tier = "gold"

[providers.acme.documents.privacy]
select = ["main"]
ignore = ["(unclosed"]

[providers.acme.documents.dpa]
url = "https://acme.example/dpa"
select = ["main"]

[providers.acme.documents.dpa.clauses]
audit = { select = ["#audit"], heading = "Audit" }
"""


def test_validate_lists_every_problem_of_the_file_at_once(tmp_path: Path) -> None:
    """`tosmon sources validate` (a real process) names every fault of the file in one run,
    in the order of the file, each with its line and what to fix, and exits 2; once one is
    fixed, the others are still listed."""
    path = write(tmp_path, MANY_FAULTS)
    result = run("sources", "validate", config=path)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"  {path}:")]
    starts = [
        "[monitor]: unknown key 'colour'; allowed keys: alert_after_failures, ",
        "[monitor]: `timeout` must be a number from 0.1 to 3_600, got -5",
        "[schedule]: `check`: 'not a cron' is not a cron expression",
        "[providers.acme.documents.terms]: `url` must be an http(s) URL, "
        "got 'ftp://acme.example/terms'",
        "[providers.acme.documents.terms]: `tier` must be one of consumer, business, api, "
        "got 'gold'",
        "[providers.acme.documents.terms]: `select` has an invalid CSS selector 'div[['",
        "[providers.acme.documents.privacy]: `url` is missing",
        "[providers.acme.documents.privacy]: `ignore` has an invalid regular expression "
        "'(unclosed'",
        "[providers.acme.documents.dpa.clauses.audit]: give either `select` or `heading`, not both",
    ]
    at = [2, 2, 7, 13, 13, 13, 18, 18, 26]
    assert result.stderr.startswith(f"Error: {path}: {len(starts)} problems to fix:\n")
    assert len(lines) == len(starts), result.stderr
    for line, start, number in zip(lines, starts, at, strict=True):
        assert line.startswith(f"  {path}:{number}: {start}"), line

    path.write_text(MANY_FAULTS.replace("timeout = -5\n", ""), encoding="utf-8")
    again = run("sources", "validate", config=path)
    assert again.returncode == 2
    assert f"{len(starts) - 1} problems to fix" in again.stderr
    assert "`timeout`" not in again.stderr and "`url` is missing" in again.stderr


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com/terms",
        "https://Example.COM:8443/a?b#c",
        "http://127.0.0.1:8080/terms",
        "http://256.1.1.1/",
        "http://01.2.3.4/",
        "http://1-2-3-4/",
        "http://xn--mller-kva.de/",
        "http://xn--zzzz.de/",
        "http://legal.xn--zzzz.example/",
        "http://müller.de/",
        "http://user@example.com/",
        "https://example.com/" + "a" * 70_000,
    ],
)
def test_a_url_is_refused_exactly_when_the_http_client_would_fail_on_it(url: str) -> None:
    """Plain host names and IPv4 addresses are judged without loading httpx; the verdict
    is httpx's own on every kind of host."""
    import httpx

    from monitor.urls import url_problem

    try:
        _ = httpx.URL(url).host
        accepted = True
    except (httpx.InvalidURL, ValueError):
        accepted = False
    assert (url_problem(url) is None) == accepted
