"""Email delivery through a durable outbox: queue alerts, send what is due over SMTP.

Queueing. ``queue_alerts`` turns the changes ``record`` left ``pending`` into outbox
rows and marks those changes ``queued`` in the *same* transaction, so a crash loses
nothing and queues nothing twice. One message per recipient: every address in
``[email] to`` hears of every alerting change; an address listed under
``[email.providers.<id>]`` also hears of that provider's changes (and only of those,
unless it is in ``to`` as well). ``[email] alerts`` picks what alerts at once: ``high``
(severity high only), ``all``, or ``none``; a change below the threshold is marked
``skipped`` (it still appears in the weekly digest, and a later change of the
setting does not resurrect old alerts). Backfilled (archive) changes never alert.

Without an ``[email]`` section nothing is queued or sent: pending alerts *stay
pending* (a warning says so), and ``tosmon notify`` sends them, as one message per
recipient, once ``[email]`` is configured.

Sending. ``send_pending`` holds the database lock ``outbox`` (one sender at a time,
daemon and cron alike), then for each due message: claims it (``state=sending``,
``attempts+1``, committed), hands it to the server, and commits ``state=sent`` right
after the server's 250 reply. An SMTP failure (refused connection, 4xx/5xx on
MAIL/RCPT/DATA, a dropped connection, TLS or authentication errors) puts the message
back to ``pending`` with ``last_error`` and ``next_attempt_at`` (exponential backoff,
1 minute doubling up to 6 hours). Automatic runs (``tosmon check``, the daemon) send
only messages whose backoff is over; ``tosmon notify`` sends every pending message.

The duplicate window. Every row has its own Message-ID, fixed when it is queued, so a
retry sends identical bytes. A message is resent only when we have no record of the
server accepting it: the one window is a crash (or lost database) between the
server's 250 and our commit of ``sent`` (milliseconds). The row is then left in
``sending``; the next sender logs a warning and sends it again with the same
Message-ID, which lets receiving systems recognise the duplicate. We chose this
over dropping it: a missed legal alert costs more than a duplicate one.

The SMTP password comes from the environment variable named by ``password_env``
and is never stored (``smtp_client`` holds the connection and MIME code). TLS uses
the system trust store (``SSL_CERT_FILE`` works) unless a context is passed in.
"""

from __future__ import annotations

import json
import logging
import secrets
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy.orm import Session

from . import store
from .alert_size import alert_messages
from .db import SessionFactory
from .errors import NotifyError
from .locks import Locks
from .model import Config, EmailSettings
from .models import OutboxMessage
from .render import SEVERITY_ORDER, ChangeItem, Rendered, change_item
from .smtp_client import build_message, close, connect, describe, permanent
from .timefmt import iso_or_none

log = logging.getLogger(__name__)

BACKOFF_BASE = 60.0  # seconds before the first retry; doubles per failed attempt
BACKOFF_MAX = 6 * 3600.0
OUTBOX_LOCK = "outbox"


