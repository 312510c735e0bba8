"""Parsed HTML and CSS selection: lxml's tree when every selector is simple, else soupsieve.

Selectors in sources.toml are CSS as soupsieve (BeautifulSoup's ``select``) understands
them. Most are simple (``main``, ``#terms``, ``.sr-only``, ``[role="article"]``,
``main .sr-only``, ``div:has(> #license)``): for those, ``cssselect`` translates the selector
to XPath and lxml evaluates it on its own tree, many times faster than building a
BeautifulSoup tree. A selector using anything else (other pseudo-classes such as ``:not()``,
``:has()`` beyond one compound selector per argument, namespaces, attributes
whose values HTML compares without case or that BeautifulSoup splits into lists) is read
by soupsieve on a BeautifulSoup tree, so its meaning never changes. Both trees come from
the same lxml parse. Pure: no I/O.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import lru_cache

from bs4 import BeautifulSoup
from bs4.element import Tag
from cssselect import HTMLTranslator, SelectorError, parse
from cssselect import parser as css
from lxml import etree

from .html_preorder import preorder_blocks
from .html_walk import SoupNodes, walk, word_set
from .model import Block

# Attributes whose selector values soupsieve matches without case in HTML, or that
# BeautifulSoup splits into lists of words: attribute selectors on them go to soupsieve.
_SOUPSIEVE_ATTRIBUTES = word_set(
    "accept accept-charset align alink axis bgcolor charset checked clear codetype color "
    "compact declare defer dir direction disabled enctype face frame hreflang http-equiv lang "
    "language link media method multiple nohref noresize noshade nowrap readonly rel rev rules "
    "scope scrolling selected shape target text type valign valuetype vlink "
    "class headers accesskey dropzone"
)
_OPERATORS = frozenset({"exists", "=", "~=", "^=", "$=", "*=", "|="})
_COMBINATORS = frozenset({" ", ">", "+", "~"})
_TRANSLATOR = HTMLTranslator()


def _simple(node: object, in_has: bool = False) -> bool:
    """Whether a parsed selector uses only what cssselect and soupsieve read alike
    (``in_has``: inside ``:has()``, where soupsieve takes neither another ``:has()`` nor
    a combinator after the leading one)."""
    if isinstance(node, css.Element):
        return node.namespace is None
    if isinstance(node, css.Hash | css.Class):
        return _simple(node.selector, in_has)
    if isinstance(node, css.CombinedSelector):  # soupsieve allows none inside :has()
        return (
            not in_has
            and node.combinator in _COMBINATORS
            and _simple(node.selector)
            and _simple(node.subselector)
        )
    if isinstance(node, css.Relation):  # :has(X), :has(> X), :has(+ X), :has(~ X)
        return (
            not in_has
            and _simple(node.selector)
            and all(
                combinator.value in _COMBINATORS
                and sub.pseudo_element is None
                and _simple(sub.parsed_tree, True)
                for combinator, sub in node.arguments
            )
        )
    if isinstance(node, css.Attrib):
        value = node.value.value if node.value is not None else None
        plain_value = node.operator == "exists" or (
            isinstance(value, str) and value != "" and not (node.operator == "~=" and " " in value)
        )
        return (
            node.namespace is None
            and node.operator in _OPERATORS
            and node.attrib.lower() not in _SOUPSIEVE_ATTRIBUTES
            and plain_value
            and _simple(node.selector, in_has)
        )
    return False


@lru_cache(maxsize=256)
def xpath(selectors: tuple[str, ...]) -> etree.XPath | None:
    """The compiled XPath of a selector list, or None when soupsieve must read it."""
    try:
        parsed = [s for text in selectors for s in parse(text)]
    except SelectorError:
        return None
    if not parsed or any(
        s.pseudo_element is not None or not _simple(s.parsed_tree) for s in parsed
    ):
        return None
    return etree.XPath(" | ".join(_TRANSLATOR.selector_to_xpath(s) for s in parsed))


def _outermost(found: list[etree._Element]) -> list[etree._Element]:
    """Matches in document order without those nested inside another match."""
    chosen = set(found)
    return [t for t in found if not any(p in chosen for p in t.iterancestors())]


class LxmlTree:
    """A page as lxml's tree, selected by compiled XPath, read by ``html_preorder``."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root

    def name(self, el: etree._Element) -> str:
        tag: str = el.tag  # an element's (selectors match elements only)
        return tag

    def remove(self, selectors: tuple[str, ...]) -> None:
        """Drop every element matching ``selectors`` (the text after each stays)."""
        query = xpath(selectors)
        assert query is not None
        for el in query(self.root):
            parent = el.getparent()
            if parent is None:
                continue
            if el.tail:  # the text after it belongs to its parent
                previous = el.getprevious()
                if previous is not None:
                    previous.tail = (previous.tail or "") + el.tail
                else:
                    parent.text = (parent.text or "") + el.tail
            parent.remove(el)

    def select(self, selectors: tuple[str, ...]) -> list[etree._Element]:
        query = xpath(selectors)
        assert query is not None
        return _outermost(list(query(self.root)))

    def select_within(
        self, regions: Sequence[etree._Element], selectors: tuple[str, ...]
    ) -> list[etree._Element]:
        """Outermost matches strictly inside the regions, in document order."""
        query = xpath(selectors)
        assert query is not None
        inside = set(regions)
        found = [el for el in query(self.root) if any(a in inside for a in el.iterancestors())]
        return _outermost(found)

    def title(self) -> str | None:
        el = next(self.root.iter("title"), None)
        return None if el is None else " ".join(el.itertext())

    def blocks(self, regions: Sequence[etree._Element]) -> list[Block]:
        return preorder_blocks(regions)

    def body_blocks(self, max_chars: int | None = None) -> list[Block]:
        body = next(self.root.iter("body"), None)
        return preorder_blocks([self.root if body is None else body], max_chars)


