"""Start-up loads only what a command uses: `tosmon --version` and `--help` load click
and nothing else of weight; `tosmon status` on a current database loads neither the
check pipeline (parsers, HTTP client code of the fetcher) nor alembic, SMTP or Jinja2.
Each runs in a fresh interpreter against a real sources.toml and SQLite file; what it
imported is read from ``sys.modules`` at exit (no timing assertions: see bench/run.py)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from procs import page
from servers import LocalServer, Reply

PROBE = """
import atexit, json, sys
atexit.register(lambda: sys.__stderr__.write(json.dumps(sorted(sys.modules))))
from monitor.cli import main
main(sys.argv[1:])
"""


def loaded(cwd: Path, *args: str) -> set[str]:
    """The modules a `tosmon ARGS` process imported, and their top-level packages."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    modules = json.loads(proc.stderr[proc.stderr.rindex("[") :])
    return set(modules) | {m.split(".")[0] for m in modules}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "sources.toml").write_text(
        '[monitor]\ndatabase = "sqlite:///tos.db"\n\n[providers.acme]\nname = "Acme"\n\n'
        '[providers.acme.documents.terms]\nurl = "https://acme.example/terms"\n'
        'select = ["main"]\n',
        encoding="utf-8",
    )
    return tmp_path


HEAVY = {"sqlalchemy", "alembic", "rich", "httpx", "bs4", "lxml", "apscheduler", "jinja2"}


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_load_none_of_the_heavy_libraries(project: Path, args: list[str]) -> None:
    """`--version` and help screens import click and tos-monitor's command table only."""
    found = loaded(project, *args)
    assert "click" in found and "monitor.cli" in found
    assert found & HEAVY == set()
    assert "monitor.pipeline" not in found and "monitor.config" not in found


def test_status_loads_no_pipeline_parser_smtp_or_migrations(project: Path) -> None:
    """`status` on an up-to-date SQLite file reads it with the standard sqlite3 module:
    neither SQLAlchemy nor the check pipeline (extraction, fetching), APScheduler (next
    runs are computed by monitor.cron), SMTP, Jinja2 or alembic. (Validating sources.toml's
    selectors loads soupsieve, which loads BeautifulSoup.)"""
    loaded(project, "db", "upgrade")  # the database exists and is current
    found = loaded(project, "status", "--json")
    assert {"sqlite3", "monitor.status"} <= found
    assert found & {"sqlalchemy", "alembic", "jinja2", "smtplib"} == set()
    unused = {"monitor.pipeline", "monitor.extract", "monitor.fetch", "monitor.notify"}
    unused |= {"monitor.digest", "monitor.backfill", "monitor.models"}
    assert found & unused == set()
    assert not {name for name in found if name.split(".")[0] == "apscheduler"}


def test_status_with_remembered_selectors_loads_no_selector_engine_or_http_client(
    project: Path,
) -> None:
    """Once sources.toml's selectors were compiled (config_cache.py), `status` loads
    neither soupsieve nor BeautifulSoup, and checking plain host names needs no httpx."""
    loaded(project, "db", "upgrade")
    loaded(project, "sources", "validate")  # compiles the selectors, remembers them
    found = loaded(project, "status", "--json")
    assert found & {"soupsieve", "bs4", "lxml", "httpx", "monitor.runtime"} == set()


STAGES = {"monitor.extract", "monitor.clauses", "monitor.positions", "monitor.summary"}


def test_a_not_modified_check_loads_no_parser_or_reading_stage(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """A check whose page answers 304 reads nothing: no extraction, clause or position
    rules, no parser or selector engine are loaded (the first check, a new page, does;
    its selectors are remembered beside the database)."""
    http_server.route("/terms", Reply(body=page("We never train on your data."), etag='"v1"'))
    (tmp_path / "sources.toml").write_text(
        '[monitor]\ndatabase = "sqlite:///tos.db"\n\n[providers.acme]\nname = "Acme"\n\n'
        f'[providers.acme.documents.terms]\nurl = "{http_server.url("/terms")}"\n'
        'select = ["main"]\n',
        encoding="utf-8",
    )
    loaded(tmp_path, "db", "upgrade")
    assert {"monitor.extract", "monitor.clauses"} <= loaded(tmp_path, "check", "--no-notify")
    found = loaded(tmp_path, "check", "--no-notify")
    assert found & (STAGES | {"bs4", "soupsieve", "lxml"}) == set()
    with sqlite3.connect(tmp_path / "tos.db") as con:
        outcomes = [r[0] for r in con.execute("SELECT outcome FROM fetch_attempts ORDER BY id")]
    assert outcomes == ["new_version", "not_modified"]


def test_status_of_a_database_to_migrate_goes_through_the_sessions(project: Path) -> None:
    """With no database yet, `status` creates it (alembic's migrations) as any command does."""
    found = loaded(project, "status", "--json")
    assert {"sqlalchemy", "alembic"} <= found
    assert (project / "tos.db").is_file()


def test_the_help_summary_of_each_lazy_command_is_its_own() -> None:
    """`tosmon --help` lists every command with the first sentence of its own help."""
    import click

    from monitor.cli import main

    ctx = click.Context(main)
    for name, summary in main.SUMMARY.items():
        command = main.get_command(ctx, name)
        assert command is not None and command.get_short_help_str(1000) == summary, name
    assert set(main.SUMMARY) == set(main.LAZY)
