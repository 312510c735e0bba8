"""lxml elements → blocks in one preorder pass, read as ``html_walk.walk`` reads them. Pure.

``html_walk``'s walker asks every element for a list of its children (an lxml iterator per
element, ~2,000 instructions) and runs a few methods per element. Here one
``root.iter()`` visits every node in document order (~190 instructions a node) and an
element's end is seen when a later node's parent is not it (``getparent``): each element
still open is a frame on a stack, and closing one runs what ``html_walk``'s walker runs when
its children are done, then adds the text after it (its ``tail``) to its parent's text.

The readings are the same (``tests/test_extract_corpus.py``, ``tests/test_extract.py``):
what is read (scripts, styles and hidden elements skipped, their following text kept), where
blocks end and how table rows and list items read. One liberty, which changes no text:
inside a layout container of boxes only (``html_walk._LAYOUT``), a space is added after
each visible child whatever their number (a space next to nothing but whitespace and a
block's end is dropped by ``normalize``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import cast

from lxml import etree

from .html_walk import (
    _BLOCKS,
    _HEADINGS,
    _HIDDEN_STYLE,
    _LAYOUT,
    _LISTS,
    SKIP,
    _aria_level,
    _block,
    _boxed_by,
    normalize,
)
from .model import Block, BlockKind, block_of_line

# What a frame's children are: read, skipped (with everything inside them), or the cells
# of a table row (only its visible td/th are read, each into one cell text).
_READ, _SKIPPED, _ROW = 0, 1, 2
# What closing a frame does.
_NOTHING, _SPACE, _FLUSH, _RESTORE, _LIST, _CELL, _ROW_DONE = range(7)

# Elements read as plain text unless their attributes say otherwise (a role, a box).
_PLAIN = frozenset({"a", "b", "strong", "i", "em", "span", "u", "s", "small", "sup", "sub", "code"})
_PLAIN = _PLAIN | {"abbr", "cite", "q", "mark", "time", "label", "font", "kbd", "var", "del", "ins"}

# A frame: (element, what its children are, a space after each visible child, what
# closing it does, that step's argument, whether it is a visible child of its parent).
_Frame = tuple[etree._Element, int, bool, int, object, bool]


class _Row:
    """A table row's visible cells and, as they are read, their texts."""

    __slots__ = ("cells", "texts")

    def __init__(self, cells: set[etree._Element]) -> None:
        self.cells = cells
        self.texts: list[str] = []


class _Full(Exception):
    """``max_chars`` reached: nothing more is read."""


def preorder_blocks(roots: Iterable[etree._Element], max_chars: int | None = None) -> list[Block]:
    """Blocks of ``roots`` (each read as the element it is: a matched heading stays one);
    with ``max_chars``, only the first blocks once their texts have that many characters."""
    walker = _Pass(max_chars)
    try:
        for root in roots:
            walker.run(root)
            walker.flush()
    except _Full:
        pass
    return walker.blocks


def _spaced(el: etree._Element, text: str | None) -> bool:
    """A layout container's own text is whitespace at most: its children are boxes."""
    if text and not text.isspace():
        return False
    for child in el:
        tail = child.tail
        if tail and not tail.isspace():
            return False
    return True


def _hidden(el: etree._Element) -> bool:
    """The ``hidden`` attribute or an inline hiding style."""
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    return style is not None and _HIDDEN_STYLE.search(style) is not None


