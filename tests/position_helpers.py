"""Reading positions from a short text, for the position tests."""

from __future__ import annotations

from monitor.extract import blocks_from_text
from monitor.positions import Position, PositionKey, read_positions


def read(text: str) -> dict[PositionKey, Position]:
    """All positions of ``text`` (normalized text: one block per line)."""
    return read_positions(blocks_from_text(text), {})


def value(text: str, key: PositionKey) -> object:
    """The value of one position of ``text``."""
    return read(text)[key].value
