"""Returns, flip-flops and broken tracking: the queries and bookkeeping behind them.

Everything here runs inside the caller's transaction (the document's check, see
``pipeline``), so an episode opens, grows and closes together with the attempt or the
version that caused it, and its notice is marked ``pending`` in the same commit:
``notices`` turns pending notices into outbox rows exactly once.

* A *revert* is a version whose text equals one of the document's recent versions (the
  last ``revert_window`` before it, seen within ``revert_days``).
* A *flapping* episode opens at the second revert within that window (one notice) and
  closes when the page settles on a text not seen recently (a real change) or after
  ``revert_days`` without a revert.
* An *outage* covers consecutive failed live checks, whatever their error kinds; its
  "tracking broken" notice is due when the ``alert_after_failures``-th failure is recorded,
  and "tracking recovered" on the next success (only if "broken" was told).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import store
from .model import AlertRules
from .models import Change, Document, Episode, Version

EpisodeKind = Literal["outage", "flapping"]


# -- reverts -----------------------------------------------------------------------------


def returned_to(
    s: Session, document_id: int, before: Version, text_sha256: str, at: datetime, rules: AlertRules
) -> Version | None:
    """The recent version before ``before`` whose text is ``text_sha256``: the oldest such
    within the window, so each return of an A/B flip names the same version."""
    recent = s.scalars(
        select(Version)
        .where(Version.document_id == document_id, Version.captured_at <= before.captured_at)
        .order_by(Version.captured_at.desc(), Version.id.desc())
        .limit(rules.revert_window + 1)  # ``before`` itself is the first and never matches
    )
    oldest = at - timedelta(days=rules.revert_days)
    matches = [
        v
        for v in recent
        if v.id != before.id and v.text_sha256 == text_sha256 and v.captured_at >= oldest
    ]
    return matches[-1] if matches else None


def recent_reverts(s: Session, document_id: int, at: datetime, rules: AlertRules) -> list[Change]:
    """Reverts among the document's last ``revert_window`` changes up to ``at``, within
    ``revert_days``, newest first."""
    changes = s.scalars(
        select(Change)
        .where(Change.document_id == document_id, Change.captured_at <= at)
        .order_by(Change.captured_at.desc(), Change.id.desc())
        .limit(rules.revert_window)
    )
    oldest = at - timedelta(days=rules.revert_days)
    return [c for c in changes if c.kind == "revert" and c.captured_at >= oldest]


# -- episodes ----------------------------------------------------------------------------


def open_episode(s: Session, document_id: int, kind: EpisodeKind) -> Episode | None:
    return s.scalars(
        select(Episode)
        .where(Episode.document_id == document_id, Episode.kind == kind, Episode.ended_at.is_(None))
        .order_by(Episode.id.desc())
        .limit(1)
    ).first()


def after_change(
    s: Session, document_id: int, change: Change, summary: Mapping[str, Any], rules: AlertRules
) -> Episode | None:
    """Open, grow or close the flapping episode after ``change`` was recorded live.

    Returns the episode when ``change`` opened one (its notice is then pending).
    """
    episode = open_episode(s, document_id, "flapping")
    at = change.captured_at
    if episode is not None and (
        change.kind == "substantive" or episode.last_at < at - timedelta(days=rules.revert_days)
    ):
        episode.ended_at = at if change.kind == "substantive" else episode.last_at
        episode = None
    if change.kind != "revert":
        return None
    if episode is not None:
        episode.last_at, episode.count = at, episode.count + 1
        episode.texts = distinct_texts(s, recent_reverts(s, document_id, at, rules))
        return None
    reverts = recent_reverts(s, document_id, at, rules)
    if len(reverts) < 2:
        return None
    episode = Episode(
        document_id=document_id,
        kind="flapping",
        started_at=reverts[-1].captured_at,
        last_at=at,
        count=len(reverts),
        texts=distinct_texts(s, reverts),
        severity=summary.get("severity"),
        detail=json.dumps(summary),
        open_alert="pending" if change.origin == "live" else "none",
        close_alert="none",
    )
    s.add(episode)
    s.flush()
    return episode


def distinct_texts(s: Session, reverts: Sequence[Change]) -> int:
    """How many different texts the page alternated between in ``reverts``."""
    ids = {vid for c in reverts for vid in (c.from_version_id, c.to_version_id)}
    rows = s.scalars(select(Version.text_sha256).where(Version.id.in_(ids)))
    return len(set(rows))


def after_failure(
    s: Session, document_id: int, at: datetime, kind: str, message: str, rules: AlertRules
) -> Episode:
    """Count a failed live check into the document's open outage (opening one)."""
    episode = open_episode(s, document_id, "outage")
    if episode is None:
        episode = Episode(
            document_id=document_id,
            kind="outage",
            started_at=at,
            last_at=at,
            count=0,
            texts=0,
            kinds="",
            open_alert="none",
            close_alert="none",
        )
        s.add(episode)
    kinds = [k for k in (episode.kinds or "").split(",") if k]
    episode.kinds = ",".join(kinds if kind in kinds else [*kinds, kind])
    episode.count += 1
    episode.last_at, episode.error_kind, episode.error = at, kind, message
    if episode.count >= rules.alert_after_failures and episode.open_alert == "none":
        episode.open_alert = "pending"
    s.flush()
    return episode


def after_success(s: Session, document_id: int, at: datetime, text_changed: bool) -> None:
    """A good live check ends the open outage; "recovered" is due if "broken" was."""
    if store.created_here(s, document_id):
        return  # the document's first check: no outage to end
    episode = open_episode(s, document_id, "outage")
    if episode is None:
        return
    episode.ended_at, episode.text_changed = at, text_changed
    if episode.open_alert != "none":
        episode.close_alert = "pending"
    s.flush()


def pending_notices(s: Session) -> list[tuple[Episode, Document, Literal["open", "close"]]]:
    """Episodes whose opening or closing notice awaits queueing, oldest first."""
    q = (
        select(Episode, Document)
        .join(Document, Episode.document_id == Document.id)
        .where((Episode.open_alert == "pending") | (Episode.close_alert == "pending"))
        .order_by(Episode.id)
    )
    out: list[tuple[Episode, Document, Literal["open", "close"]]] = []
    for episode, doc in s.execute(q):
        if episode.open_alert == "pending":
            out.append((episode, doc, "open"))
        if episode.close_alert == "pending":
            out.append((episode, doc, "close"))
    return out


def episodes_in(
    s: Session, document_id: int, since: datetime | None, until: datetime
) -> list[Episode]:
    """The document's episodes that were going on at some time in (since, until]."""
    q = select(Episode).where(Episode.document_id == document_id, Episode.started_at <= until)
    if since is not None:
        q = q.where(Episode.ended_at.is_(None) | (Episode.ended_at > since))
    return list(s.scalars(q.order_by(Episode.started_at, Episode.id)))
