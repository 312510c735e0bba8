"""``tosmon backfill``: build a document's history from a Wayback-compatible archive."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import click
from rich.table import Table
from rich.text import Text

from .backfill import BackfillProgress, BackfillReport, CaptureError
from .backfill import backfill as run_backfill
from .cli_common import (
    App,
    app_options,
    clean,
    console,
    is_terminal,
    pick_documents,
    print_json,
    progress_bar,
    selection_options,
)

_DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.command()
@app_options
@selection_options
@click.option("--from", "since", type=_DAY, metavar="YYYY-MM-DD", help="Captures from this day.")
@click.option("--to", "until", type=_DAY, metavar="YYYY-MM-DD", help="Captures up to this day.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def backfill(
    app: App,
    providers: tuple[str, ...],
    documents: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    as_json: bool,
) -> None:
    """Fill in history from the archive in [archive].wayback_url, oldest capture first.

    Safe to repeat or interrupt: captures already stored are not fetched again, and
    failed ones are retried next time unless the archive or the page layout ruled them
    out for good. Changes found this way are history: they never send alerts.
    """
    docs = pick_documents(app.config, providers, documents)
    first, last = _day(since), _day(until)
    if first and last and first > last:
        raise click.UsageError(f"--from {first} is after --to {last}")
    sessions = app.sessions
    with progress_bar(is_terminal() and not as_json) as progress:
        task = progress.add_task("listing archived captures", total=None)

        def advance(p: BackfillProgress) -> None:
            label = f"{p.document} {p.timestamp}" if p.document else "fetching captures"
            progress.update(task, total=p.total, completed=p.done, description=clean(label))

        report = asyncio.run(
            run_backfill(app.config, sessions, docs, since=first, until=last, on_progress=advance)
        )
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _print_report(report: BackfillReport) -> None:
    out = console()
    table = Table(
        title=f"Backfilled {len(report.documents)} document(s) from the archive",
        caption="versions, substantive: new versions and substantive changes recorded",
    )
    for col in ("document", "listed", "fetched", "skipped", "versions", "substantive"):
        table.add_column(col, justify="left" if col == "document" else "right")
    table.add_column("errors", justify="right")
    for d in report.documents:
        table.add_row(
            d.key,
            str(d.listed),
            str(d.fetched),
            str(d.skipped),
            str(d.versions),
            str(d.substantive),
            Text(str(len(d.errors)), style="red" if d.errors else ""),
        )
    out.print(table)
    for d in report.documents:
        for warning in d.warnings:
            out.print(Text(clean(f"Warning: {d.key}: {warning}"), style="yellow"))
    groups = _group_errors(report.errors)
    if not groups:
        return
    total = sum(len(g) for g in groups)
    out.print(Text(f"\n{total} capture(s) or listing(s) not recorded:", style="bold red"))
    for group in groups:
        first, last = group[0], group[-1]
        when = first.timestamp or "CDX listing"
        if len(group) > 1:
            when = f"{len(group)} captures, {first.timestamp} … {last.timestamp}"
        out.print(Text(f"  {first.provider}/{first.document}  {first.kind}  {when}", style="bold"))
        out.print(Text(clean(f"      {first.message}")))
        if len(group) == 1:
            out.print(Text(clean(f"      {first.url}"), style="dim"))
    out.print(
        Text(
            "Fetch failures (timeouts, 429/5xx) are retried by the next backfill; "
            "captures whose layout no longer matches the selectors are not.",
            style="dim",
        )
    )


def _group_errors(errors: list[CaptureError]) -> list[list[CaptureError]]:
    """Errors of one document with the same kind and message together, oldest first."""
    groups: dict[tuple[str, str, str, str], list[CaptureError]] = {}
    for e in errors:
        groups.setdefault((e.provider, e.document, e.kind, e.message), []).append(e)
    for group in groups.values():
        group.sort(key=lambda e: e.timestamp or "")
    return list(groups.values())