class SoupTree:
    """A page as a BeautifulSoup tree (built by lxml), selected by soupsieve."""

    nodes = SoupNodes()

    def __init__(self, html: str) -> None:
        with warnings.catch_warnings():  # advisory warnings (XML-looking input, ...) are noise
            warnings.simplefilter("ignore")
            self.root = BeautifulSoup(html, "lxml")

    def name(self, tag: Tag) -> str:
        return tag.name

    def remove(self, selectors: tuple[str, ...]) -> None:
        for tag in self.root.select(", ".join(selectors)):
            if not tag.decomposed:
                tag.decompose()

    def select(self, selectors: tuple[str, ...]) -> list[Tag]:
        return _outermost_tags(self.root.select(", ".join(selectors)))

    def select_within(self, regions: Sequence[Tag], selectors: tuple[str, ...]) -> list[Tag]:
        selector = ", ".join(selectors)
        return _outermost_tags([t for region in regions for t in region.select(selector)])

    def title(self) -> str | None:
        return self.root.title.get_text(" ") if self.root.title else None

    def blocks(self, regions: Sequence[Tag]) -> list[Block]:
        return walk(self.nodes, regions)

    def body_blocks(self, max_chars: int | None = None) -> list[Block]:
        return walk(self.nodes, [self.root.body or self.root], max_chars)


def _outermost_tags(tags: list[Tag]) -> list[Tag]:
    chosen = {id(t) for t in tags}
    return [t for t in tags if not any(id(p) in chosen for p in t.parents)]


def parse_html(
    html: str, selectors: Sequence[tuple[str, ...]], utf8: bytes | None = None
) -> LxmlTree | SoupTree:
    """The page's tree: lxml's when every selector list is simple, else BeautifulSoup's.

    ``utf8``: ``html`` as UTF-8 bytes when at hand (the fetched bytes): lxml reads bytes
    faster than a str, into the same tree. NUL characters are dropped."""
    if all(xpath(s) is not None for s in selectors if s):
        root = _lxml_root(html, utf8)
        if root is not None:
            return LxmlTree(root)
    return SoupTree(html.replace("\x00", ""))


def _lxml_root(html: str, utf8: bytes | None) -> etree._Element | None:
    """lxml's tree of the page, or None when lxml cannot read all of it."""
    data = utf8.replace(b"\x00", b"") if utf8 is not None else None
    if data is not None and data.startswith(b"<?xml"):
        data = None  # lxml refuses a str opening with an XML declaration: read as the str
    # One parser per call (parsers are not thread-safe); no ID table: nothing looks IDs up
    parser = etree.HTMLParser(
        huge_tree=True, collect_ids=False, encoding=None if data is None else "utf-8"
    )
    try:
        root = etree.fromstring(html.replace("\x00", "") if data is None else data, parser)
    except (ValueError, etree.ParserError):  # an XML declaration in a str, ...
        return None
    # libxml2 building a tree stops at a fatal error (nesting deeper than 2,048): the
    # BeautifulSoup builder, fed parse events, reads such pages to the end.
    if root is None or parser.error_log.filter_from_level(etree.ErrorLevels.FATAL):
        return None
    return root
