"""Read-side views of the history as plain, JSON-ready dicts (the CLI's JSON contracts).

The CLI prints these as JSON with ``--json`` or renders them for people; the
digest and status commands reuse them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from . import store
from .diff import unified
from .errors import TosmonError
from .models import Change, Document, Version


class NotFound(TosmonError):
    """The document, version or clause asked for is not in the database."""


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def require_document(s: Session, provider: str, document: str) -> Document:
    row = store.find_document(s, provider, document)
    if row is None:
        raise NotFound(
            f"no history for {provider}/{document} yet: run `tosmon check` "
            f"(or `tosmon backfill`) first, or check the ids with `tosmon sources list`"
        )
    return row


def change_dict(change: Change) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(change.summary)
    data["origin"] = change.origin
    return data


def document_history(s: Session, provider: str, document: str) -> dict[str, Any]:
    """``history --json``: every version oldest first, each with the change leading to it."""
    row = require_document(s, provider, document)
    changes = store.changes_by_version(s, row.id)
    out = []
    for n, v in enumerate(store.versions(s, row.id), 1):
        change = changes.get(v.id)
        out.append(
            {
                "version": n,
                "captured_at": _iso(v.captured_at),
                "text_sha256": v.text_sha256,
                "origin": v.origin,
                "change": change_dict(change) if change else None,
            }
        )
    return {"provider": provider, "document": document, "versions": out}


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
    version = store.latest_version(s, row.id) if at is None else store.version_at(s, row.id, at)
    if version is None:
        raise NotFound(f"{provider}/{document} has no version captured at or before {at}")
    texts = store.clause_texts(s, version.id)
    clauses: dict[str, Any] = {k: None for k in keys}
    for key, ct in texts.items():
        clauses[key] = {"text": ct.text, "source": ct.source}
    return {
        "provider": provider,
        "document": document,
        "version": store.version_numbers(s, row.id)[version.id],
        "captured_at": _iso(version.captured_at),
        "clauses": clauses,
    }


def clause_history(
    s: Session, key: str, provider: str | None = None, document: str | None = None
) -> dict[str, Any]:
    """``history --clause KEY --json``: when that clause changed, newest first, with diffs."""
    document_id = require_document(s, provider, document).id if provider and document else None
    numbers: dict[int, dict[int, int]] = {}
    changes = []
    for row in store.clause_history(s, key, document_id):
        doc_numbers = numbers.setdefault(
            row.change.document_id, store.version_numbers(s, row.change.document_id)
        )
        summary = change_dict(row.change)
        clause_diff = summary.get("clause_diffs", {}).get(key, {})
        changes.append(
            {
                "provider": row.provider,
                "document": row.document,
                "version": doc_numbers.get(row.change.to_version_id),
                "captured_at": _iso(row.captured_at),
                "kind": summary["kind"],
                "severity": summary.get("severity"),
                "summary": summary.get("summary"),
                "facts": [f for f in summary.get("facts", []) if f.get("clause") == key],
                "added": clause_diff.get("added", []),
                "removed": clause_diff.get("removed", []),
                "modified": clause_diff.get("modified", []),
                "before": row.before,
                "after": row.after,
                "diff": unified(row.before or "", row.after or "", "before", "after"),
            }
        )
    out: dict[str, Any] = {"clause": key, "changes": changes}
    if document_id is not None:
        out = {"provider": provider, "document": document, **out}
    return out
