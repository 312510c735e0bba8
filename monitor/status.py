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

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .jobs import check_jobs, digest_trigger
from .model import AlertRules, Config, DocumentConfig
from .status_reads import Flapping, Health, LastChange, StatusReading, session_reading
from .timefmt import iso_or_none
from .triggers import next_fire_times

if TYPE_CHECKING:
    from .db import SessionFactory

NEXT_RUNS = 3


iso = iso_or_none


def build_status(
    config: Config, sessions: SessionFactory, now: datetime | None = None, runs: int = NEXT_RUNS
) -> dict[str, Any]:
    """The whole status report (see the module docstring for its shape)."""
    return status_report(config, session_reading(sessions), now, runs)


def status_report(
    config: Config, reading: StatusReading, now: datetime | None = None, runs: int = NEXT_RUNS
) -> dict[str, Any]:
    """The report of ``reading`` (``status_reads``) for the documents of ``config``."""
    now = now or datetime.now(UTC)
    schedules: dict[str, tuple[str, list[str | None]]] = {}
    for job in check_jobs(config, jitter=False):
        times = [iso(t) for t in next_fire_times(job.trigger, now, runs)]
        for doc in job.documents:
            schedules[doc.key] = (job.expression, times)
    docs = [
        document_status(reading, doc, *schedules[doc.key], now=now) for doc in config.documents()
    ]
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
        "failed_messages": [  # refused for good by the SMTP server (5xx): never retried
            {
                "id": m.id,
                "kind": m.kind,
                "recipients": m.recipients,
                "subject": m.subject,
                "error": m.error,
            }
            for m in reading.failed
        ],
        "locks": [
            {
                "name": h.name,
                "pid": h.pid,
                "host": h.host,
                "acquired_at": iso(h.acquired_at),
                "expires_at": iso(h.expires_at),
            }
            for h in reading.locks
        ],
    }


NEVER = Health(0, None, None, None, None, None, 0, None)


def document_status(
    reading: StatusReading,
    doc: DocumentConfig,
    schedule: str,
    next_runs: list[str | None],
    now: datetime | None = None,
) -> dict[str, Any]:
    """One document's entry of the status report."""
    now = now or datetime.now(UTC)
    health = reading.health.get((doc.provider, doc.id), NEVER)
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
        "last_change": _change(reading.changes.get(health.document_id)),
        "consecutive_failures": health.consecutive_failures,
        "failing_since": iso(health.failing_since),
        "failing_kind": health.last_error_kind if health.consecutive_failures else None,
        "flapping": _flapping(reading.flapping.get(health.document_id), doc.alerting, now),
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


def _flapping(episode: Flapping | None, rules: AlertRules, now: datetime) -> dict[str, Any] | None:
    """The open flapping episode, while its last return is within ``revert_days``."""
    if episode is None or episode.last_at < now - timedelta(days=rules.revert_days):
        return None
    return {
        "since": iso(episode.started_at),
        "last_return": iso(episode.last_at),
        "returns": episode.returns,
        "texts": episode.texts,
    }


def _change(change: LastChange | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "at": iso(change.captured_at),
        "kind": change.kind,
        "severity": change.severity,
        "summary": change.summary,
    }
