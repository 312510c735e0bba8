"""The positions' types and their JSON, without the rules that read them
(``positions``): what the recording process needs to unpickle a worker's positions and
store them, so it does not import (and compile) every reader's regexes for that."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args


@dataclass(frozen=True)
class Reading:
    """One value a sentence states, with its scope (tier/product) if it names one."""

    value: bool | int | str
    evidence: str
    scope: str | None = None


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
