"""The weekly digest's view-model, read top-down. Pure: no I/O.

1. an overview: changes counted by severity, backfilled history, cosmetic ones, failures;
2. a table of the period's **position changes** (document, position, before → after, date);
3. the failing documents;
4. providers → documents, highest severity first, each change once with the clauses it
   touched in its header (and a document's effective date when it moved);
5. one closing line naming the watched documents that did not change.

Each section is one key of the context and one block of the templates, so more sections
(failure episodes, reverts) slot in without touching the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .position_text import position_changes
from .render import (
    SEVERITY_ORDER,
    ChangeItem,
    DigestData,
    Rendered,
    change_view,
    day,
    render,
    safe_url,
    subject_line,
    top_severity,
    when,
)

SEVERITIES = ("high", "medium", "low")


def digest_subject(data: DigestData) -> str:
    period = f"{day(data.period_start)} – {day(data.period_end)}"
    n = len(data.changes) - returns(data.changes)
    what = "no changes" if n == 0 else f"{n} change{'s' if n != 1 else ''}"
    if back := returns(data.changes):
        what += f", {back} return{'s' if back != 1 else ''} to earlier texts"
    highs = sum(1 for c in data.changes if c.severity == "high")
    if highs:
        what += f" ({highs} high)"
    if data.failures:
        k = len(data.failures)
        what += f", {k} failing document{'s' if k != 1 else ''}"
    return subject_line(f"[tos-monitor] Weekly digest {period}: {what}")


def returns(changes: Sequence[ChangeItem]) -> int:
    """How many of ``changes`` are returns to an earlier text (stored, never alerted)."""
    return sum(1 for c in changes if c.summary.get("kind") == "revert")


def overview(data: DigestData) -> dict[str, Any]:
    """Counts for the opening paragraph."""
    return {
        "count": len(data.changes) - returns(data.changes),
        "returns": returns(data.changes),
        "by_severity": [
            {"severity": sev, "count": n}
            for sev in SEVERITIES
            if (n := sum(1 for c in data.changes if c.severity == sev))
        ],
        "history": sum(1 for c in data.changes if c.origin != "live"),
        "cosmetic": data.cosmetic,
        "failing": len(data.failures),
        "documents": data.documents,
    }


def position_rows(changes: Sequence[ChangeItem]) -> list[dict[str, Any]]:
    """One row per position a change moved, oldest first."""
    rows = []
    for item in sorted(changes, key=lambda c: c.captured_at):
        for p in position_changes(item.summary):
            rows.append(
                {
                    "document": item.title,
                    "position": p.label,
                    "before": p.before,
                    "after": p.after,
                    "date": day(item.captured_at),
                    "history": item.origin != "live",
                }
            )
    return rows


def _rank(items: Sequence[ChangeItem]) -> tuple[int, int]:
    """Highest severity first, then more changes first."""
    return SEVERITY_ORDER.get(top_severity(items) or "", 9), -len(items)


def effective_move(items: Sequence[ChangeItem]) -> str | None:
    """``2025-06-17 → 2025-10-08`` when the document's effective date moved in ``items``."""
    moves = [
        p
        for item in sorted(items, key=lambda c: c.captured_at)
        for p in position_changes(item.summary)
        if p.key == "effective_date"
    ]
    return f"{moves[0].before} → {moves[-1].after}" if moves else None


def document_view(items: Sequence[ChangeItem]) -> dict[str, Any]:
    """One document's changes (``items``, newest first), each shown once."""
    first = items[0]
    return {
        "document": first.document,
        "tier": first.tier,
        "url": safe_url(first.url),
        "url_text": first.url,
        "severity": (top_severity(items) or "").upper(),
        "effective": effective_move(items),
        "changes": [change_view(item) for item in items],
    }


def provider_groups(changes: Sequence[ChangeItem]) -> list[dict[str, Any]]:
    """provider → document → changes (newest first); providers and documents ordered by
    their highest severity, then by how many changes they have."""
    by_provider: dict[str, dict[str, list[ChangeItem]]] = {}
    for item in changes:
        by_provider.setdefault(item.provider, {}).setdefault(item.document, []).append(item)
    providers = []
    for provider, docs in by_provider.items():
        ordered = sorted(docs.values(), key=_rank)
        every = [i for items in ordered for i in items]
        providers.append(
            (
                _rank(every),
                {
                    "provider": provider,
                    "severity": (top_severity(every) or "").upper(),
                    "documents": [document_view(items) for items in ordered],
                },
            )
        )
    return [group for _, group in sorted(providers, key=lambda pair: pair[0])]


def unchanged(data: DigestData) -> list[str]:
    """Titles of the watched documents without a substantive change in the period."""
    changed = {(c.provider_id, c.document_id) for c in data.changes}
    return [title for p, d, title in data.watched if (p, d) not in changed]


def failure_views(data: DigestData) -> list[dict[str, Any]]:
    return [
        {
            "title": f.title,
            "url": safe_url(f.url),
            "url_text": f.url,
            "kind": f.kind,
            "message": f.message,
            "since": when(f.since),
            "attempts": f.attempts,
        }
        for f in data.failures
    ]


def episode_views(data: DigestData) -> list[dict[str, Any]]:
    """Outages that ended in the period and flip-flops going on in it."""
    return [
        {
            "title": e.title,
            "url_text": e.url,
            "kind": e.kind,
            "started": when(e.started),
            "ended": when(e.ended),
            "count": e.count,
            "texts": e.texts,
            "error_kinds": e.error_kinds,
        }
        for e in data.episodes
    ]


def digest_context(data: DigestData) -> dict[str, Any]:
    """Everything the digest templates show, one key per section."""
    return {
        "start": day(data.period_start),
        "end": day(data.period_end),
        "overview": overview(data),
        "position_changes": position_rows(data.changes),
        "failures": failure_views(data),
        "episodes": episode_views(data),
        "groups": provider_groups(data.changes),
        "unchanged": unchanged(data),
        "readings": [
            {"document": r.title, "captured": day(r.captured_at), "summary": r.summary}
            for r in data.readings
        ],
    }


def render_digest(data: DigestData) -> Rendered:
    """The weekly digest, top-down (see the module docstring), or its short quiet form."""
    return render("digest", digest_subject(data), digest_context(data))
