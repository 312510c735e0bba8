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

import codecs
import io
import re
import unicodedata
import warnings
from collections.abc import Callable, Sequence

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from .errors import CollapsedError, ExtractError, SelectorMissError

# Block, Extraction and blocks_from_text live in model.py; re-exported for older imports.
from .model import Block as Block
from .model import BlockKind, ClauseRule, DocumentConfig, block_of_line
from .model import Extraction as Extraction
from .model import blocks_from_text as blocks_from_text

# -- limits and patterns ---------------------------------------------------------------------

COLLAPSE_RATIO = 0.25  # new text shorter than this share of the previous one has collapsed
COLLAPSE_MIN_PREVIOUS = 2000  # ...when the previous text had at least this many characters
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
PROSE_WORDS = 12  # a paragraph or item of at least this many words reads as prose
POLICY_PROSE_BLOCKS = 3  # a region with this many prose blocks is a document, not a challenge


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"
        "\u2066\u2067\u2068\u2069\x00",
    ),
    None,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SKIP = _names(
    "script style noscript template svg iframe head title meta link object embed canvas "
    "audio video img picture source track map select datalist option textarea input"
)
_LISTS = frozenset({"ul", "ol", "menu", "dir"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = _names(
    "address article aside blockquote body center dd details dialog div dl dt fieldset "
    "figcaption figure footer form header hgroup html legend main nav p pre section summary "
    "search table thead tbody tfoot caption hr li tr td th"
)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_PARAM_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_SINGLE_BYTE = frozenset({"ascii", "latin-1", "iso8859-1", "cp1252"})
_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF")


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
        blocks = _keep(_pdf_blocks(content), ignore)
        result = Extraction(blocks)
    else:
        if content.startswith(_BINARY_MAGIC) or (b"\x00" in content[:2048] and not _bom(content)):
            raise ExtractError(f"{doc.key}: binary content ({mime or 'unknown type'}), not text")
        if mime == "text/plain":
            text = decode(content, content_type, sniff_meta=False)
            result = Extraction(_keep(_plain_blocks(text), ignore))
        else:
            result = _html_extraction(decode(content, content_type), doc, ignore)
    _check_quality(result, doc, previous_text)
    return result


def normalize(text: str) -> str:
    """Visible text → one line: NFKC (NBSP, ligatures), invisible characters dropped,
    whitespace collapsed. Curly quotes and dashes are kept as they are."""
    text = text.translate(_INVISIBLE)
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def _keep(blocks: list[Block], ignore: tuple[re.Pattern[str], ...]) -> tuple[Block, ...]:
    """Drop blocks matching a document's ``ignore`` patterns."""
    return tuple(b for b in blocks if not any(p.search(b.text) for p in ignore))


# -- charset ---------------------------------------------------------------------------------


def _utf8_or_cp1252(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: a byte that is not valid UTF-8 is read as cp1252."""
    assert isinstance(exc, UnicodeDecodeError)
    return bytes(exc.object[exc.start : exc.end]).decode("cp1252", "replace"), exc.end


codecs.register_error("tosmon-cp1252", _utf8_or_cp1252)


def _bom(content: bytes) -> tuple[str, int] | None:
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if content.startswith(bom):
            return enc, len(bom)
    return None


def _codec(label: str | None) -> str | None:
    """A charset label → Python codec name, or None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name  # as browsers do


def decode(content: bytes, content_type: str | None, sniff_meta: bool = True) -> str:
    """Bytes → text: BOM, then the Content-Type charset, then ``<meta charset>``, else
    UTF-8, reading bytes that are not valid UTF-8 as cp1252. Never raises."""
    bom = _bom(content)
    if bom:
        return content[bom[1] :].decode(bom[0], "replace")
    param = _PARAM_CHARSET.search(content_type or "")
    declared = _codec(param.group(1) if param else None)
    if declared is None and sniff_meta:
        meta = _META_CHARSET.search(content[:4096])
        declared = _codec(meta.group(1).decode("ascii") if meta else None)
    if declared and declared != "utf-8" and not declared.startswith("utf-16"):
        try:
            text = content.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
        else:  # a legacy label on valid multi-byte UTF-8 is a mis-declaration
            if declared not in _SINGLE_BYTE or content.isascii() or not _valid_utf8(content):
                return text
    return content.decode("utf-8", "tosmon-cp1252")


def _valid_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- HTML ------------------------------------------------------------------------------------


def _parse(html: str) -> BeautifulSoup:
    """Parse with lxml; BeautifulSoup's advisory warnings (XML-looking input, ...) are noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return BeautifulSoup(html.replace("\x00", ""), "lxml")


def _outermost(tags: list[Tag]) -> list[Tag]:
    """Matches in document order without those nested inside another match."""
    chosen = {id(t) for t in tags}
    return [t for t in tags if not any(id(p) in chosen for p in t.parents)]


def _html_extraction(
    html: str, doc: DocumentConfig, ignore: tuple[re.Pattern[str], ...]
) -> Extraction:
    """Remove, select, then walk the tracked regions once into blocks."""
    soup = _parse(html)
    if doc.remove:
        for tag in soup.select(", ".join(doc.remove)):
            if not tag.decomposed:
                tag.decompose()
    regions: list[Tag] = _outermost(soup.select(", ".join(doc.select))) if doc.select else [soup]
    title = normalize(soup.title.get_text(" ")) if soup.title else ""
    if not regions:
        if _challenge_markup(html) or _CHALLENGE.search(title) or _looks_blocked(soup):
            raise CollapsedError(
                f"{doc.key}: looks like a bot challenge or error page ({title[:80]!r}); "
                f"selector matched nothing: {', '.join(doc.select)}"
            )
        raise SelectorMissError(f"{doc.key}: selector matched nothing: {', '.join(doc.select)}")
    blocks = _keep(_walk(regions), ignore)
    if sum(len(b.text) for b in blocks) < CHALLENGE_MAX_CHARS:
        if marker := _challenge_markup(html):
            raise CollapsedError(
                f"{doc.key}: looks like a bot challenge or error page (its markup has {marker!r})"
            )
        if _CHALLENGE.search(title) and not reads_as_policy(blocks):
            raise CollapsedError(f"{doc.key}: looks like a bot challenge or error page ({title!r})")
    clause_blocks, misses = _clauses(regions, doc.clauses, ignore)
    return Extraction(blocks, clause_blocks, misses, _unclosed(html, regions))


def _unclosed(html: str, regions: list[Tag]) -> str | None:
    """Why the input ends inside a tracked region or before the page's end, or None.

    The parser closes every open element at the end of the input, so a body cut short
    still parses; the raw markup shows it: fewer ``</main>`` than ``<main>`` (for each
    region's element name), or an ``<html>`` page with neither ``</body>`` nor ``</html>``.
    """
    lower = html.lower()
    for name in sorted({t.name for t in regions if t.name != "[document]"}):
        opened = len(re.findall(rf"<{re.escape(name)}[\s>/]", lower))
        if lower.count(f"</{name}") < opened:
            return f"the page ends inside the tracked <{name}> (not closed)"
    if "<html" in lower and "</html" not in lower and "</body" not in lower:
        return "the page ends before </body> and </html>"
    return None


def _challenge_markup(html: str) -> str | None:
    """The challenge-page markup ``html`` carries (a challenge form, script, frame), or None."""
    m = _CHALLENGE_MARKUP.search(html)
    return m.group(0) if m else None


def reads_as_policy(blocks: Sequence[Block]) -> bool:
    """Whether blocks read as a document: several paragraphs or items of prose.

    Challenge, block and error pages are a heading and a line or two; a policy, even a
    short one that mentions captchas or rate limits, has paragraphs of sentences.
    """
    prose = (b for b in blocks if b.kind in ("paragraph", "item"))
    return sum(len(b.text.split()) >= PROSE_WORDS for b in prose) >= POLICY_PROSE_BLOCKS


def _looks_blocked(soup: BeautifulSoup) -> bool:
    """A short page whose visible text reads like a challenge, block or error page."""
    blocks = _walk([soup.body or soup])
    text = normalize(" ".join(b.text for b in blocks))
    short = len(text) < CHALLENGE_MAX_CHARS
    return short and bool(_CHALLENGE.search(text)) and not reads_as_policy(blocks)


def _clauses(
    regions: list[Tag], rules: tuple[ClauseRule, ...], ignore: tuple[re.Pattern[str], ...]
) -> tuple[dict[str, tuple[Block, ...]], tuple[str, ...]]:
    """Blocks of each selector-based clause rule, run inside the tracked regions."""
    found: dict[str, tuple[Block, ...]] = {}
    misses: list[str] = []
    for rule in rules:
        if not rule.select:
            continue
        selector = ", ".join(rule.select)
        matches = _outermost([t for region in regions for t in region.select(selector)])
        blocks = _keep(_walk(matches), ignore) if matches else ()
        if blocks:
            found[rule.key] = blocks
        else:
            misses.append(rule.key)
    return found, tuple(misses)


def _walk(roots: list[Tag]) -> list[Block]:
    """Blocks of ``roots`` (each read as the element it is: a matched heading stays one)."""
    walker = _Walker()
    for root in roots:
        walker.run(root)
        walker.flush()
    return walker.blocks


def _hidden(tag: Tag) -> bool:
    """Elements a reader never sees: the ``hidden`` attribute or an inline hiding style."""
    attrs = tag.attrs
    if not attrs:
        return False
    if "hidden" in attrs:
        return True
    style = attrs.get("style")
    return isinstance(style, str) and _HIDDEN_STYLE.search(style) is not None


def _heading_level(tag: Tag) -> int:
    """h1-h6 → 1-6; ``role=heading`` → its ``aria-level`` (2 by default, as ARIA says)."""
    level = _HEADINGS.get(tag.name)
    if level is not None:
        return level
    if tag.get("role") != "heading":
        return 0
    raw = tag.get("aria-level")
    digits = raw.strip() if isinstance(raw, str) else ""
    return min(6, max(1, int(digits))) if digits.isdigit() else 2


_Step = Callable[[], None]
_Item = Tag | NavigableString | _Step


class _Walker:
    """One pass over the tree: inline text accumulates, block elements close blocks.

    Iterative: an explicit stack of nodes to visit and of steps to run when an element's
    children are done, so any nesting depth is read (no recursion limit).
    """

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.buf: list[str] = []
        self.kind: BlockKind = "paragraph"
        self.level = 0
        self.depth = 0  # list nesting
        self.flat = 0  # >0 inside a table cell: block boundaries become spaces
        self.stack: list[_Item] = []

    def run(self, root: Tag) -> None:
        """Read ``root`` as an element, then everything pushed while reading it."""
        self.stack.append(root)
        while self.stack:
            item = self.stack.pop()
            if isinstance(item, NavigableString):
                self.buf.append(item)
            elif isinstance(item, Tag):
                self.element(item)
            else:
                item()

    def flush(self) -> None:
        """Close the pending inline text as one block of the current kind."""
        if not self.buf:
            return
        text = normalize("".join(self.buf))
        self.buf.clear()
        if text:
            line = Block(self.kind, text, self.level).line()
            self.blocks.append(block_of_line(line))  # canonical: exactly what the line reads as

    def walk(self, node: Tag, then: _Step | None = None) -> None:
        """Schedule ``node``'s visible children in order, then ``then``."""
        if then is not None:
            self.stack.append(then)
        children: list[_Item] = []
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                    children.append(child)
            elif isinstance(child, Tag) and child.name not in _SKIP and not _hidden(child):
                children.append(child)
        self.stack.extend(reversed(children))

    def container(self, tag: Tag, kind: BlockKind, level: int) -> None:
        """Walk a block element whose own text forms blocks of ``kind``/``level``."""
        self.flush()
        saved = self.kind, self.level
        self.kind, self.level = kind, level

        def close() -> None:
            self.flush()
            self.kind, self.level = saved

        self.walk(tag, close)

    def element(self, tag: Tag) -> None:
        name = tag.name
        if name == "br":
            self.buf.append(" ")
        elif self.flat and (name in _BLOCKS or name in _HEADINGS):
            self.buf.append(" ")
            self.walk(tag, lambda: self.buf.append(" "))
        elif level := _heading_level(tag):
            self.container(tag, "heading", level)
        elif name in _LISTS:
            self.flush()
            self.depth += 1
            self.walk(tag, self.close_list)
        elif name == "li":
            self.container(tag, "item", max(1, self.depth))
        elif name == "tr":
            self.row(tag)
        elif name in _BLOCKS:
            self.container(tag, self.kind, self.level)
        else:
            self.walk(tag)

    def close_list(self) -> None:
        self.flush()
        self.depth -= 1

    def row(self, tr: Tag) -> None:
        """A table row: non-empty cells joined with `` | ``; a lone cell is walked as-is."""
        cells = [c for c in tr.find_all(("td", "th"), recursive=False) if not _hidden(c)]
        if len(cells) <= 1:
            self.container(tr, self.kind, self.level)
            return
        self.flush()
        texts: list[str] = []
        self.flat += 1

        def cell_done() -> None:
            texts.append(normalize("".join(self.buf)))
            self.buf.clear()

        def row_done() -> None:
            self.flat -= 1
            line = " | ".join(t for t in texts if t)
            if line:
                self.blocks.append(block_of_line(line))

        self.stack.append(row_done)
        for cell in reversed(cells):
            self.walk(cell, cell_done)


# -- PDF and plain text ----------------------------------------------------------------------

_PAGE_NUMBER = re.compile(r"(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?", re.I)
_BULLET = re.compile(r"[●•▪◦■□○‣∙·*-]\s+")


def _pdf_pages(content: bytes) -> list[str]:
    """Text of every page in reading layout; unreadable PDFs raise ``ExtractError``."""
    import pypdf  # lazy: only PDF documents pay for the import

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(content))
            if reader.is_encrypted:
                reader.decrypt("")
            return [p.extract_text(extraction_mode="layout") for p in reader.pages]
    except Exception as exc:  # pypdf raises many types for damaged files
        raise ExtractError(f"unreadable PDF: {type(exc).__name__}: {exc}") from None


def _pdf_blocks(content: bytes) -> list[Block]:
    """PDF pages → paragraphs: wrapped lines joined, bullets as items, page numbers and
    running headers/footers (lines repeated on most pages) dropped."""
    pages = [[normalize(line) for line in page.splitlines()] for page in _pdf_pages(content)]
    counts: dict[str, int] = {}
    for page in pages:
        for key in {re.sub(r"\d+", "0", ln) for ln in page if ln}:
            counts[key] = counts.get(key, 0) + 1
    repeated = {k for k, n in counts.items() if len(pages) >= 3 and n > len(pages) // 2}
    lines: list[str] = []
    for page in pages:
        for ln in page:
            if _PAGE_NUMBER.fullmatch(ln) or re.sub(r"\d+", "0", ln) in repeated:
                continue
            lines.append(ln)
        if lines and lines[-1] and lines[-1][-1] in ".:;!?":
            lines.append("")  # a page ending a sentence ends its paragraph
    return _paragraphs(lines)


def _paragraphs(lines: list[str]) -> list[Block]:
    """Wrapped lines → blocks: blank lines and bullets start a new block."""
    blocks: list[Block] = []
    parts: list[str] = []
    kind: BlockKind = "paragraph"

    def close() -> None:
        text = normalize(_join_wrapped(parts))
        parts.clear()
        if text:
            blocks.append(block_of_line(Block(kind, text, 1 if kind == "item" else 0).line()))

    for line in lines:
        bullet = _BULLET.match(line)
        if not line or bullet:
            close()
            kind = "item" if bullet else "paragraph"
            line = line[bullet.end() :] if bullet else line
        if line:
            parts.append(line)
    close()
    return blocks


def _join_wrapped(lines: list[str]) -> str:
    """Join wrapped lines with spaces; a line ending in a hyphen after a letter joins the
    next without one (``government-to-`` + ``government``), keeping the hyphen."""
    out = ""
    for line in lines:
        if out and not (len(out) > 1 and out[-1] == "-" and out[-2].isalpha()):
            out += " "
        out += line
    return out


def _plain_blocks(text: str) -> list[Block]:
    """Plain text → one paragraph per run of non-blank lines."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks = (normalize(p) for p in paragraphs)
    return [block_of_line(b) for b in blocks if b]


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
    long_before = previous_text is not None and len(previous_text) >= COLLAPSE_MIN_PREVIOUS
    if long_before and previous_text and len(text) < COLLAPSE_RATIO * len(previous_text):
        raise CollapsedError(
            f"{doc.key}: text collapsed to {len(text)} characters "
            f"from {len(previous_text)} in the previous version"
        )
