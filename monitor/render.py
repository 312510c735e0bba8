"""Alert and digest emails: view-models built from stored changes, rendered with Jinja2.

Everything shown in a message that came from a fetched page (summaries, sentences,
facts) is untrusted. The HTML templates run with autoescape on, so ``<script>`` or a
``javascript:`` link in a policy page shows as text; no page text ever becomes an
attribute or a link (the only link is the configured http(s) source URL). For the plain
text part every string of the context goes through ``inline`` (control characters, line
breaks and bidi overrides become spaces), so page text cannot forge lines or headers.
Subjects are built here in code and pass through ``inline`` as well: no CR/LF, ever.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import jinja2
import markupsafe

from .diff import cancel_moved
from .model import Config
from .models import Change, Document
from .position_text import position_changes

MAX_SENTENCES = 12  # sentences shown per change; the rest is counted and folded
MAX_SUBJECT = 160
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def inline(value: object) -> str:
    """``value`` as one line of text: control characters, breaks and bidi overrides → space."""
    return _UNSAFE.sub(" ", "" if value is None else str(value))


@dataclass(frozen=True)
class Rendered:
    """One message's content: a header-safe subject and its two bodies."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class ChangeItem:
    """One stored change with what a reader needs to place it (names from sources.toml)."""

    provider_id: str
    provider: str
    document: str
    tier: str | None
    url: str
    captured_at: datetime
    origin: str  # live | archive
    severity: str | None
    summary: Mapping[str, Any]
    document_id: str = ""  # the document's id in sources.toml (for `tosmon diff` hints)
    version: int | None = None  # the number of the version the change leads to

    @property
    def title(self) -> str:
        return f"{self.provider} {self.document}"

    @property
    def diff_command(self) -> str:
        """The command showing this change in full."""
        to = f" --to {self.version}" if self.version else ""
        return f"tosmon diff {self.provider_id} {self.document_id or '…'}{to} --words"


@dataclass(frozen=True)
class Failure:
    """A document whose checks are failing (or whose clause selectors stopped matching)."""

    provider_id: str
    title: str
    url: str
    kind: str  # the fetch/extract error kind, or "selector" for clause misses
    message: str
    since: datetime  # first attempt of the current streak
    attempts: int


@dataclass(frozen=True)
class ReadingItem:
    """A version re-read by ``tosmon reextract``: its reading improved, the page did not
    change (listed apart, never alerted)."""

    title: str
    captured_at: datetime  # the version's
    summary: str


@dataclass(frozen=True)
class EpisodeItem:
    """A stretch of trouble with a document in the digest's period (see ``episodes``)."""

    title: str
    url: str
    kind: str  # outage | flapping
    started: datetime
    ended: datetime | None  # None: still going on
    count: int  # failed checks / returns to an earlier text
    texts: int  # flapping: how many texts it alternates between
    error_kinds: str  # outage: every error kind seen, comma-separated


@dataclass(frozen=True)
class DigestData:
    """Everything a digest reports for one period (already scoped to its recipient)."""

    period_start: datetime | None
    period_end: datetime
    changes: Sequence[ChangeItem]  # substantive, newest first
    cosmetic: int
    failures: Sequence[Failure]
    documents: int  # how many documents are watched (in scope)
    # (provider id, document id, title) of every watched document in scope, in file order
    watched: Sequence[tuple[str, str, str]] = ()
    readings: Sequence[ReadingItem] = ()  # re-extractions made in the period
    episodes: Sequence[EpisodeItem] = ()  # outages that ended, flapping, in the period


def change_item(
    config: Config, change: Change, doc: Document, version: int | None = None
) -> ChangeItem:
    """A ``ChangeItem`` for a stored change (``version``: the number of the version it leads
    to); a document no longer configured keeps its ids."""
    found = config.documents(doc.provider, doc.slug)
    conf = found[0] if found else None
    return ChangeItem(
        provider_id=doc.provider,
        provider=conf.provider_name if conf else doc.provider,
        document=conf.name if conf else doc.slug,
        tier=conf.tier if conf else None,
        url=conf.url if conf else doc.url,
        captured_at=change.captured_at,
        origin=change.origin,
        severity=change.severity,
        summary=json.loads(change.summary),
        document_id=doc.slug,
        version=version,
    )


# -- view-models -------------------------------------------------------------------------


def diff_view(
    part: Mapping[str, Any], command: str = "", limit: int = MAX_SENTENCES
) -> dict[str, Any]:
    """Sentence-level diff of a summary (or of one clause diff): modified sentences as
    word-level ``(op, words)``, then removed and added ones; a sentence both removed and
    added (it only moved) is not shown. At most ``limit`` sentences in all: ``more`` counts
    the rest, ``command`` is what shows them."""
    removed, added = cancel_moved(
        [str(s) for s in part.get("removed") or []], [str(s) for s in part.get("added") or []]
    )
    modified = [
        [(str(op), str(words)) for op, words in m.get("ops") or []]
        or [("delete", str(m.get("before", ""))), ("insert", str(m.get("after", "")))]
        for m in part.get("modified") or []
    ]
    shown_modified = modified[:limit]
    shown_removed = removed[: limit - len(shown_modified)]
    shown_added = added[: limit - len(shown_modified) - len(shown_removed)]
    shown = len(shown_modified) + len(shown_removed) + len(shown_added)
    return {
        "added": shown_added,
        "removed": shown_removed,
        "modified": shown_modified,
        "more": len(modified) + len(removed) + len(added) - shown,
        "command": command or "tosmon diff",
        "empty": not (added or removed or modified),
    }


