"""Read-side views of the history as plain, JSON-ready dicts (the CLI's JSON contracts).

The CLI prints these as JSON with ``--json`` or renders them for people; the
digest and status commands reuse them.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from . import readings, store
from .diff import diff_sentences, unified
from .errors import TosmonError
from .models import Change, Document, Version
from .timefmt import iso


class NotFound(TosmonError):
    """The document, version or clause asked for is not in the database."""


_iso = iso


def before_history(what: str, at: datetime, first: Version | None) -> NotFound:
    """``--at`` earlier than the first version: say when the history starts."""
    if first is None:
        return NotFound(f"no versions stored for {what}")
    return NotFound(
        f"{what} has no version at or before {iso(at)}: its history starts with v1, "
        f"captured {iso(first.captured_at)} (`--at {first.captured_at:%Y-%m-%d}` or later; "
        f"`tosmon backfill` fetches older captures from the archive)"
    )


def require_document(s: Session, provider: str, document: str) -> Document:
    row = store.find_document(s, provider, document)
    if row is None:
        raise NotFound(
            f"no history for {provider}/{document} yet: run `tosmon check` "
            f"(or `tosmon backfill`) first, or check the ids with `tosmon sources list`"
        )
    return row


def change_dict(change: Change, numbers: dict[int, int] | None = None) -> dict[str, Any]:
    """A stored change's summary (one stored by release 0.1 lists no position changes); a
    ``revert`` names the version it returns to (``reverts_to``, a version number when
    ``numbers`` maps version ids to them)."""
    return summary_dict(change.summary, change.origin, change.kind, change.reverts_to_id, numbers)


def summary_dict(
    summary: str,
    origin: str,
    kind: str,
    reverts_to_id: int | None,
    numbers: dict[int, int] | None = None,
) -> dict[str, Any]:
    """``change_dict`` of a change given by its columns."""
    data: dict[str, Any] = json.loads(summary)
    data.setdefault("positions", [])
    data.setdefault("subprocessors", {"added": [], "removed": []})
    data["origin"] = origin
    if kind == "revert":
        data["reverts_to"] = (
            (numbers or {}).get(reverts_to_id) if reverts_to_id is not None else None
        )
    return data


def document_history(s: Session, provider: str, document: str) -> dict[str, Any]:
    """``history --json``: every version oldest first, each with the change leading to it."""
    row = require_document(s, provider, document)
    changes = store.changes_by_version(s, row.id)
    numbers = store.version_numbers(s, row.id)
    versions = store.versions(s, row.id)
    out = []
    for n, v in enumerate(versions, 1):
        change = changes.get(v.id)
        out.append(
            {
                "version": n,
                "captured_at": _iso(v.captured_at),
                "text_sha256": v.text_sha256,
                "origin": v.origin,
                "change": change_dict(change, numbers) if change else None,
            }
        )
    improved = [
        {
            "version": numbers.get(r.version_id),
            "captured_at": _iso(r.captured_at),
            "reextracted_at": _iso(r.created_at),
            "origin": r.origin,
            **json.loads(r.summary),
        }
        for r in readings.reextractions(s, row.id)
    ]
    return {
        "provider": provider,
        "document": document,
        "versions": out,
        "reextractions": improved,
    }


def pick_version(versions: Sequence[Version], n: int | None, what: str) -> Version:
    if not versions:
        raise NotFound(f"no versions stored for {what}")
    if n is None:
        return versions[-1]
    if not 1 <= n <= len(versions):
        raise NotFound(f"{what} has versions 1..{len(versions)}, not {n}")
    return versions[n - 1]


def clauses_at(
    s: Session, provider: str, document: str, keys: Sequence[str], at: datetime | None
) -> dict[str, Any]:
    """``clauses --json``: the clause texts in force at ``at`` (default: latest)."""
    row = require_document(s, provider, document)
    if at is None:
        version = store.latest_version(s, row.id)
    else:
        version, first = store.neighbours(s, row.id, at)
        if version is None:
            raise before_history(f"{provider}/{document}", at, first)
    if version is None:
        raise NotFound(f"no versions stored for {provider}/{document}")
    from .positions import POSITION_KEYS, position_to_json  # not imported by `history`

    texts = store.clause_texts(s, version.id)
    clauses: dict[str, Any] = {k: None for k in keys}
    for key, ct in texts.items():
        clauses[key] = {"text": ct.text, "source": ct.source}
    positions = readings.of_version(s, version)
    return {
        "provider": provider,
        "document": document,
        "version": store.version_numbers(s, row.id)[version.id],
        "captured_at": _iso(version.captured_at),
        "positions": {k: position_to_json(positions[k]) for k in POSITION_KEYS},
        "clauses": clauses,
    }


def clause_history(
    s: Session,
    key: str,
    provider: str | None = None,
    document: str | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """``history --clause KEY --json``: when that clause changed, newest first, with diffs.

    ``limit`` keeps the newest changes only (``total`` still counts them all).
    """
    document_id = require_document(s, provider, document).id if provider and document else None
    with acyclic():
        changes = _clause_changes(s, key, document_id, limit)
    total = store.count_clause_changes(s, key, document_id)
    out: dict[str, Any] = {"clause": key, "total": total, "changes": changes}
    if document_id is not None:
        out = {"provider": provider, "document": document, **out}
    return out


@contextmanager
def acyclic() -> Iterator[None]:
    """The cyclic garbage collector paused while a history builds its rows: ~10 objects a
    change and none in a cycle (nothing to collect), but the collector's passes over them
    as they pile up took ~⅙ of a 10,000-change history."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _clause_changes(
    s: Session, key: str, document_id: int | None, limit: int | None
) -> list[dict[str, Any]]:
    numbers: dict[int, dict[int, int]] = {}
    changes = []
    for row in store.clause_history(s, key, document_id, limit):
        if row.document_id not in numbers:  # once per document, not once per row
            numbers[row.document_id] = store.version_numbers(s, row.document_id)
        part = row.part
        changes.append(
            {
                "provider": row.provider,
                "document": row.document,
                "version": numbers[row.document_id].get(row.to_version_id),
                "captured_at": row.captured_at,
                "kind": part["kind"],
                "severity": part["severity"],
                "summary": part["summary"],
                "facts": part["facts"],
                "added": part["added"],
                "removed": part["removed"],
                "modified": part["modified"],
                "before": row.before,
                "after": row.after,
                "diff": unified(row.before or "", row.after or "", "before", "after"),
            }
        )
    return changes


