"""Fetched bytes → the normalized text of a document's tracked region. Pure: no I/O.

The text keeps the structure a reader sees as one *block* per line:

    # Heading text            (heading, level 1..6 → that many '#')
    Paragraph text
    - List item text          (item; nested items are indented two spaces per level)
    cell | cell | cell        (table row)

Only what a reader sees counts: scripts, styles, hidden elements, form internals and link
targets never appear, and whitespace, invisible characters and ``<br>`` placement are
normalized away, so the text changes only when the visible wording does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .errors import CollapsedError, ExtractError, SelectorMissError
from .extract_charset import bom_of, decode, decode_page
from .extract_pdf import pdf_blocks, plain_blocks
from .html_tree import LxmlTree, SoupTree, parse_html
from .html_walk import normalize
from .limits import collapse

# Block, Extraction and blocks_from_text live in model.py; re-exported for older imports.
from .model import Block as Block
from .model import ClauseRule, DocumentConfig
from .model import Extraction as Extraction
from .model import blocks_from_text as blocks_from_text

__all__ = ["Block", "Extraction", "blocks_from_text", "decode", "extract", "normalize"]

_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF")

# -- limits and patterns ---------------------------------------------------------------------

CHALLENGE_MAX_CHARS = 3000  # challenge/error wording only counts on pages this short

_CHALLENGE = re.compile(
    r"just a moment\.\.\.|attention required|access denied|access to this page has been denied"
    r"|enable javascript and cookies to continue|checking your browser|verify you are (a )?human"
    r"|are you a robot|complete the security check|captcha|request blocked|unusual traffic"
    r"|too many requests|403 forbidden|404 not found|page not found|service unavailable"
    r"|internal server error|bad gateway",
    re.IGNORECASE,
)
# Markup only challenge and block pages carry: the challenge forms, scripts and frames of
# bot-protection services (Cloudflare, Akamai, DataDome, PerimeterX) and captcha widgets.
# (The scripts these services inject into every protected page are not listed.)
_CHALLENGE_MARKUP = re.compile(
    r"_cf_chl_opt|/cdn-cgi/challenge-platform/h/|id=[\"']?(?:challenge-form|cf-wrapper)\b"
    r"|cf-error-details|cf-browser-verification|errors\.edgesuite\.net|/_sec/cp_challenge"
    r"|sec-if-cpt-container|captcha-delivery\.com|px-captcha|class=[\"']?(?:g-recaptcha|h-captcha)\b",
    re.IGNORECASE,
)
# Literal pieces, one of which every match of _CHALLENGE_MARKUP contains (compared with the
# page in lower case): most pages have none, and the regex never runs over them.
_CHALLENGE_ANCHORS = (
    "_cf_chl_opt",
    "/cdn-cgi/challenge-platform/h/",
    "challenge-form",
    "cf-wrapper",
    "cf-error-details",
    "cf-browser-verification",
    "errors.edgesuite.net",
    "/_sec/cp_challenge",
    "sec-if-cpt-container",
    "captcha-delivery.com",
    "px-captcha",
    "g-recaptcha",
    "h-captcha",
)
# The anchors grouped under a piece several of them share: a page without the piece has
# none of them, and each needle test is a scan of the whole page (~3 instructions a byte).
_ANCHOR_GROUPS = tuple(
    (piece, tuple(anchor for anchor in _CHALLENGE_ANCHORS if piece in anchor))
    for piece in ("captcha", "challenge", "cf-", "_cf_chl_opt", "edgesuite", "sec-if-cpt")
)
assert sorted(a for _, group in _ANCHOR_GROUPS for a in group) == sorted(_CHALLENGE_ANCHORS)
_ANCHOR_GROUP_BYTES = tuple(
    (piece.encode(), tuple(anchor.encode() for anchor in group)) for piece, group in _ANCHOR_GROUPS
)
# Characters that re.IGNORECASE also matches with ASCII letters (İ ı ſ K).
_ASCII_FOLD = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
PROSE_WORDS = 12  # a paragraph or item of at least this many words reads as prose
POLICY_PROSE_BLOCKS = 3  # a region with this many prose blocks is a document, not a challenge


# -- entry points ----------------------------------------------------------------------------


# -- entry points ----------------------------------------------------------------------------


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
    mime = (content_type or "").split(";")[0].strip().lower()
    ignore = tuple(re.compile(p) for p in doc.ignore)
    if content.startswith(b"%PDF") or mime == "application/pdf":
        blocks = _keep(pdf_blocks(content), ignore)
        result = Extraction(blocks)
    else:
        if content.startswith(_BINARY_MAGIC) or (b"\x00" in content[:2048] and not bom_of(content)):
            raise ExtractError(f"{doc.key}: binary content ({mime or 'unknown type'}), not text")
        if mime == "text/plain":
            text = decode(content, content_type, sniff_meta=False)
            result = Extraction(_keep(plain_blocks(text), ignore))
        else:
            html, utf8 = decode_page(content, content_type)
            result = _html_extraction(html, content if utf8 else None, doc, ignore)
    _check_quality(result, doc, previous_text)
    return result


def _keep(blocks: list[Block], ignore: tuple[re.Pattern[str], ...]) -> tuple[Block, ...]:
    """Drop blocks matching a document's ``ignore`` patterns."""
    return tuple(b for b in blocks if not any(p.search(b.text) for p in ignore))


