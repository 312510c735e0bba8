"""The extractor's shortcuts read pages as the plain way does: lxml parsing the fetched
UTF-8 bytes gives the tree of the decoded text, and cut-off markup is found in any case of
its tags without lowering the whole page."""

from __future__ import annotations

import pytest

from monitor.config import DocumentConfig
from monitor.errors import CollapsedError, SelectorMissError
from monitor.extract import extract
from monitor.extract_charset import decode_page
from monitor.html_tree import LxmlTree, SoupTree, parse_html

DOC = DocumentConfig("acme", "terms", "Terms", "Acme", "https://acme.test/terms", ("main",))
PROSE = "<p>These terms explain in plain words how the provider may use your content.</p>" * 60


def unclosed(page: str) -> str | None:
    return extract(page.encode("utf-8"), "text/html; charset=utf-8", DOC).unclosed


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (f"<html><body><main>{PROSE}</main></body></html>", None),
        (f"<HTML><BODY><MAIN>{PROSE}</MAIN></BODY></HTML>", None),
        (f"<html><body><Main class=x>{PROSE}", "the page ends inside the tracked <main>"),
        (f"<html><body><main>{PROSE}</main>", "the page ends before </body> and </html>"),
        (f"<body><main>{PROSE}</main>", None),  # no <html>: a fragment, not a cut page
        (f"<HTML><body><main>{PROSE}</main><div>", "the page ends before </body> and </html>"),
        (f"<html><body><main>{PROSE}</main></BODY>", None),
        # İ and K (Kelvin) lower-case to ASCII letters: counted as str.lower() reads them
        (f"<html><body><main>{PROSE} İ K</main></body></html>", None),
        (f"<html><body><main>{PROSE} İ K</mai>", "the page ends inside the tracked <main>"),
    ],
)
def test_cut_off_markup_is_found_whatever_the_case_of_its_tags(
    page: str, expected: str | None
) -> None:
    """A tracked region opened and never closed, or an <html> page without </body> and
    </html>, is a sign of a truncated body in upper, lower or mixed case alike."""
    found = unclosed(page)
    assert (found is None) == (expected is None)
    assert found is None or expected is None or found.startswith(expected)


@pytest.mark.parametrize(
    "body",
    [
        "<main><p>Plain ASCII terms.</p></main>",
        "<main><p>Quotes “curly”, dashes — and emoji 🙂 across ＦＵＬＬ width.</p></main>",
        "<main><p>Line\r\nbreaks\rand\x00nul characters.</p></main>",
        "<main><p>Zero\u200bwidth and soft\u00adhyphen; NBSP\u00a0here.</p></main>",
        "<meta charset=iso-8859-1><main><p>Déclaré latin-1, lu en UTF-8.</p></main>",
        "<main><table><tr><td>A ✓</td><td>B ✗</td></tr></table><ul><li>é<li>ü</ul></main>",
    ],
)
def test_fetched_utf8_bytes_and_their_text_give_the_same_reading(body: str) -> None:
    """lxml reading the bytes as fetched (faster) gives the blocks of the decoded text."""
    content = f"<!doctype html><html><head><title>T</title></head><body>{body}</body></html>"
    raw = content.encode("utf-8")
    text, is_utf8 = decode_page(raw, "text/html")
    assert is_utf8 and text == content
    readings = []
    for utf8 in (None, raw):
        tree = parse_html(text, [("main",)], utf8)
        assert isinstance(tree, LxmlTree)
        readings.append([b.line() for b in tree.blocks(tree.select(("main",)))])
    assert readings[0] == readings[1]
    assert readings[0]


def test_bytes_that_are_not_utf8_are_read_from_their_text() -> None:
    """A BOM, a declared legacy charset or bytes invalid as UTF-8: the text is parsed."""
    assert decode_page(b"\xef\xbb\xbf<p>x</p>", None) == ("<p>x</p>", False)
    assert decode_page(b"<p>caf\xe9</p>", "text/html; charset=windows-1252")[1] is False
    assert decode_page(b"<p>caf\xe9</p>", None) == ("<p>café</p>", False)
    assert decode_page("<p>café</p>".encode(), None) == ("<p>café</p>", True)


HAS_PAGE = (
    "<html><body><main><div><h2 id=license>Licence</h2><p>You grant us a licence.</p></div>"
    "<div><p id=content>Your content stays yours.</p><p>More words.</p></div>"
    "<section><b>Bold</b> <i>after bold</i><p class='x y'>Classed.</p></section>"
    "<div><span>Plain.</span></div></main></body></html>"
)


