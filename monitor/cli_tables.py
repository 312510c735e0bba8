"""Tables that stay readable at any terminal width (80 columns included).

A table is drawn with borders when every column fits without cutting a word: ids, dates
and numbers (``keep`` columns) are never wrapped or cut, prose wraps at word boundaries.
When it does not fit, each row becomes a block: its key on one line, then one indented
``header  value`` line per other column, the values wrapped at word boundaries.
Cells are rich ``Text`` (page text made safe by ``clean`` first), never markup.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.control import strip_control_codes
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from .cli_common import console

Cell = Text | str
Row = list[Cell]


@dataclass(frozen=True)
class Col:
    """A column: ``keep`` ones (ids, dates, numbers) are never wrapped or cut."""

    header: str
    keep: bool = False
    justify: Literal["left", "right"] = "left"


def _text(cell: Cell) -> Text:
    return cell if isinstance(cell, Text) else Text(cell)


def _min_width(col: Col, cells: Sequence[Text]) -> int:
    """The narrowest this column can be without cutting anything."""
    texts = [col.header, *(c.plain for c in cells)]
    if col.keep:
        return max(max((len(line) for line in t.splitlines()), default=0) for t in texts)
    return max((len(word) for t in texts for word in t.split()), default=1)


def fits(cols: Sequence[Col], rows: Sequence[Sequence[Text]], width: int) -> bool:
    """Whether a bordered table of ``rows`` fits ``width`` with nothing cut."""
    need = sum(_min_width(col, [r[i] for r in rows]) for i, col in enumerate(cols))
    return need + 3 * len(cols) + 1 <= width


def print_table(
    title: str | Text,
    cols: Sequence[Col],
    rows: Sequence[Sequence[Cell]],
    caption: str | None = None,
    key: int = 1,
    out: Console | None = None,
) -> None:
    """``rows`` as a table, or as one block per row when the terminal is too narrow.
    In blocks, the first ``key`` cells (the row's ids) head the block on one line."""
    out = out or console()
    cells = [[_text(c) for c in row] for row in rows]
    if fits(cols, cells, out.width):
        table = Table(title=title, caption=caption)
        for col in cols:
            table.add_column(col.header, no_wrap=col.keep, justify=col.justify)
        for row in cells:
            table.add_row(*row)
        out.print(table)
        return
    _print_blocks(title, cols, cells, caption, key, out)


def _print_blocks(
    title: str | Text,
    cols: Sequence[Col],
    rows: Sequence[Sequence[Text]],
    caption: str | None,
    key: int,
    out: Console,
) -> None:
    out.print(Text(title, style="bold") if isinstance(title, str) else title)
    width, plain = out.width, not out.is_terminal
    headers = [strip_control_codes(col.header) for col in cols[key:]]
    ready: list[Text | str] = []  # blocks drawn without rich's layout, printed together
    for row in rows:
        cells = [(h, c) for h, c in zip(headers, row[key:], strict=True) if c.plain]
        if plain:  # rich would print the blocks' plain text: written as strings
            block: Text | str | None = _plain_block(row[:key], cells, width)
        else:
            lines = _block_lines(cells, width)
            block = None if lines is None else Text("\n").join([_head(row, key), *lines])
        if block is not None:
            ready.append(block)
            continue
        if ready:
            _print_ready(ready, out)
            ready = []
        out.print(_head(row, key))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(overflow="fold")  # a token longer than the line folds, never cut
        for header, cell in cells:
            grid.add_row(header, cell)
        out.print(Padding(grid, (0, 0, 0, 2), expand=False))
    if ready:
        _print_ready(ready, out)
    if caption:
        out.print(Text(caption, style="dim"))


def _head(row: Sequence[Text], key: int) -> Text:
    head = Text("  ").join(row[:key])
    head.stylize("bold")
    return head


def _print_ready(blocks: list[Text | str], out: Console) -> None:
    """Blocks drawn by ``_block_lines`` (styled, on a terminal) or ``_plain_block``
    (elsewhere: a pipe, a file)."""
    if out.is_terminal:
        out.print(Text("\n").join(_text(block) for block in blocks))
    else:
        out.file.write("\n".join(_text(block).plain for block in blocks) + "\n")


def _plain_block(key: Sequence[Text], cells: Sequence[tuple[str, Text]], width: int) -> str | None:
    """The plain text of ``_block_lines``' block (its key line first), made as strings:
    hundreds of rows print at once, and rich's Text appends cost ~¾ of a status."""
    values = [(h, c.plain) for h, c in cells]
    if not values or any("\n" in v or "\t" in v for _, v in values):
        return None
    left = max(cell_len(h) for h, _ in values)
    right = max(cell_len(v) for _, v in values)
    if 2 + left + 2 + right > width:
        return None
    lines = ["  ".join(k.plain for k in key)]
    for header, value in values:
        pad, fill = " " * (left - cell_len(header)), " " * (right - cell_len(value))
        lines.append(f"  {header}{pad}  {value}{fill}")
    return "\n".join(lines)


def _block_lines(cells: Sequence[tuple[str, Text]], width: int) -> list[Text] | None:
    """A block's ``header  value`` lines as the indented two-column grid draws them when
    every value fits on one line (both columns as wide as their widest cell); ``None``
    when one must wrap (then the grid lays it out). Drawing it here saves measuring a
    grid per row: hundreds of rows print at once."""
    if not cells or any("\n" in c.plain or "\t" in c.plain for _, c in cells):
        return None
    left = max(cell_len(h) for h, _ in cells)
    right = max(c.cell_len for _, c in cells)
    if 2 + left + 2 + right > width:
        return None
    lines = []
    for header, cell in cells:
        line = Text("  ")
        line.append(header + " " * (left - cell_len(header)), style="dim")
        line.append("  ")
        line.append_text(cell)
        line.append(" " * (right - cell.cell_len))
        lines.append(line)
    return lines


def wrap_lines(line: str, width: int, indent: str = "") -> list[str]:
    """``line`` cut at word boundaries to ``width``, continuation lines under ``indent``
    (a word longer than the width is split); an empty line stays one empty line."""
    return textwrap.wrap(
        line,
        width=max(width, len(indent) + 10),
        subsequent_indent=indent,
        replace_whitespace=False,
        break_on_hyphens=False,
    ) or [line]
