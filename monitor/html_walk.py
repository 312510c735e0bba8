"""An HTML tree → blocks of visible text: what a reader sees, and the walk of a BeautifulSoup
tree. Pure: no I/O.

``walk`` reads a tree through a small adapter (``Nodes``): BeautifulSoup tags when a
selector needs soupsieve (``SoupNodes``). lxml's tree, the fast path, is read in one
preorder pass by ``html_preorder`` with the same rules (what is skipped, where blocks end),
which are defined here. Both trees come from the same lxml (libxml2) parse, so both give
the same blocks.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar

from bs4.element import NavigableString, PreformattedString, Tag

from .model import Block, BlockKind, block_of_line

# Characters a reader never sees (soft hyphen, zero-width, bidirectional controls, NUL).
_INVISIBLE_CHARS = tuple(
    "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\x00"
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# An inline element styled as a box of its own (a line, a badge, a flex item): a reader sees
# it apart from the text around it. CSS frameworks' display utilities (Tailwind, Bootstrap)
# and inline styles say so in the markup.
_BOX_STYLE = re.compile(
    r"display\s*:\s*(?:inline-)?(?:block|flex|grid|table)\b|display\s*:\s*(?:list-item|flow-root)\b",
    re.IGNORECASE,
)


def word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


SKIP = word_set(
    "script style noscript template svg iframe head title meta link object embed canvas "
    "audio video img picture source track map select datalist option textarea input"
)
_LISTS = frozenset({"ul", "ol", "menu", "dir"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BOX_CLASSES = word_set(
    "block inline-block flex inline-flex grid inline-grid table flow-root list-item "
    "d-block d-inline-block d-flex d-inline-flex d-grid d-table"
)
# Layout containers: when one holds elements and no text of its own, its children are laid
# out as separate boxes (rows, flex items), never as one run of text.
_LAYOUT = word_set(
    "div section header footer nav aside main article hgroup search form figure body"
)
_BLOCKS = word_set(
    "address article aside blockquote body center dd details dialog div dl dt fieldset "
    "figcaption figure footer form header hgroup html legend main nav p pre section summary "
    "search table thead tbody tfoot caption hr li tr td th"
)


def normalize(text: str) -> str:
    """Visible text → one line: NFKC (NBSP, ligatures), invisible characters dropped,
    whitespace collapsed. Curly quotes and dashes are kept as they are."""
    if text.isascii():
        if "\x00" in text:
            text = text.replace("\x00", "")
    else:  # NFKC reads NBSP as a space: replaced first, most texts need no NFKC pass
        for char in _INVISIBLE_CHARS:  # a text without wide characters has none of most
            if char in text:
                text = text.replace(char, "")
        text = text.replace("\xa0", " ")
        if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    # Every whitespace character but the space is unprintable: a printable text without
    # two spaces in a row or at its ends is what the split and join would make of it.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


N = TypeVar("N")


class Nodes(Protocol[N]):
    """How the walker reads one kind of tree."""

    def is_element(self, item: object) -> bool: ...
    def name(self, node: N) -> str: ...
    def attr(self, node: N, key: str) -> str | None: ...
    def hidden(self, node: N) -> bool: ...
    def boxed(self, node: N) -> bool: ...
    def children(self, node: N) -> list[str | N]: ...
    def cells(self, tr: N) -> list[N]: ...


def _hidden_by(has_hidden: bool, style: object) -> bool:
    """The ``hidden`` attribute or an inline hiding style: never seen by a reader."""
    return has_hidden or (isinstance(style, str) and _HIDDEN_STYLE.search(style) is not None)


def _boxed_by(classes: object, style: object) -> bool:
    """A display utility class or an inline display style making an element its own box."""
    if isinstance(classes, str):
        classes = classes.split()
    if isinstance(classes, list) and not _BOX_CLASSES.isdisjoint(classes):
        return True
    return isinstance(style, str) and _BOX_STYLE.search(style) is not None


class SoupNodes:
    """BeautifulSoup tags (comments, doctype and CDATA are not text)."""

    def is_element(self, item: object) -> bool:
        return isinstance(item, Tag)

    def name(self, node: Tag) -> str:
        return node.name

    def attr(self, node: Tag, key: str) -> str | None:
        value = node.get(key)
        return value if isinstance(value, str) else None

    def hidden(self, node: Tag) -> bool:
        attrs = node.attrs
        return bool(attrs) and _hidden_by("hidden" in attrs, attrs.get("style"))

    def boxed(self, node: Tag) -> bool:
        attrs = node.attrs
        return bool(attrs) and _boxed_by(attrs.get("class"), attrs.get("style"))

    def children(self, node: Tag) -> list[str | Tag]:
        items: list[str | Tag] = []
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):
                    items.append(child)
            elif isinstance(child, Tag) and child.name not in SKIP and not self.hidden(child):
                items.append(child)
        return items

    def cells(self, tr: Tag) -> list[Tag]:
        found = tr.find_all(("td", "th"), recursive=False)
        return [c for c in found if isinstance(c, Tag) and not self.hidden(c)]


def walk(nodes: Nodes[N], roots: Iterable[N], max_chars: int | None = None) -> list[Block]:
    """Blocks of ``roots`` (each read as the element it is: a matched heading stays one);
    with ``max_chars``, only the first blocks once their texts have that many characters."""
    walker = _Walker(nodes, max_chars)
    for root in roots:
        walker.run(root)
        walker.flush()
        if walker.chars_left <= 0:
            break
    return walker.blocks


# A step run when an element's children are done: a function and its argument.
_Step = tuple[Callable[[Any], None], Any]


def _boxes_only(children: list[str | N]) -> bool:
    """Elements and no text but whitespace between them."""
    return not any(isinstance(c, str) and not c.isspace() for c in children)


def _block(kind: BlockKind, text: str, level: int) -> Block:
    """The block of normalized ``text`` read as a block of ``kind``: what its line reads as
    (``block_of_line``), so a paragraph reading "# x" is a heading. A heading's (level
    1-6) or an item's line (level >= 1) always reads as the block itself."""
    if kind != "paragraph":
        return Block(kind, text, level)
    if text.startswith(("#", "- ")):
        return block_of_line(text)
    return Block("row" if " | " in text else "paragraph", text, 0)


