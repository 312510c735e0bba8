"""Stored histories in a comparable form, for tests that compare two databases."""

from __future__ import annotations

from postgres import opened

from monitor import store
from monitor.archive import format_timestamp

Row = tuple[str, str, str | None, str | None, str | None]


def document_histories(url: str) -> dict[str, list[Row]]:
    """Per document slug, oldest first: (captured_at, text hash, change kind, severity,
    captured_at of the version the change is from)."""
    out: dict[str, list[Row]] = {}
    with opened(url) as sessions, sessions() as s:
        for d in store.all_documents(s):
            versions = store.versions(s, d.id)
            at = {v.id: format_timestamp(v.captured_at) for v in versions}
            changes = store.changes_by_version(s, d.id)
            rows: list[Row] = []
            for v in versions:
                change = changes.get(v.id)
                rows.append(
                    (
                        at[v.id],
                        store.sha256(v.text),
                        change.kind if change else None,
                        change.severity if change else None,
                        at.get(change.from_version_id) if change else None,
                    )
                )
            out[d.slug] = rows
    return out
