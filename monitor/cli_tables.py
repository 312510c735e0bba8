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
    ready: list[Text] = []  # blocks drawn without rich's layout, printed together
    for row in rows:
        head = Text("  ").join(row[:key])
        head.stylize("bold")
        cells = [(col.header, cell) for col, cell in zip(cols[key:], row[key:], strict=True)]
        lines = _block_lines([(h, c) for h, c in cells if c.plain], out.width)
        if lines is not None:
            ready.append(Text("\n").join([head, *lines]))
            continue
        if ready:
            _print_ready(ready, out)
            ready = []
        out.print(head)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(overflow="fold")  # a token longer than the line folds, never cut
        for header, cell in cells:
            if cell.plain:
                grid.add_row(header, cell)
        out.print(Padding(grid, (0, 0, 0, 2), expand=False))
    if ready:
        _print_ready(ready, out)
    if caption:
        out.print(Text(caption, style="dim"))


def _print_ready(blocks: list[Text], out: Console) -> None:
    """Blocks drawn by ``_block_lines``: styled on a terminal; elsewhere (a pipe, a file)
    rich would print their plain text, which is written as it is."""
    if out.is_terminal:
        out.print(Text("\n").join(blocks))
    else:
        out.file.write("\n".join(block.plain for block in blocks) + "\n")


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
