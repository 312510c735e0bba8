"""Terminal views of positions and re-extractions (``tosmon clauses`` / ``tosmon history``).

Everything shown came from fetched pages: rich ``Text`` objects and ``clean`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from .cli_common import clean, console
from .position_text import NOT_STATED, label, value_text
from .timefmt import short_text

EVIDENCE_CHARS = 90  # the first evidence sentence, cut: the table stays readable at 80 columns


def print_positions(positions: Mapping[str, Mapping[str, Any]]) -> None:
    """The positions as a three-column table: position, value (with scope), evidence."""
    table = Table(title="Positions", title_justify="left", expand=False)
    table.add_column("position", no_wrap=True)
    table.add_column("value", max_width=24)
    table.add_column("evidence", ratio=1)
    for key, p in positions.items():
        value = value_text(key, p.get("value"), p.get("scope"))
        evidence = list(p.get("evidence") or [])
        shown = _cut(evidence[0]) if evidence else ""
        if len(evidence) > 1:
            shown += f" (+{len(evidence) - 1} more)"
        table.add_row(
            label(key),
            Text(clean(value), style="dim" if value == NOT_STATED else "bold"),
            Text(clean(shown)),
        )
    console().print(table)


def _cut(sentence: str) -> str:
    return sentence if len(sentence) <= EVIDENCE_CHARS else sentence[: EVIDENCE_CHARS - 1] + "…"


def print_reextractions(items: Sequence[Mapping[str, Any]]) -> None:
    """``history``: re-extractions listed apart from the document's changes."""
    if not items:
        return
    table = Table(
        title="Reading improved (re-extractions: the pages did not change)", title_justify="left"
    )
    for col in ("#", "re-read (UTC)", "what the new reading changed"):
        table.add_column(col)
    for item in items:
        table.add_row(
            str(item["version"]),
            short_text(item["reextracted_at"]),
            Text(clean(str(item.get("summary") or ""))),
        )
    console().print(table)
