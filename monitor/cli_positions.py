"""Terminal views of positions and re-extractions (``tosmon clauses`` / ``tosmon history``).

Everything shown came from fetched pages: rich ``Text`` objects and ``clean`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

from .cli_common import clean
from .cli_tables import Col, Row, print_table
from .position_text import NOT_STATED, label, value_text
from .timefmt import short_text

EVIDENCE_CHARS = 90  # the first evidence sentence, cut: the table stays readable at 80 columns


def print_positions(positions: Mapping[str, Mapping[str, Any]]) -> None:
    """The positions as a three-column table: position, value (with scope), evidence."""
    rows: list[Row] = []
    for key, p in positions.items():
        value = value_text(key, p.get("value"), p.get("scope"))
        evidence = list(p.get("evidence") or [])
        shown = _cut(evidence[0]) if evidence else ""
        if len(evidence) > 1:
            shown += f" (+{len(evidence) - 1} more)"
        rows.append(
            [
                label(key),
                Text(clean(value), style="dim" if value == NOT_STATED else "bold"),
                Text(clean(shown)),
            ]
        )
    cols = [Col("position", keep=True), Col("value"), Col("evidence")]
    print_table("Positions", cols, rows)


def _cut(sentence: str) -> str:
    return sentence if len(sentence) <= EVIDENCE_CHARS else sentence[: EVIDENCE_CHARS - 1] + "…"


def print_reextractions(items: Sequence[Mapping[str, Any]]) -> None:
    """``history``: re-extractions listed apart from the document's changes."""
    if not items:
        return
    rows: list[Row] = [
        [
            f"v{item['version']}",
            short_text(item["reextracted_at"]),
            Text(clean(str(item.get("summary") or ""))),
        ]
        for item in items
    ]
    cols = [
        Col("#", keep=True),
        Col("re-read (UTC)", keep=True),
        Col("what the new reading changed"),
    ]
    print_table("Reading improved (re-extractions: the pages did not change)", cols, rows)