def utcnow() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1 min, 2, 4, ... at most 6 hours."""
    return timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


# -- queueing ----------------------------------------------------------------------------


def recipients(settings: EmailSettings) -> dict[str, frozenset[str] | None]:
    """address → the provider ids it hears about (``None``: every provider)."""
    out: dict[str, frozenset[str] | None] = {}
    seen: dict[str, str] = {}  # lower-cased → first spelling
    for addr in settings.to:
        out[seen.setdefault(addr.lower(), addr)] = None
    for pid, addrs in settings.provider_to.items():
        for addr in addrs:
            key = seen.setdefault(addr.lower(), addr)
            scope = out.get(key, frozenset())
            if scope is not None:
                out[key] = scope | {pid}
    return out


def in_scope(scope: frozenset[str] | None, provider: str) -> bool:
    return scope is None or provider in scope


def queue_message(
    s: Session, kind: str, recipient: str, message: Rendered, sender: str, now: datetime
) -> OutboxMessage:
    """Add one outbox row (inside the caller's transaction) with a fixed Message-ID."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "tos-monitor.invalid"
    row = OutboxMessage(
        kind=kind,
        recipients=json.dumps([recipient]),
        subject=message.subject,
        text_body=message.text,
        html_body=message.html,
        message_id=f"<tosmon.{kind}.{secrets.token_hex(10)}@{domain}>",
        state="pending",
        attempts=0,
        created_at=now,
    )
    s.add(row)
    s.flush()
    return row


def alerting(settings: EmailSettings, severity: str | None, origin: str, kind: str) -> bool:
    """Whether a change alerts at once under ``[email] alerts``."""
    if origin != "live" or kind != "substantive" or settings.alerts == "none":
        return False
    return settings.alerts == "all" or severity == "high"


def queue_alerts(config: Config, sessions: SessionFactory, now: datetime | None = None) -> int:
    """Queue one alert per recipient for the pending changes; return the messages queued.

    The outbox rows and the changes' new state (``queued`` or ``skipped``) are written
    in one transaction. Without ``[email]`` nothing happens (alerts stay pending).
    """
    settings = config.email
    if settings is None:
        return 0
    now = now or utcnow()
    queued = 0
    with sessions.begin() as s:
        items: list[ChangeItem] = []
        for change, doc in store.pending_alerts(s):
            if alerting(settings, change.severity, change.origin, change.kind):
                number = store.version_numbers(s, doc.id).get(change.to_version_id)
                items.append(change_item(config, change, doc, number))
                change.alert = "queued"
            else:
                change.alert = "skipped"
        items.sort(key=lambda i: (SEVERITY_ORDER.get(i.severity or "", 9), i.captured_at))
        for addr, scope in recipients(settings).items():
            mine = [i for i in items if in_scope(scope, i.provider_id)]
            for message in alert_messages(mine, settings.max_message_bytes) if mine else []:
                queue_message(s, "alert", addr, message, settings.sender, now)
                queued += 1
    return queued


# -- sending -----------------------------------------------------------------------------


@dataclass
class SendReport:
    """What one ``send_pending`` run did."""

    sent: list[int] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    waiting: int = 0  # still unsent afterwards (failed, or backing off)
    busy: str | None = None  # another process was sending

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": len(self.sent),
            "sent_ids": self.sent,
            "failed": self.failed,
            "pending": self.waiting,
            "busy": self.busy,
        }


def send_pending(
    config: Config,
    sessions: SessionFactory,
    *,
    due_only: bool = True,
    now: datetime | None = None,
    tls: ssl.SSLContext | None = None,
) -> SendReport:
    """Deliver unsent outbox messages (only those past their backoff when ``due_only``)."""
    settings = config.email
    if settings is None:
        raise NotifyError(f"{config.path}: no [email] section: no messages can be sent")
    report = SendReport()
    lease = max(120.0, settings.timeout * 4)
    with Locks(sessions, lease=lease) as locks, locks.holding(OUTBOX_LOCK) as holder:
        if holder is not None:
            report.busy = f"another process is sending ({holder.describe()})"
            log.info("notify: %s", report.busy)
        else:
            _send_all(settings, sessions, report, (now or utcnow()) if due_only else None, tls)
    with sessions() as s:
        report.waiting = store.unsent_outbox(s)
    return report


def _send_all(
    settings: EmailSettings,
    sessions: SessionFactory,
    report: SendReport,
    due_at: datetime | None,
    tls: ssl.SSLContext | None,
) -> None:
    with sessions() as s:
        due = store.due_outbox(s, due_at)
        ids = [row.id for row in due]
        for row in due:
            if row.state == "sending":
                log.warning(
                    "notify: message %d (%s) may have been sent before a crash; "
                    "sending it again with the same Message-ID",
                    row.id,
                    row.message_id,
                )
    client: smtplib.SMTP | None = None
    try:
        for n, message_id in enumerate(ids):
            if client is None:
                try:
                    client = connect(settings, tls)
                except NotifyError as exc:
                    for rest in ids[n:]:
                        _failed(sessions, rest, str(exc), report, claim=True)
                    return
            if not _deliver(settings, sessions, client, message_id, report):
                close(client)
                client = None
    finally:
        if client is not None:
            close(client)


