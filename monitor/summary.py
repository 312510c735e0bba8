"""What changed between two versions of a document, for people and for JSON. Pure: no I/O.

``summarize`` classifies the change (cosmetic changes are never alerted), diffs the whole
text and every changed clause at sentence level, compares the two versions' positions
(``positions.read_positions``, see ``position_changes``) and the clauses' facts
(``facts.extract_facts``), grades severity and writes one deterministic line, position
changes first:

    Positions: retention days 30 → 90. Retention clause: 1 sentence modified (30 days →
    90 days).

Severity: ``high`` when a position's value or scope changed (the effective date excepted)
or a subprocessor was added to or removed from the subprocessors clause's list; ``medium``
when a clause's wording changed otherwise; ``low`` when only text outside every clause (or
the effective date alone) changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from .diff import ChangeKind, SentenceDiff, classify, diff_sentences, words
from .facts import QUANTITIES, changed_values, extract_facts
from .model import BUILTIN_CLAUSES, blocks_from_text
from .position_changes import (
    ListChange,
    PositionChange,
    change_phrase,
    position_changes,
    subprocessor_list_changes,
    summary_lines,
)
from .positions import Position, PositionKey, read_positions

Severity = Literal["high", "medium", "low"]
COSMETIC_SUMMARY = "Cosmetic change only (whitespace, punctuation, letter case or line breaks)."
# Two versions of one text: only after a re-extraction read both pages the same way.
SAME_TEXT_SUMMARY = "Same text as the previous version when read with the current rules."
NOT_STATED = "not stated"


@dataclass(frozen=True)
class FactChange:
    """One fact of one clause whose value changed (``None``: not stated)."""

    clause: str
    fact: str
    before: str | None
    after: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "clause": self.clause,
            "fact": self.fact,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class ChangeSummary:
    """The change between two versions; ``as_dict`` is the stored JSON contract."""

    kind: ChangeKind
    severity: Severity | None
    clauses: tuple[str, ...]
    summary: str
    diff: SentenceDiff = field(default_factory=SentenceDiff)
    facts: tuple[FactChange, ...] = ()
    clause_diffs: Mapping[str, SentenceDiff] = field(default_factory=dict)
    positions: tuple[PositionChange, ...] = ()
    subprocessors: ListChange = field(default_factory=ListChange)

    def as_dict(self) -> dict[str, Any]:
        whole = self.diff.as_dict()
        return {
            "kind": self.kind,
            "severity": self.severity,
            "clauses": list(self.clauses),
            "summary": self.summary,
            "added": whole["added"],
            "removed": whole["removed"],
            "modified": whole["modified"],
            "facts": [f.as_dict() for f in self.facts],
            "clause_diffs": {k: d.as_dict() for k, d in self.clause_diffs.items()},
            "positions": [p.as_dict() for p in self.positions],
            "subprocessors": self.subprocessors.as_dict(),
        }


def summarize(
    old_text: str,
    new_text: str,
    old_clauses: Mapping[str, str],
    new_clauses: Mapping[str, str],
    old_positions: Mapping[PositionKey, Position] | None = None,
    new_positions: Mapping[PositionKey, Position] | None = None,
) -> ChangeSummary:
    """Summarize the change from ``old_text`` to ``new_text``.

    Clause maps hold clause key → clause text (an absent key is an absent clause); positions
    not given are read from the texts and clauses. Whether a change is cosmetic is decided
    on the whole text, so a clause boundary moving without the wording changing is never
    reported.
    """
    if old_text == new_text:
        return ChangeSummary("cosmetic", None, (), SAME_TEXT_SUMMARY)
    if classify(old_text, new_text) != "substantive":
        return ChangeSummary("cosmetic", None, (), COSMETIC_SUMMARY)
    keys = changed_clauses(old_clauses, new_clauses)
    clause_diffs = {k: diff_sentences(old_clauses.get(k, ""), new_clauses.get(k, "")) for k in keys}
    facts = tuple(f for k in keys for f in fact_changes(k, old_clauses.get(k), new_clauses.get(k)))
    moved = position_changes(
        read_version(old_text, old_clauses) if old_positions is None else old_positions,
        read_version(new_text, new_clauses) if new_positions is None else new_positions,
    )
    entries = subprocessor_list_changes(
        old_clauses.get("subprocessors"), new_clauses.get("subprocessors")
    )
    whole = diff_sentences(old_text, new_text)
    outside = _outside(whole, clause_diffs.values())
    line = " ".join(
        summary_lines(moved, entries)
        + [_clause_line(k, clause_diffs[k], facts, old_clauses, new_clauses) for k in keys]
        + ([f"Text outside tracked clauses changed: {_counts(outside)}."] if outside else [])
    )
    return ChangeSummary(
        kind="substantive",
        severity=severity(keys, moved, entries),
        clauses=tuple(keys),
        summary=line or "Wording changed.",
        diff=whole,
        facts=facts,
        clause_diffs=clause_diffs,
        positions=moved,
        subprocessors=entries,
    )


def read_version(text: str, clauses: Mapping[str, str]) -> dict[PositionKey, Position]:
    """The positions of a stored version, read from its text and clause texts."""
    return read_positions(blocks_from_text(text), clauses)


def changed_clauses(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """Clause keys whose words changed (appeared, vanished or reworded): built-in keys in
    their fixed order first, then the others alphabetically."""
    keys = set(old) | set(new)
    ordered = [k for k in BUILTIN_CLAUSES if k in keys] + sorted(keys - set(BUILTIN_CLAUSES))
    return [k for k in ordered if classify(old.get(k, ""), new.get(k, "")) == "substantive"]


def fact_changes(key: str, old: str | None, new: str | None) -> list[FactChange]:
    """Facts of clause ``key`` whose values differ between the two texts."""
    before, after = extract_facts(key, old or ""), extract_facts(key, new or "")
    names = list(dict.fromkeys([*before, *after]))
    return [
        FactChange(key, name, before.get(name), after.get(name))
        for name in names
        if before.get(name) != after.get(name)
    ]


def severity(keys: list[str], moved: tuple[PositionChange, ...], entries: ListChange) -> Severity:
    """``high`` for a changed position (other than the effective date) or a subprocessor
    added/removed, ``medium`` for any other changed clause, ``low`` for the rest."""
    if entries or any(c.key != "effective_date" for c in moved):
        return "high"
    return "medium" if keys else "low"


def _outside(whole: SentenceDiff, clause_diffs: Any) -> SentenceDiff:
    """The part of the whole-text diff that no clause diff accounts for."""
    inside: set[tuple[str, ...]] = set()
    for d in clause_diffs:
        inside.update(tuple(words(s)) for s in [*d.added, *d.removed])
        inside.update(tuple(words(m.after)) for m in d.modified)
        inside.update(tuple(words(m.before)) for m in d.modified)
    return SentenceDiff(
        added=[s for s in whole.added if tuple(words(s)) not in inside],
        removed=[s for s in whole.removed if tuple(words(s)) not in inside],
        modified=[m for m in whole.modified if tuple(words(m.after)) not in inside],
    )


# -- wording ---------------------------------------------------------------------------------


def label(key: str) -> str:
    """``subprocessors`` → ``Subprocessors``; ``model-use`` → ``Model use``."""
    return key.replace("_", " ").replace("-", " ").capitalize()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _counts(d: SentenceDiff) -> str:
    """``2 sentences modified, 1 added``; the first count carries the noun."""
    parts = [(len(d.modified), "modified"), (len(d.added), "added"), (len(d.removed), "removed")]
    shown = [(n, verb) for n, verb in parts if n]
    if not shown:
        return "wording changed"
    first = f"{_plural(shown[0][0], 'sentence')} {shown[0][1]}"
    return ", ".join([first, *(f"{n} {verb}" for n, verb in shown[1:])])


def _clause_line(
    key: str,
    d: SentenceDiff,
    facts: tuple[FactChange, ...],
    old: Mapping[str, str],
    new: Mapping[str, str],
) -> str:
    """``Retention clause: 1 sentence modified (30 days → 90 days).``"""
    state = " added" if key not in old else " removed" if key not in new else ""
    mine = [f for f in facts if f.clause == key]
    stated = [_fact_phrase(f) for f in mine if f.fact not in QUANTITIES]
    amounts = [_amount_phrase(f) for f in mine if f.fact in QUANTITIES]
    tail = f" ({'; '.join(amounts)})" if amounts else ""
    return f"{label(key)} clause{state}: " + "; ".join([*stated, _counts(d) + tail]) + "."


def _fact_phrase(f: FactChange) -> str:
    """``stance changed from 'not used' to 'used'``."""
    return f"{f.fact} changed from '{f.before or NOT_STATED}' to '{f.after or NOT_STATED}'"


def _amount_phrase(f: FactChange) -> str:
    """``30 days → 90 days``; ``90 days added``; ``30 days dropped``."""
    gone, came = changed_values(f.before, f.after)
    if gone and came:
        return f"{', '.join(gone)} → {', '.join(came)}"
    if came:
        return f"{', '.join(came)} added"
    if gone:
        return f"{', '.join(gone)} dropped"
    return f"{f.before or NOT_STATED} → {f.after or NOT_STATED}"  # same values, new order


# -- re-reading a version ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingChange:
    """How re-reading one version with newer rules changed what was read from it.

    Not a change of the document: the page is the same; its text, clauses or positions
    are read better. ``as_dict`` is the stored JSON of a re-extraction.
    """

    text: SentenceDiff
    clauses: tuple[str, ...]
    clause_diffs: Mapping[str, SentenceDiff]
    positions: tuple[PositionChange, ...]
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "text": self.text.as_dict(),
            "clauses": list(self.clauses),
            "clause_diffs": {k: d.as_dict() for k, d in self.clause_diffs.items()},
            "positions": [p.as_dict() for p in self.positions],
        }


def summarize_reading(
    old_text: str,
    new_text: str,
    old_clauses: Mapping[str, str],
    new_clauses: Mapping[str, str],
    old_positions: Mapping[PositionKey, Position],
    new_positions: Mapping[PositionKey, Position],
) -> ReadingChange:
    """``Reading improved: positions: retention days not stated → 30; retention clause
    re-read (1 sentence added).`` Clause boundaries count here, unlike in ``summarize``."""
    keys = [
        k
        for k in [*BUILTIN_CLAUSES, *sorted(set(old_clauses) | set(new_clauses))]
        if old_clauses.get(k) != new_clauses.get(k)
    ]
    keys = list(dict.fromkeys(keys))
    diffs = {k: diff_sentences(old_clauses.get(k, ""), new_clauses.get(k, "")) for k in keys}
    moved = position_changes(old_positions, new_positions)
    text = diff_sentences(old_text, new_text)
    parts = [f"positions: {'; '.join(change_phrase(c) for c in moved)}"] if moved else []
    parts += [f"{label(k).lower()} clause re-read ({_counts(diffs[k])})" for k in keys]
    if old_text != new_text:
        parts.append(f"text re-read ({_counts(text)})")
    line = "Reading improved: " + "; ".join(parts) + "." if parts else "Reading unchanged."
    return ReadingChange(text, tuple(keys), diffs, moved, line)


def revert_summary(
    moved: Mapping[str, Any], against: Mapping[str, Any], first_seen: datetime
) -> dict[str, Any]:
    """The stored summary of a return to an earlier text (kind ``revert``).

    ``moved`` is the summary against the version it replaces (its sentence and clause
    diffs say what the page did); ``against`` is the summary against the version it
    returns to, and gives the facts, positions and severity: a return to a known text
    changes none of them.
    """
    counts = _counts(
        SentenceDiff(
            added=list(moved.get("added") or []),
            removed=list(moved.get("removed") or []),
            modified=list(moved.get("modified") or []),
        )
    )
    same = against.get("kind") != "substantive"
    return {
        **moved,
        "kind": "revert",
        "severity": None if same else against.get("severity"),
        "facts": list(against.get("facts") or []),
        "positions": list(against.get("positions") or []),
        "summary": (
            f"Back to the text first seen {first_seen.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
            f"{': no new wording' if same else ''} ({counts} against the text it replaces)."
        ),
    }