def safe_url(url: str) -> str | None:
    """``url`` if it is http(s) (the only kind of link a message may contain)."""
    return url if urlsplit(url).scheme in ("http", "https") else None


def when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(moment: datetime | None) -> str:
    return "the beginning" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d")


def change_view(item: ChangeItem) -> dict[str, Any]:
    """What a template shows of one change: position changes first, then facts and diff."""
    s = item.summary
    return {
        "title": item.title,
        "provider": item.provider,
        "document": item.document,
        "tier": item.tier,
        "url": safe_url(item.url),
        "url_text": item.url,
        "observed": when(item.captured_at),
        "history": item.origin != "live",
        "revert": s.get("kind") == "revert",
        "severity": (item.severity or "").upper(),
        "clauses": list(s.get("clauses") or []),
        "summary": s.get("summary") or "",
        "positions": [asdict(p) | {"label": p.label} for p in position_changes(s)],
        "subprocessors": subprocessor_entries(s),
        "facts": list(s.get("facts") or []),
        "diff": diff_view(s, item.diff_command),
    }


def subprocessor_entries(summary: Mapping[str, Any]) -> dict[str, list[str]]:
    """Entries added to / removed from the subprocessors list (empty for older summaries)."""
    raw = summary.get("subprocessors")
    part = raw if isinstance(raw, Mapping) else {}
    return {side: [str(x) for x in part.get(side) or []] for side in ("added", "removed")}


def clause_label(clauses: Sequence[str]) -> str:
    if not clauses:
        return "text changed"
    noun = "clause" if len(clauses) == 1 else "clauses"
    return f"{', '.join(clauses)} {noun} changed"


def top_severity(items: Iterable[ChangeItem]) -> str | None:
    ranked = sorted(
        (i.severity for i in items if i.severity), key=lambda s: SEVERITY_ORDER.get(s, 9)
    )
    return ranked[0] if ranked else None


def subject_line(text: str) -> str:
    """A header-safe subject: one line, collapsed spaces, at most ``MAX_SUBJECT`` characters."""
    line = " ".join(inline(text).split())
    return line if len(line) <= MAX_SUBJECT else line[: MAX_SUBJECT - 1].rstrip(" ,") + "…"


def alert_subject(items: Sequence[ChangeItem]) -> str:
    """``[tos-monitor] HIGH: OpenAI Services Agreement — training clause changed`` (or N)."""
    sev = top_severity(items)
    prefix = f"[tos-monitor] {sev.upper()}: " if sev else "[tos-monitor] "
    if len(items) == 1:
        item = items[0]
        return subject_line(
            f"{prefix}{item.title} — {clause_label(item.summary.get('clauses') or [])}"
        )
    parts = []
    for item in items:
        keys = ", ".join(item.summary.get("clauses") or [])
        parts.append(f"{item.title} ({keys})" if keys else item.title)
    return subject_line(f"{prefix}{len(items)} changes — {', '.join(dict.fromkeys(parts))}")


# -- templates ---------------------------------------------------------------------------


def _load(name: str) -> str | None:
    resource = files("monitor.templates") / name
    return resource.read_text(encoding="utf-8") if resource.is_file() else None


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(value: Any) -> Any:
    """Every value a template prints, without control characters (C0 except tab and
    newline, C1, bidi overrides): ``cat digest.html`` or a mail client never acts on them."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(_CONTROLS.sub("", str(value)))
    if isinstance(value, str):
        return _CONTROLS.sub("", value)
    return value


def _environment(html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        finalize=_visible,
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def inline_all(value: Any) -> Any:
    """Every string inside ``value`` (dicts, lists, tuples) made one safe line."""
    if isinstance(value, str):
        return inline(value)
    if isinstance(value, Mapping):
        return {k: inline_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(inline_all(v) for v in value)
    return value


_HTML = _environment(html=True)
_TEXT = _environment(html=False)


def template(name: str) -> jinja2.Template:
    """A template of ``monitor.templates``; names ending in ``.html.j2`` or ``.atom.j2``
    are autoescaped (page text is shown as text), others are not."""
    escaped = name.endswith((".html.j2", ".atom.j2"))
    return (_HTML if escaped else _TEXT).get_template(name)


def render(name: str, subject: str, context: Mapping[str, Any]) -> Rendered:
    """Render ``NAME.txt.j2`` and ``NAME.html.j2`` with ``context``."""
    ctx = {**context, "subject": subject}
    text = _TEXT.get_template(f"{name}.txt.j2").render(inline_all(ctx))
    html = _HTML.get_template(f"{name}.html.j2").render(ctx)
    return Rendered(subject, re.sub(r"\n{3,}", "\n\n", text), html)


def render_alert(items: Sequence[ChangeItem]) -> Rendered:
    """The immediate alert for ``items`` (substantive live changes), oldest first."""
    return render("alert", alert_subject(items), {"changes": [change_view(item) for item in items]})