@pytest.mark.parametrize(
    "selector",
    [
        "div:has(> #license)",
        "div:has(> #license), div:has(> #content)",
        "main :has(p)",
        "section:has(p.y)",
        "b:has(+ i)",
        "b:has(~ p)",
        "section:has(> b, > span)",
        "main > div:has(h2)",
    ],
)
def test_has_selectors_are_read_on_the_fast_path_as_soupsieve_reads_them(selector: str) -> None:
    """`:has()` with one compound selector per argument selects on lxml's tree exactly
    what soupsieve selects (nested `:has()` and combinators inside it stay soupsieve's)."""
    fast = parse_html(HAS_PAGE, [(selector,)])
    assert isinstance(fast, LxmlTree)
    slow = SoupTree(HAS_PAGE)
    for tree in (fast, slow):
        tree.remove(("span",))
    lines = [[b.line() for b in t.blocks(t.select((selector,)))] for t in (fast, slow)]
    assert lines[0] == lines[1] and lines[0]


@pytest.mark.parametrize("selector", ["div:has(> p:has(b))", "div:has(> p span)", "p:not(.x)"])
def test_selectors_soupsieve_alone_reads_go_to_beautifulsoup(selector: str) -> None:
    assert isinstance(parse_html(HAS_PAGE, [(selector,)]), SoupTree)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("<h1>Access denied</h1><p>You don't have permission.</p>", CollapsedError),
        (f"<article>{PROSE * 3}<p>Access denied to robots.</p></article>", SelectorMissError),
        ("<div class=G-RECAPTCHA></div><p>Checking your browser.</p>", CollapsedError),
        ("<p>Pr\u0131vacy.</p><div id='cf-wrapper'>x</div>", CollapsedError),  # dotless ı
    ],
)
def test_a_missed_selector_is_a_challenge_only_on_a_short_page(
    body: str, error: type[Exception]
) -> None:
    """When `select` matches nothing, a short page reading or marked like a bot challenge
    is a collapsed capture; a long page (read only until it is clearly long) is a miss."""
    page = f"<html><head><title>Terms</title></head><body>{body}</body></html>"
    with pytest.raises(error):
        extract(page.encode("utf-8"), "text/html; charset=utf-8", DOC)


TRICKY_PAGE = (
    "<html><body><main>"
    "<div><span>Updated</span><span>March 14, 2023</span></div>"
    "<div> <b>Bold</b> text <i>glued</i>to words <!-- a comment -->after it</div>"
    "<p>Before<script>var x = 1;</script> after<svg><text>drawn</text></svg>tail"
    "<span hidden>hidden words</span> and<span style='display: none'>gone</span> more</p>"
    "<ul><li>One<ul><li>One.a</li><li role=heading aria-level=3>Aria item</li></ul></li>"
    "<li>Two<br>lines</li></ul>"
    "<table><tr><td>A<ul><li>in a cell</li></ul>B</td><td hidden>x</td><td>C <p>D</p></td>"
    "</tr><tr><td>Lone cell <b>bold</b></td></tr>"
    "<tr>row text<td><span role=heading>Head in cell</span> after</td><th>H</th>tail</tr>"
    "</table>"
    "<section><em class='inline-block'>Boxed</em>next<h3>Heading <a href=x>link</a></h3>"
    "<div role=heading>Two</div><nav><a>Home</a><a>Terms</a></nav></section>"
    "<noscript>Enable scripts</noscript><template><p>Later</p></template>"
    "</main></body></html>"
)


def test_lxml_and_beautifulsoup_trees_read_tricky_markup_alike() -> None:
    """lxml's tree, read in one pass, gives the blocks the BeautifulSoup walk gives: boxes
    read apart, skipped and hidden elements with the text after them kept, rows of cells,
    lists and headings inside cells, nested items."""
    fast = parse_html(TRICKY_PAGE, [("main",)])
    assert isinstance(fast, LxmlTree)
    slow = SoupTree(TRICKY_PAGE)
    lines = [[b.line() for b in t.blocks(t.select(("main",)))] for t in (fast, slow)]
    assert lines[0] == lines[1]
    assert "Updated March 14, 2023" in lines[0]
    assert "Before aftertail and more" in lines[0]  # an svg is skipped, the text after kept
    assert "### Aria item" in lines[0]
    assert "Home Terms" in lines[0]
