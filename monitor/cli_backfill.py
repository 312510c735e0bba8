"""``tosmon backfill``: build a document's history from a Wayback-compatible archive."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import click
from rich.text import Text

from .backfill import BackfillProgress, BackfillReport, CaptureError, DocumentBackfill
from .backfill import backfill as run_backfill
from .cli_common import (
    App,
    app_options,
    clean,
    console,
    pick_documents,
    print_json,
    selection_options,
)
from .cli_progress import RunProgress, wants_bar
from .cli_tables import Col, Row, print_table
from .config import DocumentConfig

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
    backfill_and_report(app, docs, first, last, as_json)


def backfill_and_report(
    app: App, docs: list[DocumentConfig], first: date | None, last: date | None, as_json: bool
) -> BackfillReport:
    """Run the backfill with progress (per document: listed, fetched, skipped) and print
    its report (a table, or the JSON summary)."""
    sessions = app.sessions
    with RunProgress("backfill", "captures", bar=wants_bar(as_json)) as progress:
        tracker = _Tracker(progress)
        report = asyncio.run(
            run_backfill(
                app.config, sessions, docs, since=first, until=last, on_progress=tracker.update
            )
        )
        tracker.finish()
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    return report


class _Tracker:
    """Turns backfill progress reports into the bar or log lines, and one note per
    document: after the listing for those with nothing to fetch, else when it is done."""

    def __init__(self, progress: RunProgress) -> None:
        self.progress = progress
        self.current: DocumentBackfill | None = None

    def update(self, p: BackfillProgress) -> None:
        for entry in p.documents:
            if entry.listed == entry.skipped:  # nothing to fetch in this run
                self.progress.note(_counts(entry))
        if p.entry is not self.current:
            self.finish()
            self.current = p.entry
        label = f"{p.document} {p.timestamp}" if p.document else ""
        self.progress.update(p.done, p.total, label)

    def finish(self) -> None:
        if self.current is not None:
            self.progress.note(_counts(self.current))
            self.current = None


def _counts(d: DocumentBackfill) -> str:
    text = f"{d.key}: {d.listed} listed, {d.fetched} fetched, {d.skipped} skipped"
    if d.versions:
        text += f", {d.versions} new version(s) ({d.substantive} substantive)"
    if d.errors:
        text += f", {len(d.errors)} error(s)"
    return text


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _print_report(report: BackfillReport) -> None:
    out = console()
    rows: list[Row] = []
    for d in report.documents:
        rows.append(
            [
                d.key,
                str(d.listed),
                str(d.fetched),
                str(d.skipped),
                str(d.versions),
                str(d.substantive),
                Text(str(len(d.errors)), style="red" if d.errors else ""),
            ]
        )
    counts = ("listed", "fetched", "skipped", "versions", "substantive", "errors")
    print_table(
        f"Backfilled {len(report.documents)} document(s) from the archive",
        [Col("document", keep=True)] + [Col(c, keep=True, justify="right") for c in counts],
        rows,
        caption="versions, substantive: new versions and substantive changes recorded",
        out=out,
    )
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