class _Walker(Generic[N]):
    """One pass over the tree: inline text accumulates, block elements close blocks.

    Iterative: an explicit stack of what to do next (text to add, an element to read, a
    step to run when an element's children are done), so any nesting depth is read (no
    recursion limit).
    """

    def __init__(self, nodes: Nodes[N], max_chars: int | None = None) -> None:
        self.nodes = nodes
        self.blocks: list[Block] = []
        self.chars_left = max_chars if max_chars is not None else sys.maxsize
        self.buf: list[str] = []
        self.kind: BlockKind = "paragraph"
        self.level = 0
        self.depth = 0  # list nesting
        self.flat = 0  # >0 inside a table cell: block boundaries become spaces
        self.stack: list[str | N | _Step] = []

    def run(self, root: N) -> None:
        """Read ``root`` as an element, then everything pushed while reading it."""
        stack, buf, element = self.stack, self.buf, self.element
        pop = stack.pop
        stack.append(root)
        while stack:
            item = pop()
            if isinstance(item, str):
                buf.append(item)
            elif isinstance(item, tuple):
                item[0](item[1])
            else:
                element(item)

    def flush(self, _: object = None) -> None:
        """Close the pending inline text as one block of the current kind."""
        buf = self.buf
        if not buf:
            return
        text = normalize("".join(buf))
        buf.clear()
        if text:
            self.add(_block(self.kind, text, self.level))

    def add(self, block: Block) -> None:
        self.blocks.append(block)
        self.chars_left -= len(block.text)
        if self.chars_left <= 0:
            self.stack.clear()  # enough read: nothing more is done

    def walk(self, node: N, name: str, then: _Step | str | None = None) -> None:
        """Schedule ``node``'s visible children in order, then ``then`` (a step or text).

        The children of a layout container without text of its own are read apart (a
        space after each), so adjacent boxes never glue ("Updated" + "March 14, 2023").
        """
        stack = self.stack
        if then is not None:
            stack.append(then)
        children = self.nodes.children(node)
        if len(children) > 1 and name in _LAYOUT and _boxes_only(children):
            children = [x for c in children for x in (c, " ")]
        children.reverse()
        stack.extend(children)

    def container(self, tag: N, name: str, kind: BlockKind, level: int) -> None:
        """Walk a block element whose own text forms blocks of ``kind``/``level``."""
        self.flush()
        saved = self.kind, self.level
        self.kind, self.level = kind, level
        self.walk(tag, name, (self.close, saved))

    def close(self, saved: tuple[BlockKind, int]) -> None:
        self.flush()
        self.kind, self.level = saved

    def element(self, tag: N) -> None:
        nodes = self.nodes
        name = nodes.name(tag)
        if name == "br":
            self.buf.append(" ")
        elif self.flat and (name in _BLOCKS or name in _HEADINGS):
            self.buf.append(" ")
            self.walk(tag, name, " ")
        elif name in _HEADINGS:
            self.container(tag, name, "heading", _HEADINGS[name])
        elif nodes.attr(tag, "role") == "heading":  # its aria-level, 2 by default (ARIA)
            self.container(tag, name, "heading", _aria_level(nodes.attr(tag, "aria-level")))
        elif name in _LISTS:
            self.flush()
            self.depth += 1
            self.walk(tag, name, (self.close_list, None))
        elif name == "li":
            self.container(tag, name, "item", max(1, self.depth))
        elif name == "tr":
            self.row(tag)
        elif name in _BLOCKS:
            self.container(tag, name, self.kind, self.level)
        elif nodes.boxed(tag):  # an inline element shown as a box: apart from its text
            self.buf.append(" ")
            self.walk(tag, name, " ")
        else:
            self.walk(tag, name)

    def close_list(self, _: object) -> None:
        self.flush()
        self.depth -= 1

    def row(self, tr: N) -> None:
        """A table row: non-empty cells joined with `` | ``; a lone cell is walked as-is."""
        cells = self.nodes.cells(tr)
        if len(cells) <= 1:
            self.container(tr, "tr", self.kind, self.level)
            return
        self.flush()
        texts: list[str] = []
        self.flat += 1
        self.stack.append((self.row_done, texts))
        name = self.nodes.name
        for cell in reversed(cells):
            self.walk(cell, name(cell), (self.cell_done, texts))

    def cell_done(self, texts: list[str]) -> None:
        texts.append(normalize("".join(self.buf)))
        self.buf.clear()

    def row_done(self, texts: list[str]) -> None:
        self.flat -= 1
        line = " | ".join(t for t in texts if t)
        if line:
            self.add(block_of_line(line))


def _aria_level(raw: str | None) -> int:
    """A ``role=heading`` element's ``aria-level`` → 1-6 (2 when absent or not a number)."""
    digits = raw.strip() if raw is not None else ""
    return min(6, max(1, int(digits))) if digits.isdigit() else 2
