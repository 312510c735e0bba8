"""The ``tosmon`` command line. Commands are thin: parse, call, print.

Human output uses rich (tables, progress on a terminal); every query command has
``--json`` for scripts. Exit codes: 0 when the run happened (per-document errors
included), 1 on a runtime error, 2 on bad configuration or usage; ``check --fail-on
errors`` exits 3 when any document failed.
"""

from __future__ import annotations

import importlib
import os

import click

from . import __version__
from .cli_common import (
    App,
    Globals,
    app_options,
    clean,
    global_options,
    print_json,
)
from .logs import setup_logging


class _Commands(click.Group):
    """The command group; commands of the later stages are imported only when used.

    Keeps start-up cheap (`tosmon --version` loads click and nothing else): each
    command's module, and what it needs (the pipeline, the scheduler, SMTP, the archive),
    loads only when that command runs.
    """

    LAZY = {
        "check": "monitor.cli_check",
        "backfill": "monitor.cli_backfill",
        "init": "monitor.cli_init",
        "notify": "monitor.cli_email",
        "reextract": "monitor.cli_reextract",
        "digest": "monitor.cli_email",
        "run": "monitor.cli_daemon",
        "status": "monitor.cli_daemon",
        "compare": "monitor.cli_reports",
        "export": "monitor.cli_reports",
        "site": "monitor.cli_reports",
        "history": "monitor.cli_history",
        "diff": "monitor.cli_history",
        "show": "monitor.cli_history",
        "clauses": "monitor.cli_history",
    }

    # what `tosmon --help` says of each lazy command, so help imports none of them
    # (tests/test_cli_startup.py checks each against the command's own short help)
    SUMMARY = {
        "backfill": "Fill in history from the archive in [archive].wayback_url, oldest "
        "capture first.",
        "init": "Write a starter sources.toml (the shipped catalogue), then optionally its "
        "history.",
        "notify": "Queue pending alerts and tracking notices, and send every unsent email now.",
        "reextract": "Re-read every stored version from its stored snapshot with the current "
        "rules.",
        "digest": "Build the weekly digest and send it (or preview it with --dry-run / --output).",
        "run": "Check, alert and send digests on the [schedule] of sources.toml until stopped.",
        "status": "Per document: last good check, last change, failures, next scheduled runs.",
        "compare": "The positions of every document side by side (a row per document, a "
        "column per position), each with since when it holds.",
        "export": "The terms of a document in force at a date — positions, clauses, full "
        "text — with provenance (URL, capture time, snapshot SHA-256, origin, archive URL, "
        "rules).",
        "site": "Write a static site (matrix, a page per provider and per document, Atom "
        "feeds) to OUT_DIR; only files whose content changed are rewritten.",
        "history": "Versions of a document, oldest first; or, with --clause, when that "
        "clause changed.",
        "diff": "Diff two versions of a document (default: the last two), or of one clause.",
        "show": "Print the normalized text of a version.",
        "clauses": "The positions and clause texts in force at a date (training, retention, ...).",
        "check": "Fetch documents now, store new versions, report what changed.",
    }

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.LAZY and name in self.SUMMARY:
                rows.append((name, self.SUMMARY[name]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            module = importlib.import_module(self.LAZY[cmd_name])
            command: click.Command = getattr(module, cmd_name.replace("-", "_"))
            return command
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="tosmon")
@global_options
@click.pass_context
def main(
    ctx: click.Context,
    config_path: str | None,
    db_url: str | None,
    log_level: str | None,
    verbose: bool,
) -> None:
    """tos-monitor: watch AI providers' legal pages; report real wording changes.

    Typical use: list documents in sources.toml, run `tosmon check` from cron (or
    `tosmon run` as a daemon), and ask `tosmon history PROVIDER DOCUMENT --clause training`.
    The options above go before or after the command (`tosmon --config X check`).
    """
    ctx.obj = Globals(config_path, db_url, log_level, verbose)
    setup_logging(log_level or os.environ.get("TOSMON_LOG_LEVEL") or "WARNING", verbose)


# -- configuration and database ------------------------------------------------------------


class _SourcesCommands(_Commands):
    LAZY = {"import-ota": "monitor.cli_ota"}


@main.group(cls=_SourcesCommands)
def sources() -> None:
    """Inspect and validate sources.toml."""


@sources.command("validate")
@app_options
def sources_validate(app: App) -> None:
    """Check sources.toml and exit 0 (valid) or 2 (what to fix)."""
    config = app.config
    click.echo(
        f"{config.path}: OK ({len(config.documents())} documents, "
        f"{len(config.providers)} providers)"
    )


@sources.command("list")
@app_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def sources_list(app: App, as_json: bool) -> None:
    """List the configured documents."""
    docs = app.config.documents()
    if as_json:
        print_json(
            [
                {
                    "provider": d.provider,
                    "document": d.id,
                    "name": d.title,
                    "tier": d.tier,
                    "url": d.url,
                }
                for d in docs
            ]
        )
        return

    from rich.text import Text

    from .cli_tables import Col, print_table

    cols = [Col("provider", keep=True), Col("document", keep=True), Col("name")]
    cols += [Col("tier", keep=True), Col("url", keep=True)]
    rows = [  # configured strings are shown as text, never read as rich markup
        [Text(clean(x)) for x in (d.provider, d.id, d.title, d.tier or "", d.url)] for d in docs
    ]
    print_table(Text(clean(str(app.config.path))), cols, rows, key=2)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@app_options
def db_upgrade(app: App) -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from .db import current_revision, upgrade

    engine = app.sessions.kw["bind"]
    upgrade(engine)
    click.echo(f"database at revision {current_revision(engine)}: {engine.url!r}")
