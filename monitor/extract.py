"""Fetched bytes → the normalized text of a document's tracked region. Pure: no I/O.

(INTERFACE STUB — the data types are fixed; the functions are being implemented.)

The text keeps the structure a reader sees as one *block* per line:

    # Heading text            (heading, level 1..6 → that many '#')
    Paragraph text
    - List item text          (item; nested items are indented two spaces per level)
    cell | cell | cell        (table row)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .config import DocumentConfig

BlockKind = Literal["heading", "paragraph", "item", "row"]


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of visible text: a heading, a paragraph, a list item or a table row."""

    kind: BlockKind
    text: str  # visible text, whitespace collapsed to single spaces, never empty
    level: int = 0  # heading level 1-6; list nesting depth (1 = top level) for items; else 0

    def line(self) -> str:
        """This block as one line of normalized text."""
        if self.kind == "heading":
            return "#" * max(1, self.level) + " " + self.text
        if self.kind == "item":
            return "  " * max(0, self.level - 1) + "- " + self.text
        return self.text


@dataclass(frozen=True)
class Extraction:
    """What one capture of a document gives: its blocks, and blocks per clause selector."""

    blocks: tuple[Block, ...]
    # Blocks matched by a document's per-clause CSS selectors (config `clauses.KEY.select`),
    # in document order; only keys whose selectors matched something are present.
    clause_blocks: Mapping[str, tuple[Block, ...]] = field(default_factory=dict)
    # Clause keys whose `select` matched nothing in this capture (reported, never "deleted").
    clause_misses: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(b.line() for b in self.blocks)


def extract(
    content: bytes,
    content_type: str | None,
    doc: DocumentConfig,
    previous_text: str | None = None,
) -> Extraction:
    """Extract ``doc``'s tracked region from ``content``.

    Raises ``SelectorMissError`` when ``doc.select`` matches nothing, ``CollapsedError``
    when the text is empty or collapsed compared with ``previous_text`` (blocked page,
    bot challenge, error page), ``ExtractError`` for content that cannot be read.
    """
    raise NotImplementedError


def blocks_from_text(text: str) -> tuple[Block, ...]:
    """Parse normalized text (``Extraction.text``) back into blocks."""
    raise NotImplementedError
