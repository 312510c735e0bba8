"""``tosmon run`` (the scheduler daemon) and ``tosmon status``; registered by cli.py."""

from __future__ import annotations

import os
import signal
import threading
from datetime import datetime
from types import FrameType
from typing import Any

import click
from rich.text import Text

from .cli_common import App, app_options, clean, console, print_json
from .cli_tables import Col, Row, print_table
from .jobs import timezone_of
from .logs import setup_logging
from .status import status_report
from .status_reads import lean_reading, session_reading


@click.command()
@app_options
def run(app: App) -> None:
    """Check, alert and send digests on the [schedule] of sources.toml until stopped.

    Runs in the foreground (for systemd, a container, or a terminal), logging one line
    per event on stderr (default level INFO). SIGTERM or Ctrl-C stops it gracefully:
    documents already fetched are recorded, then it exits 0. A second Ctrl-C exits at
    once. A document being checked by another process (e.g. a cron `tosmon check`) is
    skipped.
    """
    setup_logging(app.log_level, app.verbose)
    from .schedule import Daemon

    stop = threading.Event()
    daemon = Daemon(app.config, app.sessions, stop)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        # A repeated SIGTERM (e.g. sent to the process and to its group) stays graceful;
        # a second Ctrl-C means "now".
        if stop.is_set() and signum == signal.SIGINT:
            os.write(2, b"tosmon: second interrupt, exiting now\n")
            os._exit(130)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        daemon.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command()
@app_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(app: App, as_json: bool) -> None:
    """Per document: last good check, last change, failures, next scheduled runs.

    Failing documents are listed first, in red.
    """
    # a current SQLite file is read without SQLAlchemy; anything else through the sessions
    reading = lean_reading(app.config.database) or session_reading(app.reader)
    data = status_report(app.config, reading)
    if as_json:
        print_json(data)
        return
    _print_status(data, timezone_of(app.config))


def _print_status(data: dict[str, Any], tz: Any) -> None:
    out = console()
    failing = data["failing"]
    title = f"{len(data['documents'])} document(s)"
    if failing:
        title += f", {failing} FAILING"
    rows: list[Row] = []
    for d in data["documents"]:
        style = {"failing": "bold red", "never_checked": "yellow"}.get(d["state"], "")
        change = d["last_change"] or {}
        severity = f" [{change['severity'].upper()}]" if change.get("severity") else ""
        runs = d["next_runs"]
        rows.append(
            [
                Text(f"{d['provider']}/{d['document']}", style=style),
                Text(d["state"].replace("_", " "), style=style),
                _local(d["last_success"], tz) or "never",
                _local(change.get("at"), tz),
                f"{change['kind']}{severity}" if change else "",
                Text(str(d["consecutive_failures"] or ""), style=style),
                _local(runs[0], tz) if runs else "",
            ]
        )
    cols = [Col("document", keep=True), Col("state"), Col("last success", keep=True)]
    cols += [Col("last change", keep=True), Col("change"), Col("failures", keep=True)]
    cols += [Col("next check", keep=True)]
    print_table(title, cols, rows, caption=f"times in {data['timezone']}", out=out)
    for d in data["documents"]:
        err = d["last_error"]
        if d["state"] == "failing" and err:
            out.print(
                Text(
                    clean(
                        f"FAILING {d['provider']}/{d['document']}: "
                        f"{d['consecutive_failures']} failed check(s) in a row since "
                        f"{_local(d['failing_since'], tz)}; last at "
                        f"{_local(err['at'], tz)}: {err['kind'] or 'error'}: {err['message'] or ''}"
                    ),
                    style="bold red",
                )
            )
        flap = d["flapping"]
        if flap:
            out.print(
                Text(
                    f"FLAPPING {d['provider']}/{d['document']}: alternates between "
                    f"{flap['texts']} texts, {flap['returns']} returns since "
                    f"{_local(flap['since'], tz)} (returns are not alerted)",
                    style="yellow",
                )
            )
    digest = data["digest"]["next_runs"]
    out.print(
        Text(
            f"digest ({data['digest']['schedule']}): next "
            f"{_local(digest[0], tz) if digest else 'never'}"
        )
    )
    for m in data.get("failed_messages", []):
        line = (
            f"FAILED message {m['id']} ({m['kind']} to {', '.join(m['recipients'])}): {m['error']}"
        )
        out.print(Text(clean(line), style="bold red"))
    for lock in data["locks"]:
        out.print(Text(f"{lock['name']}: held by pid {lock['pid']} on {lock['host']}", style="dim"))


def _local(moment: str | None, tz: Any) -> str:
    """``...Z`` as ``YYYY-MM-DD HH:MM`` in the configured time zone."""
    if not moment:
        return ""
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return parsed.astimezone(tz).strftime("%Y-%m-%d %H:%M")
