"""The weekly digest: what changed since the previous digest, and what is failing.

A digest covers (previous digest's end, now]: the changes *captured* in that period,
plus backfilled (archive) changes *recorded* in it (shown as history), grouped by
provider → document → clause, newest first. Cosmetic changes are only counted.
The failing-documents section lists configured documents whose latest live checks
fail (fetch errors, blocked pages, a ``select`` that matches nothing) or whose clause
selectors stopped matching, each with the start of the current streak.

Each recipient gets its own message (scoped like alerts, see ``notify``). The outbox
rows and their ``digests`` rows are written in one transaction; sending follows.
The first digest covers the 7 days before it; ``--since`` overrides the start.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from . import episodes, readings, store
from .alert_size import digest_within
from .db import SessionFactory
from .digest_view import render_digest
from .errors import NotifyError
from .model import Config
from .models import Digest, FetchAttempt
from .notify import in_scope, queue_message, recipients, send_logged, utcnow
from .render import DigestData, EpisodeItem, Failure, ReadingItem, Rendered, change_item

log = logging.getLogger(__name__)

FIRST_PERIOD = timedelta(days=7)
ATTEMPTS_LOOKED_AT = 500  # live attempts per document searched for a failure streak


def period_start(s: Session, now: datetime, since: datetime | None) -> datetime:
    """``since``, else the previous digest's end, else a week before ``now``."""
    if since is not None:
        return since
    return store.last_digest_end(s) or now - FIRST_PERIOD


def collect(
    config: Config,
    s: Session,
    since: datetime | None,
    until: datetime,
    scope: frozenset[str] | None = None,
) -> DigestData:
    """The digest's data for providers in ``scope`` (``None``: all)."""
    items, cosmetic = [], 0
    numbers: dict[int, dict[int, int]] = {}
    for change, doc in store.digest_changes(s, since, until):
        if not in_scope(scope, doc.provider):
            continue
        if change.kind == "cosmetic":
            cosmetic += 1
            continue
        if doc.id not in numbers:
            numbers[doc.id] = store.version_numbers(s, doc.id)
        items.append(change_item(config, change, doc, numbers[doc.id].get(change.to_version_id)))
    docs = [d for d in config.documents() if in_scope(scope, d.provider)]
    return DigestData(
        period_start=since,
        period_end=until,
        changes=items,
        cosmetic=cosmetic,
        failures=failures(config, s, scope),
        documents=len(docs),
        watched=[(d.provider, d.id, d.title) for d in docs],
        readings=reading_items(config, s, since, until, scope),
        episodes=episode_items(config, s, since, until, scope),
    )


def reading_items(
    config: Config,
    s: Session,
    since: datetime | None,
    until: datetime,
    scope: frozenset[str] | None,
) -> list[ReadingItem]:
    """Re-extractions made in the period ("reading improved"), for providers in ``scope``."""
    out = []
    for row, doc in readings.reextractions_made(s, since, until):
        if in_scope(scope, doc.provider):
            found = config.documents(doc.provider, doc.slug)
            title = found[0].title if found else f"{doc.provider}/{doc.slug}"
            summary = str(json.loads(row.summary).get("summary") or "")
            out.append(ReadingItem(title, row.captured_at, summary))
    return out


def episode_items(
    config: Config,
    s: Session,
    since: datetime | None,
    until: datetime,
    scope: frozenset[str] | None,
) -> list[EpisodeItem]:
    """Outages that ended in the period (open ones are in the failing section) and flapping
    going on in it, oldest first."""
    out = []
    for doc in config.documents():
        row = (
            store.find_document(s, doc.provider, doc.id) if in_scope(scope, doc.provider) else None
        )
        for e in episodes.episodes_in(s, row.id, since, until) if row else []:
            if e.kind == "outage" and (e.ended_at is None or e.ended_at > until):
                continue
            kinds = ", ".join(k for k in (e.kinds or "").split(",") if k)
            item = EpisodeItem(
                doc.title, doc.url, e.kind, e.started_at, e.ended_at, e.count, e.texts, kinds
            )
            out.append(item)
    return sorted(out, key=lambda i: (i.started, i.title))


def failures(config: Config, s: Session, scope: frozenset[str] | None) -> list[Failure]:
    """Configured documents in ``scope`` that are failing now, longest-failing first."""
    out = []
    for doc in config.documents():
        if not in_scope(scope, doc.provider):
            continue
        row = store.find_document(s, doc.provider, doc.id)
        if row is None:
            continue
        live = [a for a in store.attempts(s, row.id, ATTEMPTS_LOOKED_AT) if a.origin == "live"]
        streak = error_streak(live) or selector_streak(live)
        if streak:
            newest = streak[0]
            out.append(
                Failure(
                    provider_id=doc.provider,
                    title=doc.title,
                    url=doc.url,
                    kind=newest.error_kind or ("selector" if newest.warning else "error"),
                    message=newest.error or newest.warning or "",
                    since=streak[-1].started_at,
                    attempts=len(streak),
                )
            )
    return sorted(out, key=lambda f: (f.since, f.title))


def error_streak(attempts: Sequence[FetchAttempt]) -> list[FetchAttempt]:
    """The failed attempts since the last successful one (``attempts`` newest first)."""
    streak = []
    for attempt in attempts:
        if attempt.outcome != "error":
            break
        streak.append(attempt)
    return streak


def selector_streak(attempts: Sequence[FetchAttempt]) -> list[FetchAttempt]:
    """Attempts warning that clause selectors missed, since the last clean parse.

    Only a parse that records a version (``new_version``/``cosmetic``) without a warning
    proves the selectors match again; unchanged and 304 checks reuse the old parse.
    """
    streak = []
    for attempt in attempts:
        if attempt.warning:
            streak.append(attempt)
        elif attempt.outcome in ("new_version", "cosmetic"):
            break
    return streak


def build(
    config: Config, s: Session, since: datetime | None, now: datetime
) -> list[tuple[str, Rendered]]:
    """The digest's messages for each recipient (one, or numbered parts when it would be
    over ``max_message_bytes``; ``[email]`` must be configured)."""
    assert config.email is not None
    start = period_start(s, now, since)
    limit = config.email.max_message_bytes
    return [
        (addr, message)
        for addr, scope in recipients(config.email).items()
        for message in digest_within(collect(config, s, start, now, scope), limit)
    ]


def preview(config: Config, sessions: SessionFactory, since: datetime | None = None) -> Rendered:
    """The full (unscoped) digest as it would be sent now; nothing is recorded."""
    now = utcnow()
    with sessions() as s:
        return render_digest(collect(config, s, period_start(s, now, since), now))


def queue_digest(
    config: Config, sessions: SessionFactory, since: datetime | None = None
) -> list[int]:
    """Queue the digest for every recipient and record it in ``digests`` (one transaction)."""
    if config.email is None:
        raise NotifyError(f"{config.path}: no [email] section: the digest has nobody to go to")
    now = utcnow()
    ids = []
    with sessions.begin() as s:
        start = period_start(s, now, since)
        for addr, message in build(config, s, start, now):
            row = queue_message(s, "digest", addr, message, config.email.sender, now)
            s.add(Digest(period_start=start, period_end=now, outbox_id=row.id))
            ids.append(row.id)
    return ids


def run_digest(config: Config, sessions: SessionFactory) -> None:
    """The scheduled digest (daemon): queue it, then send; problems are logged, not raised."""
    if config.email is None:
        log.warning("digest: no [email] section in %s: no digest sent", config.path)
        return
    ids = queue_digest(config, sessions)
    log.info("digest: queued %d message(s)", len(ids))
    send_logged(config, sessions, "digest")
