"""The command line as a user types it: global options before or after the command,
repeatable -p/-d, and unknown ids answered with what is configured (exit 2).

A real HTTP server on 127.0.0.1 serves the pages, a real SQLite file stores them."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from servers import LocalServer, Reply

from monitor.cli import main

DOCS = {("acme", "terms"), ("acme", "privacy"), ("beta", "terms"), ("gamma", "dpa")}


def page(title: str) -> str:
    return (
        f"<html><body><main><h1>{title}</h1><p>The {title} apply to you.</p></main></body></html>"
    )


def write_config(path: Path, server: LocalServer, db: Path, email: str = "") -> Path:
    parts = [f'[monitor]\ndatabase = "sqlite:///{db}"\ntimeout = 2\nretries = 0\n{email}']
    for provider in sorted({p for p, _ in DOCS}):
        parts.append(f'[providers.{provider}]\nname = "{provider.title()}"\n')
        for p, d in sorted(DOCS):
            if p == provider:
                server.route(f"/{p}/{d}", Reply(body=page(f"{p} {d}")))
                parts.append(
                    f'[providers.{p}.documents.{d}]\nname = "{d}"\n'
                    f'url = "{server.url(f"/{p}/{d}")}"\nselect = ["main"]\n'
                )
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TOSMON_CONFIG", "TOSMON_DB", "TOSMON_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # a stray ./sources.toml would be the default
    return write_config(tmp_path / "sources.toml", http_server, tmp_path / "tos.db")


def DB(config: Path) -> Path:  # noqa: N802 - the database file next to the test's config
    return config.parent / "tos.db"


def tosmon(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def checked(result: Result, db: Path) -> set[tuple[str, str]]:
    """The documents a successful `check --json` checked (all stored in ``db``)."""
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["errors"] == []
    found = stored(db)
    assert report["checked"] == len(found)
    return found


def stored(db: Path) -> set[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return set(conn.execute("SELECT provider, slug FROM documents").fetchall())


def test_global_options_work_before_the_subcommand(config: Path, tmp_path: Path) -> None:
    """`tosmon --config X --db Y check` reads X and writes Y, as `check --config X --db Y`."""
    other = tmp_path / "other.db"
    result = tosmon("--config", str(config), "--db", f"sqlite:///{other}", "check", "--json")
    assert checked(result, other) == DOCS and not (tmp_path / "tos.db").exists()
    again = tosmon("check", "--json", "--config", str(config), "--no-notify")
    assert checked(again, tmp_path / "tos.db") == DOCS


def test_an_option_after_the_subcommand_wins(config: Path, tmp_path: Path) -> None:
    """Given on both sides, the option after the subcommand is the one used."""
    missing = tmp_path / "missing.toml"
    result = tosmon("--config", str(missing), "sources", "validate", "--config", str(config))
    assert result.exit_code == 0 and f"{config}: OK (4 documents, 3 providers)" in result.output
    result = tosmon("--config", str(config), "sources", "validate", "--config", str(missing))
    assert result.exit_code == 2 and str(missing) in result.output


def test_log_level_before_or_after_the_subcommand(
    tmp_path: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plaintext-password warning of loading the file shows by default and is silenced
    by `--log-level ERROR` on either side of the subcommand."""
    monkeypatch.delenv("TOSMON_LOG_LEVEL", raising=False)
    email = (
        '[email]\nsmtp_host = "smtp.example.org"\nsecurity = "none"\nusername = "u"\n'
        'from = "a@example.org"\nto = ["b@example.org"]\n'
    )
    path = write_config(tmp_path / "sources.toml", http_server, tmp_path / "t.db", email)
    default = tosmon("sources", "validate", "--config", str(path))
    assert default.exit_code == 0 and "sends the SMTP password unencrypted" in default.stderr
    for args in (
        ["--log-level", "ERROR", "sources", "validate", "--config", str(path)],
        ["sources", "validate", "--config", str(path), "--log-level", "ERROR"],
    ):
        quiet = tosmon(*args)
        assert quiet.exit_code == 0 and "unencrypted" not in quiet.stderr, args


def test_repeated_provider_options_select_every_given_provider(config: Path) -> None:
    """`check -p acme -p gamma` checks the documents of both providers, not only the last;
    `reextract -p acme -p beta` re-reads both providers' histories."""
    result = tosmon("check", "-p", "acme", "-p", "gamma", "--json", "--config", str(config))
    assert checked(result, DB(config)) == {("acme", "terms"), ("acme", "privacy"), ("gamma", "dpa")}
    reread = tosmon("reextract", "-p", "acme", "-p", "gamma", "--json", "--config", str(config))
    assert reread.exit_code == 0, reread.output
    assert {(d["provider"], d["document"]) for d in json.loads(reread.stdout)["documents"]} == {
        ("acme", "terms"),
        ("acme", "privacy"),
        ("gamma", "dpa"),
    }


def test_repeated_document_options_select_every_matching_document(config: Path) -> None:
    """`-d terms -d dpa` selects every document with either id, of any provider;
    `-p acme -d privacy` just that one."""
    result = tosmon("check", "-d", "terms", "-d", "dpa", "--json", "--config", str(config))
    assert checked(result, DB(config)) == {("acme", "terms"), ("beta", "terms"), ("gamma", "dpa")}
    one = tosmon("check", "-p", "acme", "-d", "privacy", "--json", "--config", str(config))
    assert one.exit_code == 0 and json.loads(one.stdout)["checked"] == 1
    assert ("acme", "privacy") in stored(DB(config)) and ("beta", "privacy") not in DOCS


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["check", "-p", "acme", "-p", "acmee"], ["no provider 'acmee'", "Did you mean 'acme'?"]),
        (["backfill", "-d", "term"], ["no document 'term'", "Did you mean 'terms'?"]),
        (["reextract", "-p", "beta", "-d", "privacy"], ["no document 'privacy' of beta"]),
        (["diff", "acme", "nope"], ["no document 'nope' of acme.", "Configured: privacy, terms"]),
        (["history", "acme", "privcy"], ["Did you mean 'privacy'?"]),
        (["show", "gama", "dpa"], ["no provider 'gama'", "Did you mean 'gamma'?"]),
        (["clauses", "beta", "dpa"], ["no document 'dpa' of beta", "Configured: terms"]),
        (["export", "zeta", "terms"], ["no provider 'zeta'", "Configured: acme, beta, gamma"]),
        (["compare", "-p", "bta"], ["Did you mean 'beta'?"]),
    ],
)
def test_unknown_ids_exit_2_listing_the_configured_ones(
    config: Path, args: list[str], wanted: list[str]
) -> None:
    """An id sources.toml does not configure is a usage error (exit 2) that lists the
    configured ids and suggests the closest, before anything is fetched or read."""
    result = tosmon(*args, "--config", str(config))
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {config}: ")
    for text in wanted:
        assert text in result.output
    assert not (config.parent / "tos.db").exists()
