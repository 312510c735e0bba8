"""The ``tosmon`` command line. Commands are thin: parse, call, print.

Human output uses rich (tables, progress on a terminal); every query command has
``--json`` for scripts. Exit codes: 0 when the run happened (per-document errors
included), 1 on a runtime error, 2 on bad configuration or usage; ``check --fail-on
errors`` exits 3 when any document failed.
"""

from __future__ import annotations

import asyncio
import importlib
import os

import click
from rich.text import Text

from . import __version__
from .cli_common import (
    App,
    Globals,
    app_options,
    clean,
    global_options,
    outcome_word,
    pick_documents,
    print_json,
    selection_options,
)
from .cli_progress import RunProgress, wants_bar
from .cli_tables import Col, Row, print_table
from .db import current_revision, upgrade
from .logs import setup_logging
from .pipeline import CheckReport, DocumentReport, check_documents

FAILED_DOCUMENTS = 3  # `check --fail-on errors`: the exit status when a document failed


class _Commands(click.Group):
    """The command group; commands of the later stages are imported only when used.

    Keeps `tosmon check` from cron cheap: the scheduler, SMTP and archive code load
    only for `run`/`status`, `notify`/`digest` and `backfill`.
    """

    LAZY = {
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


# -- check ---------------------------------------------------------------------------------


@main.command()
@app_options
@selection_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.option("--no-notify", is_flag=True, help="Do not send alert emails at the end of the run.")
@click.option(
    "--fail-on",
    type=click.Choice(["never", "errors"]),
    default="never",
    show_default=True,
    help="`errors`: exit 3 when any document failed (for cron mail).",
)
def check(
    app: App,
    providers: tuple[str, ...],
    documents: tuple[str, ...],
    as_json: bool,
    no_notify: bool,
    fail_on: str,
) -> None:
    """Fetch documents now, store new versions, report what changed.

    Exits 0 when the run happened, per-document errors included (they are in the
    report); with `--fail-on errors`, 3 when any document failed.
    """
    docs = pick_documents(app.config, providers, documents)
    sessions = app.sessions
    with RunProgress("check", "documents", bar=wants_bar(as_json)) as progress:
        done = 0
        progress.update(done, len(docs))

        def advance(result: DocumentReport) -> None:
            nonlocal done
            done += 1
            progress.update(done, len(docs), f"{result.key} ({outcome_word(result.outcome)})")

        report = asyncio.run(check_documents(app.config, sessions, docs, advance))
    if not no_notify:
        _after_check_notify(app)
    if as_json:
        print_json(report.as_dict())
    else:
        _print_check(report)
    failed = [r.key for r in report.results if r.outcome == "error"]
    if fail_on == "errors" and failed:
        click.echo(f"{len(failed)} document(s) failed: {', '.join(failed)}", err=True)
        raise click.exceptions.Exit(FAILED_DOCUMENTS)


def _after_check_notify(app: App) -> None:
    """Queue pending alerts and send what is due (when [email] is configured)."""
    from .notify import notify_after_check  # imported on use: SMTP and Jinja2 load only here

    notify_after_check(app.config, app.sessions)


def _print_check(report: CheckReport) -> None:
    rows: list[Row] = []
    for r in report.results:
        style = {
            "error": "red",
            "new_version": "bold yellow",
            "cosmetic": "dim",
            "suspect": "yellow",
        }.get(r.outcome, "")
        baseline = "first version (baseline)" if r.outcome == "new_version" and not r.change else ""
        detail = r.error or (r.change or {}).get("summary") or r.warning or baseline
        if r.change and r.change.get("severity"):
            detail = f"[{r.change['severity'].upper()}] {detail}"
        rows.append(
            [
                r.key,
                Text(outcome_word(r.outcome), style=style),
                f"v{r.version}" if r.version else "",
                Text(clean(str(detail))),
            ]
        )
    cols = [Col("document", keep=True), Col("outcome"), Col("version", keep=True), Col("detail")]
    print_table(f"Checked {len(report.results)} document(s)", cols, rows)


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
    engine = app.sessions.kw["bind"]
    upgrade(engine)
    click.echo(f"database at revision {current_revision(engine)}: {engine.url!r}")
