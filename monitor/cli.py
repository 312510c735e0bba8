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
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from . import __version__, store
from . import views as v
from .cli_common import (
    App,
    Globals,
    app_options,
    clean,
    configured_document,
    console,
    global_options,
    is_terminal,
    outcome_word,
    parse_when,
    pick_documents,
    print_json,
    selection_options,
)
from .cli_positions import print_positions, print_reextractions
from .cli_progress import RunProgress, wants_bar
from .db import current_revision, upgrade
from .diff import render_word_diff, word_diff_segments
from .logs import setup_logging
from .pipeline import CheckReport, DocumentReport, check_documents
from .timefmt import short_text

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
    table = Table(title=f"Checked {len(report.results)} document(s)")
    for col in ("document", "outcome", "version", "detail"):
        table.add_column(col)
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
        table.add_row(
            r.key,
            Text(outcome_word(r.outcome), style=style),
            str(r.version or ""),
            Text(clean(str(detail))),
        )
    console().print(table)


# -- reading history -----------------------------------------------------------------------


@main.command()
@app_options
@click.argument("provider", required=False)
@click.argument("document", required=False)
@click.option(
    "--clause", "-c", "clause", metavar="KEY", help="History of one clause (training, ...)."
)
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="With --clause: the newest N changes (0 = all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def history(
    app: App,
    provider: str | None,
    document: str | None,
    clause: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Versions of a document, oldest first; or, with --clause, when that clause changed.

    `tosmon history --clause training` without PROVIDER DOCUMENT shows that clause's
    changes across every document, newest first.
    """
    if (provider is None) != (document is None):
        raise click.UsageError("give both PROVIDER and DOCUMENT, or neither (with --clause)")
    if provider is None and clause is None:
        raise click.UsageError("give PROVIDER DOCUMENT, or --clause KEY")
    if provider is not None and document is not None:
        configured_document(app.config, provider, document)
    if clause is not None and clause not in app.config.clause_keys:
        raise click.UsageError(
            f"unknown clause {clause!r}; known: {', '.join(app.config.clause_keys)}"
        )
    with app.reader() as s:
        if clause is not None:
            data = v.clause_history(s, clause, provider, document, limit or None)
        else:
            assert provider is not None and document is not None
            data = v.document_history(s, provider, document)
    if as_json:
        print_json(data)
    elif clause is not None:
        _print_clause_history(data)
    else:
        _print_history(data)


def _print_history(data: dict[str, Any]) -> None:
    table = Table(
        title=f"{data['provider']}/{data['document']}: {len(data['versions'])} version(s)"
    )
    for col in ("#", "captured (UTC)", "origin", "change"):
        table.add_column(col)
    for ver in data["versions"]:
        change = ver["change"]
        if change is None:
            label = Text("first version (baseline)", style="dim")
        else:
            sev = f"[{change['severity'].upper()}] " if change.get("severity") else ""
            kind = change["kind"]
            if kind == "revert":
                kind = f"back to v{change.get('reverts_to') or '?'}"
            label = Text(
                clean(f"{kind}: {sev}{change.get('summary') or ''}"),
                style="dim" if change["kind"] in ("cosmetic", "revert") else "",
            )
        table.add_row(str(ver["version"]), short_text(ver["captured_at"]), ver["origin"], label)
    console().print(table)
    print_reextractions(data["reextractions"])


def _print_clause_history(data: dict[str, Any]) -> None:
    out = console()
    where = f" of {data['provider']}/{data['document']}" if "provider" in data else ""
    if not data["changes"]:
        out.print(
            Text(f"The {data['clause']} clause{where} has not changed in the stored history.")
        )
        return
    out.print(
        Text(
            f"{data['clause']} clause{where}: {data['total']} change(s), newest first",
            style="bold",
        )
    )
    if data["total"] > len(data["changes"]):
        out.print(
            Text(f"showing the newest {len(data['changes'])}; --limit 0 shows all", style="dim")
        )
    for ch in data["changes"]:
        sev = f" [{ch['severity'].upper()}]" if ch.get("severity") else ""
        out.print(
            Text(
                f"\n{short_text(ch['captured_at'])}  {ch['provider']}/{ch['document']} "
                f"v{ch['version']}  {ch['kind']}{sev}",
                style="bold cyan",
            )
        )
        out.print(Text(clean(ch.get("summary") or "")))
        _print_unified(ch["diff"])


def _print_unified(diff_text: str) -> None:
    out = console()
    for line in diff_text.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
        out.print(Text(clean(line), style="bold" if line.startswith(("---", "+++")) else style))


@main.command()
@app_options
@click.argument("provider")
@click.argument("document")
@click.option(
    "--from", "from_n", type=int, help="Older version number (default: the one before --to)."
)
@click.option("--to", "to_n", type=int, help="Newer version number (default: the latest).")
@click.option("--clause", "-c", metavar="KEY", help="Diff only this clause's text (training, ...).")
@click.option(
    "--words", "-w", is_flag=True, help="Sentence view: added, removed, modified (changed words)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the change summary as JSON.")
def diff(
    app: App,
    provider: str,
    document: str,
    from_n: int | None,
    to_n: int | None,
    clause: str | None,
    words: bool,
    as_json: bool,
) -> None:
    """Diff two versions of a document (default: the last two), or of one clause.

    Unified line diff by default; `--words` lists added and removed sentences and shows
    modified ones with the changed words highlighted; `--json` prints the change summary
    (kind, severity, clauses, summary, added/removed/modified, facts).
    """
    configured_document(app.config, provider, document)
    if clause is not None and clause not in app.config.clause_keys:
        raise click.UsageError(
            f"unknown clause {clause!r}; known: {', '.join(app.config.clause_keys)}"
        )
    with app.reader() as s:
        data = v.version_diff(s, provider, document, from_n, to_n, clause)
    if as_json:
        print_json(data)
        return
    part = data["clause"] or data
    if data.get("kind") == "revert":
        note = (
            f"v{data['to']['version']} returns to the text of v{data.get('reverts_to') or '?'} "
            "(a revert: stored, never alerted)"
        )
        click.echo(note, err=not is_terminal())
    if clause is not None and part["before"] is None and part["after"] is None:
        console().print(Text(f"Neither version addresses the {clause} clause."))
    elif not part["diff"]:
        what = f"the same {clause} clause text" if clause else "the same text"
        console().print(Text(f"The two versions have {what}."))
    elif words:
        _print_sentences(data, part)
    elif is_terminal():
        _print_unified(part["diff"])
    else:
        click.echo(clean(part["diff"]), nl=False)


_WORD_STYLES = {"insert": "bold green underline", "delete": "red strike", "equal": ""}


def _print_sentences(data: dict[str, Any], part: dict[str, Any]) -> None:
    """``diff --words``: ``+``/``-`` sentences, and ``~`` ones with their changed words
    styled (plain ``[-old-]{+new+}`` markers when the output is not a terminal)."""
    out, styled = console(), is_terminal()
    where = f" {part['key']} clause" if data["clause"] else ""
    out.print(
        Text(
            f"{data['provider']}/{data['document']}{where}: v{data['from']['version']} → "
            f"v{data['to']['version']}",
            style="bold",
        )
    )
    for sentence in part["removed"]:
        out.print(Text("- " + clean(sentence), style="red"))
    for sentence in part["added"]:
        out.print(Text("+ " + clean(sentence), style="green"))
    for modified in part["modified"]:
        ops = [(tag, text) for tag, text in modified["ops"]]
        if not styled:
            out.print(Text("~ " + clean(render_word_diff(ops))))
            continue
        line = Text("~ ")
        for text, tag in word_diff_segments(ops):
            line.append(clean(text), style=_WORD_STYLES[tag])
        out.print(line)


@main.command()
@app_options
@click.argument("provider")
@click.argument("document")
@click.option("--version", "-v", "number", type=int, help="Version number (default: the latest).")
def show(app: App, provider: str, document: str, number: int | None) -> None:
    """Print the normalized text of a version."""
    configured_document(app.config, provider, document)
    with app.reader() as s:
        row = v.require_document(s, provider, document)
        version = v.pick_version(store.versions(s, row.id), number, f"{provider}/{document}")
        click.echo(clean(version.text))


@main.command()
@app_options
@click.argument("provider")
@click.argument("document")
@click.option("--at", "at", help="Date (YYYY-MM-DD) or ISO time; default: the latest version.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def clauses(app: App, provider: str, document: str, at: str | None, as_json: bool) -> None:
    """The positions and clause texts in force at a date (training, retention, ...)."""
    configured_document(app.config, provider, document)
    when = parse_when(at) if at else None
    with app.reader() as s:
        data = v.clauses_at(s, provider, document, app.config.clause_keys, when)
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(
        Text(
            f"{provider}/{document} v{data['version']} "
            f"(captured {short_text(data['captured_at'])} UTC)",
            style="bold",
        )
    )
    print_positions(data["positions"])
    for key, clause in data["clauses"].items():
        out.print(
            Text(f"\n{key}", style="bold cyan"), Text(f"  ({clause['source']})" if clause else "")
        )
        out.print(Text(clean(clause["text"])) if clause else Text("  not addressed", style="dim"))


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
    table = Table(title=Text(clean(str(app.config.path))))
    for col in ("provider", "document", "name", "tier", "url"):
        table.add_column(col)
    for d in docs:  # configured strings are shown as text, never read as rich markup
        table.add_row(*(Text(clean(x)) for x in (d.provider, d.id, d.title, d.tier or "", d.url)))
    console().print(table)


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
