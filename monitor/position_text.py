"""Positions as people read them: labels, values with scope, and position changes of a
stored change summary. Pure: no I/O.

Used by every report (compare, export, site, digest, alerts) so that a position reads the
same everywhere: ``training_use = ("not_used", "opt_out")`` with scope ``("free services",)``
is ``not used, opt-out (free services)``; a value that is not stated is ``not stated``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

NOT_STATED = "not stated"

LABELS: Mapping[str, str] = {
    "training_use": "Training use",
    "retention_days": "Retention",
    "zero_data_retention": "Zero data retention",
    "input_ownership": "Input ownership",
    "output_ownership": "Output ownership",
    "audit_right": "Audit right",
    "audit_notice_days": "Audit notice",
    "subprocessor_notice_days": "Subprocessor notice",
    "subprocessor_objection": "Subprocessor objection",
    "change_notice_days": "Change notice",
    "effective_date": "Effective date",
}

# Short column headings for the compare matrix (terminal, Markdown, CSV keep the keys).
SHORT: Mapping[str, str] = {
    "training_use": "training",
    "retention_days": "retention",
    "zero_data_retention": "ZDR",
    "input_ownership": "inputs",
    "output_ownership": "outputs",
    "audit_right": "audit",
    "audit_notice_days": "audit notice",
    "subprocessor_notice_days": "subproc. notice",
    "subprocessor_objection": "subproc. objection",
    "change_notice_days": "change notice",
    "effective_date": "effective",
}

_WORDS = {
    "not_used": "not used",
    "opt_in": "opt-in",
    "opt_out": "opt-out",
    "used": "used",
    "on_site": "on-site",
    "reports": "reports only",
}


def label(key: str) -> str:
    """``audit_notice_days`` → ``Audit notice`` (unknown keys: the key made readable)."""
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def _one(key: str, item: object) -> str:
    if isinstance(item, bool):
        return "yes" if item else "no"
    if isinstance(item, int) and key.endswith("_days"):
        return f"{item} day" if item == 1 else f"{item} days"
    return _WORDS.get(str(item), str(item))


def value_text(key: str, value: object, scope: Sequence[str] | None = None) -> str:
    """A position's value as a short phrase, its scope in parentheses."""
    if value is None or (isinstance(value, list | tuple) and not value):
        return NOT_STATED
    if isinstance(value, list | tuple):
        if key == "retention_days" and all(isinstance(v, int) for v in value):
            text = ", ".join(str(v) for v in value) + (" day" if value == [1] else " days")
        else:
            text = ", ".join(_one(key, v) for v in value)
    else:
        text = _one(key, value)
    return f"{text} ({', '.join(scope)})" if scope else text


class ReadingLike(Protocol):
    """One value a sentence states, with the tier/product it is limited to (if any)."""

    @property
    def value(self) -> bool | int | str: ...

    @property
    def scope(self) -> str | None: ...


SET_KEYS = frozenset({"training_use", "retention_days"})


def readings_text(
    key: str, value: object, scope: Sequence[str] | None, readings: Sequence[ReadingLike]
) -> str:
    """A position with each value next to its own scope: ``not used; opt-out (free
    services)`` rather than ``not used, opt-out (free services)``. Without readings (or
    with a single scope), the same as ``value_text``."""
    by_scope: dict[str | None, list[bool | int | str]] = {}
    for r in readings:
        by_scope.setdefault(r.scope, []).append(r.value)
    if value is None or len(by_scope) < 2:
        return value_text(key, value, scope)
    parts = []
    for where in sorted(by_scope, key=lambda s: (s is not None, s or "")):
        values = sorted(set(by_scope[where]), key=lambda v: (str(type(v)), v))
        shown: object = tuple(values) if key in SET_KEYS or len(values) > 1 else values[0]
        parts.append(value_text(key, shown, (where,) if where else None))
    return "; ".join(parts)


@dataclass(frozen=True)
class PositionChange:
    """One position that a change moved: the values as phrases and the sentences behind them."""

    key: str
    before: str
    after: str
    evidence_before: tuple[str, ...] = ()
    evidence_after: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return label(self.key)


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


def _scope(value: object) -> tuple[str, ...] | None:
    return _strings(value) or None


def position_changes(summary: Mapping[str, object]) -> list[PositionChange]:
    """The ``positions`` list of a stored change summary (``[{"key", "before", "after",
    "scope_before", "scope_after", "evidence_before", "evidence_after"}]``; absent in
    summaries stored before positions existed), as phrases."""
    raw = summary.get("positions")
    out = []
    for entry in raw if isinstance(raw, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
            continue
        key = str(entry["key"])
        out.append(
            PositionChange(
                key=key,
                before=value_text(key, entry.get("before"), _scope(entry.get("scope_before"))),
                after=value_text(key, entry.get("after"), _scope(entry.get("scope_after"))),
                evidence_before=_strings(entry.get("evidence_before")),
                evidence_after=_strings(entry.get("evidence_after")),
            )
        )
    return out