def _deliver(
    settings: EmailSettings,
    sessions: SessionFactory,
    client: smtplib.SMTP,
    message_id: int,
    report: SendReport,
) -> bool:
    """Send one message; ``False`` when the connection is no longer usable."""
    with sessions.begin() as s:
        row = s.get(OutboxMessage, message_id)
        if row is None or row.state == "sent":
            return True
        row.state, row.attempts = "sending", row.attempts + 1
        message = build_message(row, settings.sender)
        rcpt = [parseaddr(a)[1] or a for a in json.loads(row.recipients)]
    envelope_from = parseaddr(settings.sender)[1] or settings.sender
    try:
        refused: Mapping[str, Any] = client.send_message(message, envelope_from, rcpt)
    except (smtplib.SMTPException, OSError) as exc:
        where = f"SMTP server {settings.smtp_host}:{settings.smtp_port}"
        error = f"{where}: {describe(exc)}"
        _failed(sessions, message_id, error, report, permanent=permanent(exc))
        broken = isinstance(exc, smtplib.SMTPServerDisconnected | OSError)
        return not broken
    with sessions.begin() as s:
        row = s.get(OutboxMessage, message_id)
        assert row is not None
        row.state, row.sent_at, row.next_attempt_at = "sent", utcnow(), None
        row.last_error = f"refused by the server: {', '.join(refused)}" if refused else None
    report.sent.append(message_id)
    log.info("notify: sent %s message %d to %s", row.kind, message_id, ", ".join(rcpt))
    return True


def _failed(
    sessions: SessionFactory,
    message_id: int,
    error: str,
    report: SendReport,
    claim: bool = False,
    permanent: bool = False,
) -> None:
    """Back to ``pending`` with the error and the time of the next automatic attempt; a
    permanent refusal marks the message ``failed`` instead (never retried)."""
    with sessions.begin() as s:
        row = s.get(OutboxMessage, message_id)
        if row is None:
            return
        if claim:  # never reached the server: this still counts as an attempt
            row.attempts += 1
        row.state, row.last_error = ("failed" if permanent else "pending"), error
        row.next_attempt_at = None if permanent else utcnow() + backoff(row.attempts)
        report.failed.append(
            {
                "id": row.id,
                "kind": row.kind,
                "attempts": row.attempts,
                "error": error,
                "permanent": permanent,
                "recipients": json.loads(row.recipients),
                "next_attempt_at": iso_or_none(row.next_attempt_at),
            }
        )
    log.warning(
        "notify: message %d not delivered (attempt %d): %s", message_id, row.attempts, error
    )


# -- entry points ------------------------------------------------------------------------


def notify_after_check(config: Config, sessions: SessionFactory) -> None:
    """End of ``tosmon check`` / a daemon check: queue pending alerts, send what is due.

    Never raises for delivery problems: they are logged, and the messages stay in the
    outbox for the next run (or ``tosmon notify``).
    """
    from .notices import pending_count, queue_notices  # notices builds on this module

    if config.email is None:
        with sessions() as s:
            pending = len(store.pending_alerts(s)) + pending_count(s)
        if pending:
            log.warning(
                "notify: no [email] section in %s: %d alert(s) stay pending "
                "(add [email], then `tosmon notify` sends them)",
                config.path,
                pending,
            )
        else:
            log.info("notify: no [email] section in %s: alert emails are off", config.path)
        return
    queued = queue_alerts(config, sessions) + queue_notices(config, sessions)
    if queued:
        log.info("notify: queued %d alert message(s)", queued)
    send_logged(config, sessions, "notify")


def send_logged(config: Config, sessions: SessionFactory, what: str) -> None:
    """Send what is due; delivery problems are logged, and the messages stay in the outbox."""
    try:
        report = send_pending(config, sessions)
    except NotifyError as exc:
        log.warning("%s: %s", what, exc)
        return
    if report.failed:
        log.warning(
            "%s: %d message(s) not delivered, %d left in the outbox; next retry by "
            "`tosmon check`/the daemon after backoff, or now with `tosmon notify`",
            what,
            len(report.failed),
            report.waiting,
        )
