"""``tosmon status`` as plain data: how every configured document is doing.

Per document: the last successful live check, the last change, the failures since
the last success (with the latest error), and the next scheduled check times.
Failing documents come first. Times are ISO 8601 UTC strings (``...Z``) or ``null``.

    {"generated_at": "...", "timezone": "Europe/Paris", "failing": 1,
     "documents": [{"provider", "document", "name", "url", "state", "last_attempt",
                    "last_success", "last_change", "consecutive_failures",
                    "failing_since", "failing_kind", "flapping", "last_error",
                    "schedule", "next_runs"}],
     "digest": {"schedule", "next_runs"},
     "locks": [{"name", "pid", "host", "acquired_at", "expires_at"}]}

``state`` is ``failing`` (the latest check failed), ``ok``, or ``never_checked``.
``failing_since`` is the first failed check after the last good one and ``failing_kind``
the latest error kind (both ``null`` unless failing); ``flapping`` is ``null`` or
``{"since", "last_return", "returns", "texts"}`` while the page keeps returning to
earlier texts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import episodes, store
from .db import SessionFactory
from .locks import current_locks
from .model import AlertRules, Config, DocumentConfig
from .models import OutboxMessage
from .schedule import check_jobs, digest_trigger
from .timefmt import iso_or_none
from .triggers import next_fire_times

NEXT_RUNS = 3


iso = iso_or_none


def build_status(
    config: Config, sessions: SessionFactory, now: datetime | None = None, runs: int = NEXT_RUNS
) -> dict[str, Any]:
    """The whole status report (see the module docstring for its shape)."""
    now = now or datetime.now(UTC)
    schedules: dict[str, tuple[str, list[str | None]]] = {}
    for job in check_jobs(config, jitter=False):
        times = [iso(t) for t in next_fire_times(job.trigger, now, runs)]
        for doc in job.documents:
            schedules[doc.key] = (job.expression, times)
    with sessions() as s:
        docs = [document_status(s, doc, *schedules[doc.key], now=now) for doc in config.documents()]
    order = {"failing": 0, "never_checked": 1, "ok": 2}
    docs.sort(key=lambda d: order[d["state"]])  # stable: config order within a state
    return {
        "generated_at": iso(now),
        "timezone": config.schedule.timezone,
        "failing": sum(d["state"] == "failing" for d in docs),
        "documents": docs,
        "digest": {
            "schedule": config.schedule.digest,
            "next_runs": [iso(t) for t in next_fire_times(digest_trigger(config), now, runs)],
        },
        "failed_messages": failed_messages(sessions),
        "locks": [
            {
                "name": h.name,
                "pid": h.pid,
                "host": h.host,
                "acquired_at": iso(h.acquired_at),
                "expires_at": iso(h.expires_at),
            }
            for h in current_locks(sessions)
        ],
    }


def failed_messages(sessions: SessionFactory) -> list[dict[str, Any]]:
    """Outbox messages the SMTP server refused for good (5xx): never retried."""
    with sessions() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.state == "failed").order_by(OutboxMessage.id)
        )
        return [
            {
                "id": r.id,
                "kind": r.kind,
                "recipients": json.loads(r.recipients),
                "subject": r.subject,
                "error": r.last_error,
            }
            for r in rows
        ]


def document_status(
    s: Session,
    doc: DocumentConfig,
    schedule: str,
    next_runs: list[str | None],
    now: datetime | None = None,
) -> dict[str, Any]:
    """One document's entry of the status report."""
    now = now or datetime.now(UTC)
    row = store.find_document(s, doc.provider, doc.id)
    health = store.check_health(s, row.id) if row else store.CheckHealth(None, None, 0)
    change = store.last_change(s, row.id) if row else None
    if health.last_attempt is None:
        state = "never_checked"
    else:
        state = "failing" if health.consecutive_failures else "ok"
    return {
        "provider": doc.provider,
        "document": doc.id,
        "name": doc.title,
        "url": doc.url,
        "state": state,
        "last_attempt": iso(health.last_attempt),
        "last_success": iso(health.last_success),
        "last_change": _change(change),
        "consecutive_failures": health.consecutive_failures,
        "failing_since": iso(health.failing_since),
        "failing_kind": health.last_error_kind if health.consecutive_failures else None,
        "flapping": _flapping(s, row.id, doc.alerting, now) if row else None,
        "last_error": None
        if health.last_error_at is None
        else {
            "at": iso(health.last_error_at),
            "kind": health.last_error_kind,
            "message": health.last_error,
        },
        "schedule": schedule,
        "next_runs": next_runs,
    }


def _flapping(
    s: Session, document_id: int, rules: AlertRules, now: datetime
) -> dict[str, Any] | None:
    """The open flapping episode, while its last return is within ``revert_days``."""
    episode = episodes.open_episode(s, document_id, "flapping")
    if episode is None or episode.last_at < now - timedelta(days=rules.revert_days):
        return None
    return {
        "since": iso(episode.started_at),
        "last_return": iso(episode.last_at),
        "returns": episode.count,
        "texts": episode.texts,
    }


def _change(change: Any) -> dict[str, Any] | None:
    if change is None:
        return None
    try:
        summary = json.loads(change.summary).get("summary")
    except (ValueError, AttributeError):
        summary = None
    return {
        "at": iso(change.captured_at),
        "kind": change.kind,
        "severity": change.severity,
        "summary": summary,
    }
