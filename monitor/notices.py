"""Notices about tracking itself: "tracking broken", "tracking recovered", "flapping".

``episodes`` marks a notice ``pending`` in the transaction of the check that caused it;
``queue_notices`` turns every pending notice into one outbox message per recipient (the
recipients of alerts, scoped by provider the same way) and marks it ``queued`` in the
same transaction, so each is sent exactly once through the durable outbox.

Which notices mail at once under ``[email] alerts``: broken/recovered unless ``none``;
a flapping notice like a change of its severity (``all``, or ``high`` when what differs
between the texts is a high change); the others are ``skipped`` and the digest lists
the episode.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from . import episodes
from .db import SessionFactory
from .model import Config, EmailSettings
from .models import Document, Episode
from .notify import in_scope, queue_message, recipients, utcnow
from .render import Rendered, diff_view, render, safe_url, subject_line, when

NoticeKind = Literal["broken", "recovered", "flapping"]

HINTS: dict[str, str] = {
    "http": "the URL may have moved (404/410) or the server refuses us: open it in a "
    "browser and update `url` in sources.toml",
    "redirect": "the page redirects somewhere unexpected: check where the URL leads now",
    "connect": "the host refuses connections or does not resolve: is the site down or the "
    "domain changed?",
    "timeout": "the server is too slow: raise `timeout`, or check whether it blocks us",
    "too_large": "the page is larger than `max_bytes`",
    "text_too_large": "the page's text is larger than `max_text_bytes`: raise it in "
    "[monitor], or narrow `select` to the terms",
    "selector": "the page layout changed: `select` matches nothing; update the selectors",
    "collapsed": "the page came back empty or as a bot challenge / error page: we may be "
    "blocked (check the user agent and request rate)",
    "protocol": "the server broke the HTTP protocol (e.g. a 304 to a first request)",
}
GENERAL_HINT = "check that the URL still serves the document and that `select` matches it"


@dataclass(frozen=True)
class Notice:
    """One episode's notice, ready to render (names from sources.toml)."""

    kind: NoticeKind
    provider_id: str
    title: str
    url: str
    episode: Episode


def notice_kind(episode: Episode, which: Literal["open", "close"]) -> NoticeKind:
    if episode.kind == "flapping":
        return "flapping"
    return "broken" if which == "open" else "recovered"


def sends(settings: EmailSettings, kind: NoticeKind, severity: str | None) -> bool:
    """Whether a notice mails at once under ``[email] alerts`` (else: digest only)."""
    if settings.alerts == "none":
        return False
    if kind != "flapping":
        return True
    return settings.alerts == "all" or severity == "high"


def queue_notices(config: Config, sessions: SessionFactory, now: datetime | None = None) -> int:
    """Queue one message per pending notice and recipient; return the messages queued."""
    settings = config.email
    if settings is None:
        return 0
    now = now or utcnow()
    queued = 0
    with sessions.begin() as s:
        for episode, doc, which in episodes.pending_notices(s):
            notice = _notice(config, episode, doc, notice_kind(episode, which))
            go = sends(settings, notice.kind, episode.severity)
            state = "queued" if go else "skipped"
            if which == "open":
                episode.open_alert = state
            else:
                episode.close_alert = state
            if not go:
                continue
            message = render_notice(notice, now)
            for addr, scope in recipients(settings).items():
                if in_scope(scope, notice.provider_id):
                    queue_message(s, "notice", addr, message, settings.sender, now)
                    queued += 1
    return queued


def pending_count(s: Session) -> int:
    return len(episodes.pending_notices(s))


def _notice(config: Config, episode: Episode, doc: Document, kind: NoticeKind) -> Notice:
    found = config.documents(doc.provider, doc.slug)
    title = found[0].title if found else f"{doc.provider}/{doc.slug}"
    return Notice(kind, doc.provider, title, found[0].url if found else doc.url, episode)


# -- rendering ---------------------------------------------------------------------------


def duration(delta: timedelta) -> str:
    """``3 days 4 h``, ``2 h 5 min``, ``5 h``, ``12 min`` (at least ``1 min``)."""
    minutes = max(1, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {mins} min" if mins else "")
    return f"{mins} min"


def notice_view(notice: Notice, now: datetime) -> dict[str, Any]:
    """What the notice templates show."""
    e = notice.episode
    kinds = [k for k in (e.kinds or "").split(",") if k]
    view: dict[str, Any] = {
        "kind": notice.kind,
        "title": notice.title,
        "url": safe_url(notice.url),
        "url_text": notice.url,
        "since": when(e.started_at),
        "count": e.count,
        "error_kind": e.error_kind or "",
        "error_kinds": ", ".join(kinds),
        "message": e.error or "",
        "hints": [HINTS[k] for k in kinds if k in HINTS] or [GENERAL_HINT],
        "ended": when(e.ended_at),
        "lasted": duration((e.ended_at or now) - e.started_at),
        "text_changed": bool(e.text_changed),
        "texts": e.texts,
        "severity": (e.severity or "").upper(),
    }
    if notice.kind == "flapping":
        detail: dict[str, Any] = json.loads(e.detail or "{}")
        view["diff"] = diff_view(detail)
        view["clauses"] = list(detail.get("clauses") or [])
    return view


def notice_subject(notice: Notice, view: dict[str, Any]) -> str:
    prefix = "[tos-monitor] "
    if notice.kind == "broken":
        return subject_line(
            f"{prefix}Tracking broken: {notice.title} — {view['error_kind']} since {view['since']}"
        )
    if notice.kind == "recovered":
        return subject_line(
            f"{prefix}Tracking recovered: {notice.title} — was broken for {view['lasted']}"
        )
    return subject_line(
        f"{prefix}Flapping: {notice.title} alternates between {view['texts']} texts"
    )


def render_notice(notice: Notice, now: datetime) -> Rendered:
    view = notice_view(notice, now)
    return render("notice", notice_subject(notice, view), {"n": view})
