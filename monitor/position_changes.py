"""What changed in a document's positions, and in its list of subprocessors. Pure: no I/O.

``position_changes`` compares two versions' positions (``positions.read_positions``) key by
key: a value or a scope that differs is a change; evidence sentences that differ alone are
not (the same rule, reworded). ``subprocessor_list_changes`` compares the list items (and
table rows) of the subprocessors clause: a provider added to or removed from the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .diff import diff_sentences
from .model import blocks_from_text
from .position_text import label, value_text
from .positions import POSITION_KEYS, Position, PositionKey, PositionValue, position_to_json


@dataclass(frozen=True)
class PositionChange:
    """One position whose value or scope differs between two versions."""

    key: PositionKey
    before: PositionValue
    after: PositionValue
    scope_before: tuple[str, ...] | None = None
    scope_after: tuple[str, ...] | None = None
    evidence_before: tuple[str, ...] = ()
    evidence_after: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        old = position_to_json(
            Position(self.key, self.before, self.evidence_before, self.scope_before)
        )
        new = position_to_json(
            Position(self.key, self.after, self.evidence_after, self.scope_after)
        )
        return {
            "key": self.key,
            "before": old["value"],
            "after": new["value"],
            "scope_before": old["scope"],
            "scope_after": new["scope"],
            "evidence_before": old["evidence"],
            "evidence_after": new["evidence"],
        }


@dataclass(frozen=True)
class ListChange:
    """Entries added to and removed from the subprocessors clause's list."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)

    def as_dict(self) -> dict[str, list[str]]:
        return {"added": list(self.added), "removed": list(self.removed)}


def position_changes(
    old: Mapping[PositionKey, Position], new: Mapping[PositionKey, Position]
) -> tuple[PositionChange, ...]:
    """Positions (in ``POSITION_KEYS`` order) whose value or scope differ."""
    out = []
    for key in POSITION_KEYS:
        a, b = old.get(key, Position(key, None)), new.get(key, Position(key, None))
        if (a.value, a.scope) != (b.value, b.scope):
            out.append(
                PositionChange(key, a.value, b.value, a.scope, b.scope, a.evidence, b.evidence)
            )
    return tuple(out)


def subprocessor_list_changes(old_clause: str | None, new_clause: str | None) -> ListChange:
    """List items / table rows of the subprocessors clause that appeared or vanished.

    An entry reworded in place (a location added to a provider's row) is a modification,
    not an addition: entries are paired like sentences (``diff.diff_sentences``).
    """
    d = diff_sentences(_entries(old_clause), _entries(new_clause))
    return ListChange(tuple(d.added), tuple(d.removed))


def _entries(clause: str | None) -> str:
    """The clause's list entries, one a line."""
    blocks = blocks_from_text(clause or "")
    return "\n".join(b.text for b in blocks if b.kind in ("item", "row"))


# -- wording ---------------------------------------------------------------------------------


def change_phrase(c: PositionChange) -> str:
    """``retention 30 days → 90 days``; ``effective date 2025-06-17 → 2025-10-08``."""
    d = c.as_dict()
    before = value_text(c.key, d["before"], c.scope_before)
    after = value_text(c.key, d["after"], c.scope_after)
    return f"{label(c.key).lower()} {before} → {after}"


def summary_lines(changes: tuple[PositionChange, ...], entries: ListChange) -> list[str]:
    """The sentences that open a change's one-line summary."""
    lines = []
    if changes:
        lines.append("Positions: " + "; ".join(change_phrase(c) for c in changes) + ".")
    if entries.added:
        lines.append("Subprocessors added: " + "; ".join(entries.added) + ".")
    if entries.removed:
        lines.append("Subprocessors removed: " + "; ".join(entries.removed) + ".")
    return lines