# -- HTML ------------------------------------------------------------------------------------

Tree = LxmlTree | SoupTree


def _html_extraction(
    html: str, utf8: bytes | None, doc: DocumentConfig, ignore: tuple[re.Pattern[str], ...]
) -> Extraction:
    """Remove, select, then walk the tracked regions once into blocks (``utf8``: ``html``
    as UTF-8 bytes, when it is the fetched bytes)."""
    selectors = [doc.remove, doc.select, *(r.select for r in doc.clauses)]
    tree = parse_html(html, selectors, utf8)
    if doc.remove:
        tree.remove(doc.remove)
    regions: list[Any] = tree.select(doc.select) if doc.select else [tree.root]
    raw_title = tree.title()
    title = normalize(raw_title) if raw_title is not None else ""
    if not regions:
        if _challenge_markup(html, utf8) or _CHALLENGE.search(title) or _looks_blocked(tree):
            raise CollapsedError(
                f"{doc.key}: looks like a bot challenge or error page ({title[:80]!r}); "
                f"selector matched nothing: {', '.join(doc.select)}"
            )
        raise SelectorMissError(f"{doc.key}: selector matched nothing: {', '.join(doc.select)}")
    blocks = _keep(tree.blocks(regions), ignore)
    if sum(len(b.text) for b in blocks) < CHALLENGE_MAX_CHARS:
        if marker := _challenge_markup(html, utf8):
            raise CollapsedError(
                f"{doc.key}: looks like a bot challenge or error page (its markup has {marker!r})"
            )
        if _CHALLENGE.search(title) and not reads_as_policy(blocks):
            raise CollapsedError(f"{doc.key}: looks like a bot challenge or error page ({title!r})")
    clause_blocks, misses = _clauses(tree, regions, doc.clauses, ignore)
    names = {tree.name(r) for r in regions} if doc.select else set()
    return Extraction(blocks, clause_blocks, misses, _unclosed(html, names))


def _unclosed(html: str, names: set[str]) -> str | None:
    """Why the input ends inside a tracked region or before the page's end, or None.

    The parser closes every open element at the end of the input, so a body cut short
    still parses; the raw markup shows it: fewer ``</main>`` than ``<main>`` (for each
    region's element name), or an ``<html>`` page with neither ``</body>`` nor ``</html>``.
    Markup is compared in lower case (``str.lower``).
    """
    # Without İ or K (whose lower case has ASCII letters), matching ASCII tags in ``html``
    # without ASCII case finds what an exact match finds in ``html.lower()``, without
    # lowering the whole page (slow for text that is not ASCII).
    fold = "\u0130" not in html and "\u212a" not in html
    fold = fold and all(n.isascii() and n == n.lower() for n in names)
    text, case = (html, "ai") if fold else (html.lower(), "")
    for name in sorted(names):
        tags = re.findall(rf"(?{case}:<(/?){re.escape(name)})([\s>/]?)", text)
        opened = sum(1 for slash, after in tags if not slash and after)
        if sum(1 for slash, _ in tags if slash) < opened:
            return f"the page ends inside the tracked <{name}> (not closed)"
    closed = _has(text, "</html", case, True) or _has(text, "</body", case, True)
    if not closed and _has(text, "<html", case):
        return "the page ends before </body> and </html>"
    return None


