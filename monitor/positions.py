"""What a document says, as 11 positions with the sentences that justify them. Pure: no I/O.

``read_positions(blocks, clauses)`` reads, sentence by sentence and with the enclosing
headings as context, the positions of the gold vocabulary (``shared/corpus/gold/README.md``):

==========================  ===========================================================
key                         value
==========================  ===========================================================
training_use                sorted tuple of ``not_used`` / ``opt_in`` / ``opt_out`` / ``used``
retention_days              sorted tuple of periods in days (a month = 30, a year = 365)
zero_data_retention         ``True`` or None
input_ownership             ``"customer"`` or None
output_ownership            ``"customer"`` / ``"provider"`` or None
audit_right                 ``"on_site"`` / ``"reports"`` or None
audit_notice_days           days of notice before an audit, or None
subprocessor_notice_days    days of notice before a new subprocessor, or None
subprocessor_objection      ``True`` or None
change_notice_days          days of notice before changed terms take effect, or None
effective_date              ISO date or None
==========================  ===========================================================

A position the document does not state is None: never guessed. When the text limits a
rule to a tier or product ("under a free subscription", "when you use the API"), the
rule's reading carries it as its scope, and the position's ``scope`` lists them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from . import position_ownership as owners
from . import position_retention as retention
from . import position_terms as terms
from . import position_training as training
from .model import Block
from .position_units import Reader, Reading, units

PositionKey = Literal[
    "training_use",
    "retention_days",
    "zero_data_retention",
    "input_ownership",
    "output_ownership",
    "audit_right",
    "audit_notice_days",
    "subprocessor_notice_days",
    "subprocessor_objection",
    "change_notice_days",
    "effective_date",
]
POSITION_KEYS: tuple[PositionKey, ...] = get_args(PositionKey)
PositionValue = None | bool | int | str | tuple[str, ...] | tuple[int, ...]
SET_KEYS: frozenset[PositionKey] = frozenset({"training_use", "retention_days"})


@dataclass(frozen=True)
class Position:
    """One position of one document version."""

    key: PositionKey
    value: PositionValue  # sets (training_use, retention_days) as sorted tuples; None = not stated
    evidence: tuple[str, ...] = ()  # verbatim sentences of the document that justify it
    scope: tuple[str, ...] | None = None  # sorted tiers/products the rule is limited to
    # Each value with its own scope and sentence (a free tier's opt_out, an API's not_used).
    readings: tuple[Reading, ...] = ()


def read_positions(
    blocks: Sequence[Block], clauses: Mapping[str, str]
) -> dict[PositionKey, Position]:
    """All 11 positions of a document, from its blocks (``Extraction.blocks`` or
    ``extract.blocks_from_text`` of the stored text) and its clauses (key → clause text).

    The rules read every sentence of the document with its headings, not only the clause
    texts: a key sentence the clause finder missed still counts, and the positions do not
    depend on a document's clause settings (``clauses`` is accepted for the interface)."""
    sentences = units(blocks)
    found = {key: reader(sentences) for key, reader in _READERS.items()}
    return {key: _position(key, found[key]) for key in POSITION_KEYS}


_READERS: dict[PositionKey, Reader] = {
    "training_use": training.training_use,
    "retention_days": retention.retention_days,
    "zero_data_retention": retention.zero_data_retention,
    "input_ownership": owners.input_ownership,
    "output_ownership": owners.output_ownership,
    "audit_right": terms.audit_right,
    "audit_notice_days": terms.audit_notice_days,
    "subprocessor_notice_days": terms.subprocessor_notice_days,
    "subprocessor_objection": terms.subprocessor_objection,
    "change_notice_days": terms.change_notice_days,
    "effective_date": terms.effective_date,
}


def _position(key: PositionKey, readings: list[Reading]) -> Position:
    """Readings of one key → its position: a sorted set for set keys, else one value."""
    if not readings:
        return Position(key, None)
    readings = list(dict.fromkeys(readings))
    if key in SET_KEYS:
        numbers = sorted({r.value for r in readings if isinstance(r.value, int)})
        value: PositionValue = (
            tuple(numbers)
            if key == "retention_days"
            else tuple(sorted({str(r.value) for r in readings}))
        )
        kept = readings
    else:
        value = readings[0].value
        kept = [r for r in readings if r.value == value]
    evidence = tuple(dict.fromkeys(r.evidence for r in kept))
    scopes = sorted({r.scope for r in kept if r.scope is not None})
    return Position(key, value, evidence, tuple(scopes) or None, tuple(kept))


# -- JSON ---------------------------------------------------------------------------------------


def position_to_json(p: Position) -> dict[str, object]:
    """``{"value": list|scalar|None, "evidence": [...], "scope": [...]|None,
    "readings": [{"value", "scope", "evidence"}, ...]}``."""
    value: object = list(p.value) if isinstance(p.value, tuple) else p.value
    return {
        "value": value,
        "evidence": list(p.evidence),
        "scope": list(p.scope) if p.scope is not None else None,
        "readings": [
            {"value": r.value, "scope": r.scope, "evidence": r.evidence} for r in p.readings
        ],
    }


def position_from_json(key: PositionKey, data: Mapping[str, object]) -> Position:
    """The inverse of ``position_to_json`` (``readings`` optional)."""
    raw = data.get("value")
    value = _value(raw)
    scope = data.get("scope")
    readings = []
    for item in _list(data.get("readings")):
        if isinstance(item, Mapping):
            s = item.get("scope")
            readings.append(
                Reading(_scalar(item.get("value")), str(item.get("evidence", "")),
                        None if s is None else str(s))
            )  # fmt: skip
    return Position(
        key,
        value,
        tuple(str(e) for e in _list(data.get("evidence"))),
        None if scope is None else tuple(str(s) for s in _list(scope)),
        tuple(readings),
    )


def _value(raw: object) -> PositionValue:
    if not isinstance(raw, list):
        return _optional_scalar(raw)
    items = [_scalar(v) for v in raw]
    if all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        return tuple(int(i) for i in items)
    return tuple(str(i) for i in items)


def _list(raw: object) -> list[object]:
    return list(raw) if isinstance(raw, list | tuple) else []


def _scalar(raw: object) -> bool | int | str:
    if isinstance(raw, bool | int | str):
        return raw
    raise ValueError(f"position value must be a string, integer or boolean, not {raw!r}")


def _optional_scalar(raw: object) -> bool | int | str | None:
    return None if raw is None else _scalar(raw)
