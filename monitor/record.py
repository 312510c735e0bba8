"""Recording what one capture showed into a document's chronological history.

A *version* is recorded only when the normalized text differs from the version
in force just before the capture (by ``captured_at``). Captures can arrive out of
order (an archive backfill after live checks), so a new version may land between
two existing ones: the change around it is then recomputed, and a capture that
shows the *next* version's text earlier than we knew moves that version back.
Callers run this inside the document's single transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from . import episodes, readings, store
from .model import AlertRules, Block, blocks_from_text
from .models import Change, Version
from .text_codec import PackedTexts
from .worker import Derived

DEFAULT_RULES = AlertRules()
Outcome = Literal["new_version", "cosmetic", "unchanged"]


@dataclass(frozen=True)
class Observation:
    """What one processed capture says about a document."""

    captured_at: datetime
    origin: str  # live | archive
    snapshot: str  # SHA-256 of the stored raw bytes
    text: str
    clauses: Mapping[str, tuple[str, str]]  # key → (text, source)
    misses: tuple[str, ...] = ()  # clause keys whose selectors matched nothing
    blocks: tuple[Block, ...] = ()  # the extraction's blocks (default: parsed from ``text``)
    texts: PackedTexts | None = None  # ``text`` and its clause texts packed by a worker


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome
    version: Version
    change: Change | None = None
    summary: dict[str, Any] | None = None  # ``change``'s summary, as stored (JSON) in it
    number: int | None = None  # ``version``'s number when known without counting (1: the first)


@dataclass(frozen=True)
class Neighbours:
    """The versions just before (or at) and just after a capture, and the one of them whose
    text is the capture's (then nothing new is recorded), looked up once per capture."""

    before: Version | None
    after: Version | None
    match: Version | None


def neighbours_of(before: Version | None, after: Version | None, text: str) -> Neighbours:
    return neighbours_with(before, after, store.sha256(text))


def neighbours_with(before: Version | None, after: Version | None, digest: str) -> Neighbours:
    """The neighbours of a capture whose text has SHA-256 ``digest``.

    (Consecutive versions always differ, so at most one neighbour matches.)
    """
    match = next((v for v in (before, after) if v is not None and v.text_sha256 == digest), None)
    return Neighbours(before, after, match)


def record_observation(
    s: Session,
    document_id: int,
    obs: Observation,
    *,
    alert: bool = True,
    rules: AlertRules = DEFAULT_RULES,
    around: Neighbours | None = None,
    derived: Derived | None = None,
) -> Recorded:
    """Insert ``obs`` into the history; ``alert`` marks a substantive live change for alerting.

    A text equal to one of the recent versions (``rules``) is recorded as a version whose
    change is a ``revert``: stored, never alerted; the second revert within the window
    opens a flapping episode (``episodes``). ``around``: the capture's neighbours, when
    the caller has looked them up already in this transaction. ``derived``: the text's
    positions and change summary made outside the transaction (``worker.derive``), used
    when they were made against the version now before it.
    """
    if around is None:
        around = neighbours_of(*store.neighbours(s, document_id, obs.captured_at), obs.text)
    before, after = around.before, around.after
    if around.match is not None:
        return record_match(s, document_id, around, obs.captured_at, obs.snapshot, rules)
    clauses = _with_missed_clauses(s, before, obs)
    version = store.add_version(
        s,
        document_id,
        obs.captured_at,
        obs.text,
        obs.snapshot,
        obs.origin,
        [(key, text, source) for key, (text, source) in clauses.items()],
        obs.texts,
    )
    ready = derived if derived is not None and not obs.misses else None
    if ready is not None:
        positions = ready.positions
    else:
        from .positions import read_positions  # loaded when a version is recorded

        blocks = obs.blocks or blocks_from_text(obs.text)
        positions = read_positions(blocks, {k: t for k, (t, _) in clauses.items()})
    readings.add(s, version.id, positions)
    change, summary = None, None
    if before is not None:
        live = alert and obs.origin == "live"
        alert_state = "pending" if live else "none"
        made = _made(s, ready, before)
        change, summary = _add_change(s, document_id, before, version, alert_state, rules, made)
        if live and change.kind != "cosmetic":
            episodes.after_change(s, document_id, change, summary, rules)
    if after is not None:
        carried = _pop_change(s, after)
        _add_change(s, document_id, version, after, carried, rules)
    outcome: Outcome = (
        "cosmetic" if change is not None and change.kind == "cosmetic" else "new_version"
    )
    return Recorded(outcome, version, change, summary, 1 if before is None else None)