class _Pass:
    """One preorder pass: inline text accumulates in ``buf``, block elements close blocks."""

    def __init__(self, max_chars: int | None) -> None:
        self.blocks: list[Block] = []
        self.chars_left = max_chars if max_chars is not None else sys.maxsize
        self.buf: list[str] = []
        self.kind: BlockKind = "paragraph"
        self.level = 0
        self.depth = 0  # list nesting
        self.flat = 0  # >0 inside a table cell: block boundaries become spaces

    def flush(self) -> None:
        """Close the pending inline text as one block of the current kind."""
        buf = self.buf
        if not buf:
            return
        text = "".join(buf)
        buf.clear()
        if not text.isspace() and (text := normalize(text)):
            self.add(_block(self.kind, text, self.level))

    def add(self, block: Block) -> None:
        self.blocks.append(block)
        self.chars_left -= len(block.text)
        if self.chars_left <= 0:
            raise _Full

    def run(self, root: etree._Element) -> None:
        """Read ``root`` as an element (its tail is not its text), and all inside it."""
        count = len(root)
        frame = self.open(root, root.keys(), count, root.tag)
        if not count:
            self.close(frame, None)
            return
        stack = [frame]
        push, pop, buf = stack.append, stack.pop, self.buf
        nodes = root.iter()
        next(nodes)  # the root itself
        for node in nodes:
            parent = node.getparent()
            top = stack[-1]
            while top[0] is not parent:  # the elements before this node are done
                pop()
                below = stack[-1]
                if top[3] != _NOTHING:
                    self.close(top, below)
                elif below[1] == _READ:  # nothing to close: the text after it
                    if top[5] and below[2]:
                        buf.append(" ")
                    tail = top[0].tail
                    if tail:
                        buf.append(tail)
                top = below
            mode = top[1]
            if mode == _SKIPPED:
                if len(node):
                    push((node, _SKIPPED, False, _NOTHING, None, False))
                continue
            if mode == _ROW:
                self.in_row(node, top, push)
                continue
            tag = node.tag
            if tag.__class__ is not str:  # a comment or processing instruction: its tail
                tail = node.tail
                if tail:
                    buf.append(tail)
                continue
            if tag in SKIP:
                keys: list[str] = []
                hidden = True
            else:
                keys = node.keys()
                hidden = bool(keys) and (
                    "hidden" in keys
                    or ("style" in keys and _HIDDEN_STYLE.search(node.get("style")) is not None)
                )
            count = len(node)
            if hidden:
                frame = (node, _SKIPPED, False, _NOTHING, None, False)
            elif tag in _PLAIN and not ("role" in keys or "class" in keys or "style" in keys):
                text = node.text  # an inline element read as text: nothing to start
                if text:
                    buf.append(text)
                frame = (node, _READ, False, _NOTHING, None, True)
            else:
                frame = self.open(node, keys, count, tag)
            if count:
                push(frame)
            elif frame[3] == _NOTHING:  # closed at once: the text after it
                if frame[5] and top[2]:
                    buf.append(" ")
                tail = node.tail
                if tail:
                    buf.append(tail)
            else:
                self.close(frame, top)
        while stack:
            frame = pop()
            self.close(frame, stack[-1] if stack else None)

    def open(self, el: etree._Element, keys: list[str], count: int, name: str) -> _Frame:
        """Start reading a visible element: what ``html_walk._Walker.element`` does first."""
        buf = self.buf
        end, arg = _NOTHING, None
        if name == "br":
            buf.append(" ")
            return (el, _SKIPPED, False, _NOTHING, None, True)
        if self.flat and (name in _BLOCKS or name in _HEADINGS):
            buf.append(" ")
            end = _SPACE
        elif name in _HEADINGS:
            end, arg = self.container("heading", _HEADINGS[name])
        elif "role" in keys and el.get("role") == "heading":  # its aria-level, 2 by default (ARIA)
            end, arg = self.container("heading", _aria_level(el.get("aria-level")))
        elif name in _LISTS:
            self.flush()
            self.depth += 1
            end = _LIST
        elif name == "li":
            end, arg = self.container("item", max(1, self.depth))
        elif name == "tr" and (row := self.row(el)) is not None:
            return row
        elif name in _BLOCKS:
            self.flush()  # its blocks are of the kind and level around it
            end = _FLUSH
        elif ("class" in keys or "style" in keys) and _boxed_by(el.get("class"), el.get("style")):
            buf.append(" ")
            end = _SPACE
        text = el.text
        if text:
            buf.append(text)
        spaced = count > 1 and name in _LAYOUT and _spaced(el, text)
        return (el, _READ, spaced, end, arg, True)

    def container(self, kind: BlockKind, level: int) -> tuple[int, object]:
        """Start a block element whose own text forms blocks of ``kind``/``level``."""
        self.flush()
        saved = self.kind, self.level
        self.kind, self.level = kind, level
        return _RESTORE, saved

    def row(self, tr: etree._Element) -> _Frame | None:
        """A table row of two or more visible cells (None for a lone cell: read as a block):
        its cells' texts joined with `` | ``, nothing else of it read."""
        cells = {c for c in tr if c.tag in ("td", "th") and not _hidden(c)}
        if len(cells) <= 1:
            return None
        self.flush()
        self.flat += 1
        return (tr, _ROW, False, _ROW_DONE, _Row(cells), True)

    def in_row(self, node: etree._Element, row: _Frame, push: Callable[[_Frame], None]) -> None:
        """A child of a table row: a cell is read into its own text, the rest skipped."""
        cells = cast(_Row, row[4])
        if node in cells.cells:
            text = node.text
            if text:
                self.buf.append(text)
            frame = (node, _READ, False, _CELL, cells, False)
            if len(node):
                push(frame)
            else:
                self.close(frame, row)
        elif len(node):
            push((node, _SKIPPED, False, _NOTHING, None, False))

    def close(self, frame: _Frame, parent: _Frame | None) -> None:
        """An element's children are done: its closing step, then the text after it."""
        end = frame[3]
        buf = self.buf
        if end == _SPACE:
            buf.append(" ")
        elif end == _FLUSH:
            self.flush()
        elif end == _RESTORE:
            self.flush()
            self.kind, self.level = cast(tuple[BlockKind, int], frame[4])
        elif end == _LIST:
            self.flush()
            self.depth -= 1
        elif end == _CELL:
            cast(_Row, frame[4]).texts.append(normalize("".join(buf)))
            buf.clear()
        elif end == _ROW_DONE:
            self.flat -= 1
            line = " | ".join(t for t in cast(_Row, frame[4]).texts if t)
            if line:
                self.add(block_of_line(line))
        if parent is not None and parent[1] == _READ:
            if frame[5] and parent[2]:
                buf.append(" ")
            tail = frame[0].tail
            if tail:
                buf.append(tail)
