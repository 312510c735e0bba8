"""``tosmon notify`` and ``tosmon digest``: email from the command line.

``notify`` queues pending alerts and sends *every* unsent outbox message now
(backoff only paces the automatic retries of ``check`` and the daemon). ``digest``
builds the weekly digest, queues and records it, and sends it (with anything else
still unsent in the outbox); ``--dry-run`` prints
the plain-text version and ``--output FILE.html`` writes the HTML version, neither
sending nor recording anything. Delivery failures exit 1 with one clear line each.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import digest as digest_stage
from .cli_common import App, ConfigProblem, app_options, clean, parse_when, print_json
from .errors import NotifyError
from .notify import SendReport, queue_alerts, send_pending


def _report(report: SendReport, as_json: bool, queued: int | None = None) -> None:
    """Print what was sent; exit 1 when something could not be delivered."""
    data = report.as_dict()
    if queued is not None:
        data["queued"] = queued
    if as_json:
        print_json(data)
    else:
        if report.busy:
            click.echo(f"not sending: {report.busy}")
        click.echo(f"sent {len(report.sent)} message(s); {report.waiting} left in the outbox")
        for f in report.failed:
            what = "failed for good (not retried)" if f.get("permanent") else "not delivered"
            click.echo(
                clean(
                    f"{what}: message {f['id']} ({f['kind']} to {', '.join(f['recipients'])}, "
                    f"attempt {f['attempts']}): {f['error']}"
                ),
                err=True,
            )
    if report.failed:
        raise SystemExit(1)


@click.command()
@app_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def notify(app: App, as_json: bool) -> None:
    """Queue pending alerts and tracking notices, and send every unsent email now."""
    config = app.config
    if config.email is None:
        raise ConfigProblem(
            f"{config.path}: no [email] section: add one (smtp_host, from, to) to send alerts"
        )
    sessions = app.sessions
    from .notices import queue_notices

    queued = queue_alerts(config, sessions) + queue_notices(config, sessions)
    try:
        report = send_pending(config, sessions, due_only=False)
    except NotifyError as exc:
        raise click.ClickException(str(exc)) from None
    _report(report, as_json, queued)


@click.command()
@app_options
@click.option("--since", help="Start of the period (YYYY-MM-DD or ISO time); default: last digest.")
@click.option("--dry-run", is_flag=True, help="Print the text version; send and record nothing.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the HTML version to this file; send and record nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary of the sending.")
def digest(app: App, since: str | None, dry_run: bool, output: Path | None, as_json: bool) -> None:
    """Build the weekly digest and send it (or preview it with --dry-run / --output)."""
    start = parse_when(since, end_of_day=False) if since else None
    config = app.config
    if dry_run or output is not None:
        message = digest_stage.preview(config, app.sessions, start)
        if output is not None:
            output.write_text(message.html, encoding="utf-8")
            click.echo(f"wrote {output} ({message.subject})", err=dry_run)
        if dry_run:
            click.echo(f"Subject: {message.subject}\n")
            click.echo(message.text, nl=False)
        return
    if config.email is None:
        raise ConfigProblem(
            f"{config.path}: no [email] section: the digest has nobody to go to "
            "(use --dry-run or --output to preview it)"
        )
    try:
        ids = digest_stage.queue_digest(config, app.sessions, start)
        report = send_pending(config, app.sessions, due_only=False)
    except NotifyError as exc:
        raise click.ClickException(str(exc)) from None
    _report(report, as_json, len(ids))