def record_match(
    s: Session,
    document_id: int,
    around: Neighbours,
    captured_at: datetime,
    snapshot: str,
    rules: AlertRules = DEFAULT_RULES,
) -> Recorded:
    """A capture whose text is that of ``around.match``: nothing new, or that version (the
    one after the capture) starts at ``captured_at``."""
    before, match = around.before, around.match
    assert match is not None
    if match is before:
        return Recorded("unchanged", before)
    moved = _move_back(s, document_id, before, match, captured_at, snapshot, rules)
    return Recorded("unchanged", moved, number=1 if before is None else None)


def _made(s: Session, ready: Derived | None, before: Version) -> dict[str, Any] | None:
    """``ready``'s summary when it was made against ``before`` (its id, or its text and
    clause texts), else ``None`` (it is made here)."""
    if ready is None or ready.summary is None:
        return None
    clauses = readings.clause_map(s, before) if ready.before_id is None else {}
    return ready.summary if ready.made_against(before.id, before.text_sha256, clauses) else None


def _move_back(
    s: Session,
    document_id: int,
    before: Version | None,
    after: Version,
    captured_at: datetime,
    snapshot: str,
    rules: AlertRules,
) -> Version:
    """``after``'s text was already there at ``captured_at``: it starts earlier."""
    carried = _pop_change(s, after)
    after.captured_at = captured_at
    after.snapshot_sha256 = snapshot
    s.flush()
    if before is not None:
        _add_change(s, document_id, before, after, carried, rules)
    return after


def _pop_change(s: Session, version: Version) -> str:
    """Delete the change leading to ``version``; return its alert state to carry over."""
    old = store.change_to(s, version.id)
    state = "none" if old is None or old.alert == "none" else old.alert
    store.delete_change_to(s, version.id)
    return state


def _with_missed_clauses(
    s: Session, before: Version | None, obs: Observation
) -> dict[str, tuple[str, str]]:
    """A clause whose selector missed keeps its previous text: a miss is not a deletion."""
    clauses = dict(obs.clauses)
    if before is not None and obs.misses:
        previous = store.clause_texts(s, before.id)
        for key in obs.misses:
            if key in previous and key not in clauses:
                clauses[key] = (previous[key].text, previous[key].source)
    return clauses


def _add_change(
    s: Session,
    document_id: int,
    before: Version,
    after: Version,
    alert: str,
    rules: AlertRules,
    made: dict[str, Any] | None = None,
) -> tuple[Change, dict[str, Any]]:
    """The change ``before`` → ``after``; a return to a recent text is a ``revert`` whose
    facts and severity are those against the version returned to (never alerted)."""
    back = episodes.returned_to(s, document_id, before, after.text_sha256, after.captured_at, rules)
    summary, pairs, reverts_to = resummarize(s, before, after, back.id if back else None, made)
    if summary["kind"] != "substantive" and alert == "pending":
        alert = "none"
    change = store.add_change(s, document_id, before, after, summary, pairs, alert)
    if reverts_to is not None:
        change.reverts_to_id = reverts_to
        s.flush()
    return change, summary


def resummarize(
    s: Session,
    before: Version,
    after: Version,
    reverts_to: int | None,
    made: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[tuple[str, str | None, str | None]], int | None]:
    """``change_summary`` (or ``made``, that summary made already), as a ``revert`` when
    ``after``'s text is still that of version ``reverts_to`` (id): then (summary, clause
    pairs, that id); else its id is ``None``."""
    summary, pairs = change_summary(s, before, after, made)
    back = s.get(Version, reverts_to) if reverts_to is not None else None
    if back is None or back.text_sha256 != after.text_sha256 or summary["kind"] != "substantive":
        return summary, pairs, None
    from .summary import revert_summary

    against = change_summary(s, back, after)[0]
    return revert_summary(summary, against, back.captured_at), pairs, back.id


def change_summary(
    s: Session, before: Version, after: Version, made: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str | None, str | None]]]:
    """The summary of the change ``before`` → ``after`` from their stored readings (or
    ``made``, that summary made already), and the clause texts that differ (key, old, new)."""
    old_clauses, new_clauses = readings.clause_map(s, before), readings.clause_map(s, after)
    if made is not None:
        return made, changed_clause_pairs(old_clauses, new_clauses)
    from .summary import summarize

    summary = summarize(
        before.text,
        after.text,
        old_clauses,
        new_clauses,
        readings.of_version(s, before),
        readings.of_version(s, after),
    ).as_dict()
    return summary, changed_clause_pairs(old_clauses, new_clauses)


def changed_clause_pairs(
    old: Mapping[str, str], new: Mapping[str, str]
) -> list[tuple[str, str | None, str | None]]:
    """(key, old text, new text) of every clause whose text differs, by key."""
    return [
        (key, old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]
