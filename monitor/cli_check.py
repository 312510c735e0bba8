"""``tosmon check``: fetch now, record, report; registered by cli.py (imported on use)."""

from __future__ import annotations

import asyncio

import click
from rich.text import Text

from .cli_common import (
    App,
    app_options,
    clean,
    outcome_word,
    pick_documents,
    print_json,
    selection_options,
)
from .cli_progress import RunProgress, wants_bar
from .cli_tables import Col, Row, print_table
from .pipeline import CheckReport, DocumentReport, check_documents

FAILED_DOCUMENTS = 3  # `check --fail-on errors`: the exit status when a document failed

# -- check ---------------------------------------------------------------------------------


@click.command()
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
