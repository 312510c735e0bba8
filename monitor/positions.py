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

from . import position_ownership as owners
from . import position_retention as retention
from . import position_terms as terms
from . import position_training as training
from .model import Block
from .position_model import (
    POSITION_KEYS,
    SET_KEYS,
    Position,
    PositionKey,
    PositionValue,
    position_from_json,
    position_to_json,
)
from .position_units import Reader, Reading, units

__all__ = [  # the types and their JSON are position_model's, re-exported here
    "POSITION_KEYS",
    "SET_KEYS",
    "Position",
    "PositionKey",
    "PositionValue",
    "position_from_json",
    "position_to_json",
    "read_positions",
]


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