def _has(text: str, markup: str, case: str, near_end: bool = False) -> bool:
    """Whether ``text`` contains ``markup`` (ASCII letters in any case when ``case`` is
    "ai"); ``near_end``: look at the last 8 kB first (closing tags end a page)."""
    found = re.compile(rf"(?{case}:{re.escape(markup)})").search
    return bool(near_end and found(text, max(0, len(text) - 8192))) or bool(found(text))


def _challenge_markup(html: str, utf8: bytes | None) -> str | None:
    """The challenge-page markup ``html`` carries (a challenge form, script, frame), or None.

    When none of the anchors is in the page in lower case (İ ı ſ K as ASCII), no match
    can be (the regex is slow on large pages). ``utf8``: ``html``'s UTF-8 bytes, if at hand:
    without those four letters, lowering the bytes' ASCII letters finds the same anchors
    as lowering the text, much faster."""
    if utf8 is not None and not any(odd in html for odd in _ASCII_FOLD):
        lowered = utf8.lower()
        found = any(
            piece in lowered and any(anchor in lowered for anchor in group)
            for piece, group in _ANCHOR_GROUP_BYTES
        )
    else:
        folded = html.lower()
        for odd, letter in _ASCII_FOLD.items():
            if odd in html:  # rare: str.translate over a whole page is slow
                folded = folded.replace(odd.lower(), letter)
        found = any(anchor in folded for anchor in _CHALLENGE_ANCHORS)
    m = _CHALLENGE_MARKUP.search(html) if found else None
    return m.group(0) if m else None


def reads_as_policy(blocks: Sequence[Block]) -> bool:
    """Whether blocks read as a document: several paragraphs or items of prose.

    Challenge, block and error pages are a heading and a line or two; a policy, even a
    short one that mentions captchas or rate limits, has paragraphs of sentences.
    """
    prose = (b for b in blocks if b.kind in ("paragraph", "item"))
    return sum(len(b.text.split()) >= PROSE_WORDS for b in prose) >= POLICY_PROSE_BLOCKS


def _looks_blocked(tree: Tree) -> bool:
    """A short page whose visible text reads like a challenge, block or error page."""
    # Reading stops at twice the limit: the text is no shorter than its blocks' texts.
    blocks = tree.body_blocks(2 * CHALLENGE_MAX_CHARS)
    if sum(len(b.text) for b in blocks) >= 2 * CHALLENGE_MAX_CHARS:
        return False
    text = normalize(" ".join(b.text for b in blocks))
    short = len(text) < CHALLENGE_MAX_CHARS
    return short and bool(_CHALLENGE.search(text)) and not reads_as_policy(blocks)


def _clauses(
    tree: Tree,
    regions: list[Any],
    rules: tuple[ClauseRule, ...],
    ignore: tuple[re.Pattern[str], ...],
) -> tuple[dict[str, tuple[Block, ...]], tuple[str, ...]]:
    """Blocks of each selector-based clause rule, run inside the tracked regions."""
    found: dict[str, tuple[Block, ...]] = {}
    misses: list[str] = []
    for rule in rules:
        if not rule.select:
            continue
        matches = tree.select_within(regions, rule.select)
        blocks = _keep(tree.blocks(matches), ignore) if matches else ()
        if blocks:
            found[rule.key] = blocks
        else:
            misses.append(rule.key)
    return found, tuple(misses)


# -- sanity ----------------------------------------------------------------------------------


def _check_quality(result: Extraction, doc: DocumentConfig, previous_text: str | None) -> None:
    """Refuse empty, collapsed, or challenge/error-page text (never stored as a version)."""
    text = result.text
    if not text.strip():
        raise CollapsedError(f"{doc.key}: the tracked region has no text")
    short = len(text) < CHALLENGE_MAX_CHARS
    if short and (m := _CHALLENGE.search(text)) and not reads_as_policy(result.blocks):
        raise CollapsedError(
            f"{doc.key}: looks like a bot challenge or error page ({m.group(0)!r})"
        )
    if (why := collapse(doc.key, text, previous_text)) is not None:
        raise CollapsedError(why)