# -- tosmon diff -----------------------------------------------------------------------------


def version_pair(
    versions: Sequence[Version], from_n: int | None, to_n: int | None, what: str
) -> tuple[tuple[int, Version], tuple[int, Version]]:
    """The ``(number, version)`` pair ``diff`` compares: ``to_n`` (default: the latest) and
    ``from_n`` (default: the version just before it)."""
    new = pick_version(versions, to_n, what)
    new_n = versions.index(new) + 1
    if from_n is None and new_n == 1:
        raise NotFound(f"{what} has only one version: nothing to diff")
    old = pick_version(versions, from_n if from_n is not None else new_n - 1, what)
    return (versions.index(old) + 1, old), (new_n, new)


def _label(n: int, version: Version, clause: str | None = None) -> str:
    return f"v{n}{f' {clause}' if clause else ''} {version.captured_at:%Y-%m-%d %H:%M}"


def clause_diff(
    s: Session, old: tuple[int, Version], new: tuple[int, Version], key: str
) -> dict[str, Any]:
    """One clause's text in both versions (``None``: not addressed), sentence and line diffs."""
    before = store.clause_texts(s, old[1].id).get(key)
    after = store.clause_texts(s, new[1].id).get(key)
    old_text, new_text = before.text if before else None, after.text if after else None
    return {
        "key": key,
        "before": old_text,
        "after": new_text,
        **diff_sentences(old_text or "", new_text or "").as_dict(),
        "diff": unified(
            old_text or "", new_text or "", _label(*old, clause=key), _label(*new, clause=key)
        ),
    }


def version_diff(
    s: Session,
    provider: str,
    document: str,
    from_n: int | None = None,
    to_n: int | None = None,
    clause: str | None = None,
) -> dict[str, Any]:
    """``diff --json``: the change summary between two versions (``history --json``'s change
    object: kind, severity, clauses, summary, added/removed/modified, facts), the versions
    compared, the line diff, and with ``clause`` that clause's texts and diffs.
    ``kind`` is ``None`` when the two versions have the same text."""
    from .summary import summarize  # positions and their readers: not imported by `history`

    row = require_document(s, provider, document)
    versions = store.versions(s, row.id)
    old, new = version_pair(versions, from_n, to_n, f"{provider}/{document}")
    stored = store.change_to(s, new[1].id)
    change: dict[str, Any]
    if stored is not None and stored.kind == "revert" and stored.from_version_id == old[1].id:
        change = change_dict(stored, {v.id: n for n, v in enumerate(versions, 1)})
        del change["origin"]
    elif old[1].text == new[1].text:
        change = {
            **summarize("", "", {}, {}).as_dict(),
            "kind": None,
            "summary": "The two versions have the same text.",
        }
    else:
        change = summarize(
            old[1].text,
            new[1].text,
            readings.clause_map(s, old[1]),
            readings.clause_map(s, new[1]),
            readings.of_version(s, old[1]),
            readings.of_version(s, new[1]),
        ).as_dict()
    return {
        "provider": provider,
        "document": document,
        "from": {"version": old[0], "captured_at": _iso(old[1].captured_at)},
        "to": {"version": new[0], "captured_at": _iso(new[1].captured_at)},
        **change,
        "diff": unified(old[1].text, new[1].text, _label(*old), _label(*new)),
        "clause": clause_diff(s, old, new, clause) if clause else None,
    }
