"""Behaviour of extract.py: fetched bytes → the visible, normalized text of a tracked region."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from monitor.config import ClauseRule, DocumentConfig
from monitor.diff import words
from monitor.errors import CollapsedError, ExtractError, SelectorMissError
from monitor.extract import Block, Extraction, blocks_from_text, extract

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
LONG = "This clause explains in plain words how the provider uses your data. " * 40


def make_doc(
    select: tuple[str, ...] = ("main",),
    remove: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    clauses: tuple[ClauseRule, ...] = (),
) -> DocumentConfig:
    return DocumentConfig(
        provider="acme",
        id="terms",
        name="Terms",
        provider_name="Acme",
        url="https://acme.test/terms",
        select=select,
        remove=remove,
        ignore=ignore,
        clauses=clauses,
    )


def html(body: str, **kw: Any) -> Extraction:
    page = f"<!doctype html><html><head><title>T</title></head><body>{body}</body></html>"
    return extract(page.encode("utf-8"), "text/html; charset=utf-8", make_doc(**kw))


def lines(body: str, **kw: Any) -> list[str]:
    return html(body, **kw).text.split("\n")


# -- regions -----------------------------------------------------------------------------------


def test_remove_applies_before_select() -> None:
    """`remove` selectors delete elements first; `select` then picks the tracked region."""
    body = "<nav><main>menu</main></nav><main><p>Kept</p><p class=x>Gone</p></main>"
    assert lines(body, remove=("nav", ".x")) == ["Kept"]


def test_select_keeps_all_matches_in_document_order_without_duplicates() -> None:
    """Every match of every selector counts once, in document order; nested matches add
    nothing."""
    body = (
        "<section id=b><p>First</p><div class=a><p>Nested</p></div></section>"
        "<div class=a><p>Second</p></div>"
    )
    assert lines(body, select=(".a", "#b")) == ["First", "Nested", "Second"]


def test_selectors_beyond_the_fast_path_read_the_same_text() -> None:
    """A selector only soupsieve reads (:has(), :not(), attribute values compared without
    case) selects and removes as written, with the same text as a simple selector."""
    body = (
        "<main><div><span>Updated</span><span>May 1</span></div><h2>Terms</h2>"
        "<p>Keep <b>this</b>.</p><p class='x' lang='EN'>Drop</p></main><aside>Side</aside>"
    )
    simple = lines(body, select=("main",), remove=(".x",))
    assert simple == ["Updated May 1", "## Terms", "Keep this."]
    assert lines(body, select=("main:has(h2)",), remove=("p:not(:has(b))",)) == simple
    assert lines(body, select=("main",), remove=("[lang=en]",)) == simple  # any case in HTML


def test_deeply_nested_page_is_read_to_the_end() -> None:
    """Text inside 3,000 nested elements, and the text after them, are both read."""
    nested = "<div>" * 3000 + "<p>Deep terms.</p>" + "</div>" * 3000
    assert lines(f"<main>{nested}<p>After them.</p></main>") == ["Deep terms.", "After them."]


def test_selector_miss_names_the_selectors() -> None:
    """A `select` that matches nothing raises SelectorMissError naming the selectors."""
    with pytest.raises(SelectorMissError, match="selector matched nothing: main, #terms"):
        html("<div><p>Text</p></div>", select=("main", "#terms"))


# -- structure ---------------------------------------------------------------------------------


def test_headings_paragraphs_and_aria_headings() -> None:
    """h1-h6 and role=heading (aria-level, default 2) become headings; text stays paragraphs."""
    body = (
        "<main><h1>Terms</h1><p>Intro</p><h3>Sub</h3>"
        "<div role=heading aria-level=4>Aria</div><div role=heading>Default</div></main>"
    )
    assert lines(body) == ["# Terms", "Intro", "### Sub", "#### Aria", "## Default"]


def test_nested_lists_keep_depth_and_item_text_apart_from_sub_items() -> None:
    """A list item's own text is one block; its sub-items follow one level deeper."""
    body = "<main><ul><li>One<ul><li>One.a</li><li><p>One.b</p></li></ul></li><li>Two</li></ul>"
    body += "<ol><li>Numbered</li></ol></main>"
    assert lines(body) == ["- One", "  - One.a", "  - One.b", "- Two", "- Numbered"]
    assert html(body).blocks[1] == Block("item", "One.a", 2)


def test_table_rows_join_cells() -> None:
    """Table rows join their non-empty cells with ' | '; a lone cell reads as a paragraph."""
    body = (
        "<main><table><tr><th>Data</th><th>Use</th></tr>"
        "<tr><td>Email <b>address</b></td><td></td><td><p>Login</p><p>Support</p></td></tr>"
        "<tr><td><h2>Solo</h2><p>cell</p></td></tr></table></main>"
    )
    result = html(body)
    assert result.text.split("\n") == [
        "Data | Use",
        "Email address | Login Support",
        "## Solo",
        "cell",
    ]
    assert result.blocks[0].kind == "row"


def test_loose_text_and_br_stay_in_one_block() -> None:
    """Loose text in divs is a paragraph; <br> is a space, never a new block."""
    body = (
        "<main><div>Loose <span>text</span><br>continues<br/>here<div>Inner</div>tail</div></main>"
    )
    assert lines(body) == ["Loose text continues here", "Inner", "tail"]


def test_inline_markup_never_splits_words() -> None:
    """Inline elements (b, em, a, span) join their text exactly as a reader sees it."""
    assert lines("<main><p>Pri<b>vacy</b> <em>matters</em>.</p></main>") == ["Privacy matters."]


def test_adjacent_boxes_of_a_layout_row_read_apart() -> None:
    """Elements side by side in a container with no text of its own (a date line, a
    metadata row, a button bar) are read with a space between them, never glued."""
    body = (
        "<main><div><span>Updated</span><span>March 14, 2023</span></div>"
        "<div><span>Effective June 17, 2025</span><a href='/old'>Previous Version</a></div>"
        "<header><a>Download PDF</a><a>View previous terms</a></header><p>Body</p></main>"
    )
    assert lines(body) == [
        "Updated March 14, 2023",
        "Effective June 17, 2025 Previous Version",
        "Download PDF View previous terms",
        "Body",
    ]


@pytest.mark.parametrize(
    "box",
    [
        '<span class="f-meta block mt-2">',
        '<span class="badge d-inline-block">',
        "<span style='display: inline-flex'>",
        "<time style='DISPLAY:block'>",
    ],
)
def test_inline_element_shown_as_a_box_is_read_apart_from_its_text(box: str) -> None:
    """An inline element styled as a box (display utility class or inline display style)
    is apart from the words around it, even inside a paragraph."""
    name = box[1 : box.index(" ") if " " in box else -1]
    body = f"<main><p>Updated{box}March 14</{name}>and more</p></main>"
    assert lines(body) == ["Updated March 14 and more"]


def test_words_split_by_markup_in_running_text_stay_whole() -> None:
    """Inline elements inside text (a container with text of its own, a paragraph of
    spans) never get a space: word pieces in separate elements stay one word."""
    body = (
        "<main><div>con<span>tract</span>ual <b>ter</b><i>ms</i></div>"
        "<p><span>Priv</span><span>acy</span></p><div><span class='blocky'>A</span>b</div></main>"
    )
    assert lines(body) == ["contractual terms", "Privacy", "Ab"]


# -- what a reader never sees ------------------------------------------------------------------


def test_scripts_styles_and_hidden_elements_never_appear() -> None:
    """Scripts, styles, templates, svg, iframes, comments, hidden and display:none elements,
    form internals (options, hidden inputs) never appear in the text."""
    body = (
        "<main><p>Visible</p><script>var x = 'script';</script><style>p{}</style>"
        "<noscript>Enable JS</noscript><template><p>Tpl</p></template><svg><text>Svg</text></svg>"
        "<iframe>Frame</iframe><!-- comment --><p hidden>Hidden</p>"
        "<p style='display: none'>None</p><p style='visibility:hidden'>Invisible</p>"
        "<form><input type=hidden value=token><select><option>English</option></select>"
        "<label>Label</label></form></main>"
    )
    assert lines(body) == ["Visible", "Label"]


def test_link_targets_never_appear() -> None:
    """Link targets and tracking parameters never appear in the text, only the link text."""
    body = '<main><p>See <a href="https://x.test/?utm_source=mail&amp;id=99">our policy</a>.</p>'
    assert lines(body + "</main>") == ["See our policy."]


def test_normalization_drops_invisible_characters_and_keeps_quotes() -> None:
    """NBSP becomes a space; zero-width characters and soft hyphens vanish; whitespace
    collapses; curly quotes and dashes stay as written."""
    body = "<main><p>  We\u00a0don\u2019t  sell\u200b\n data\u00ad\u2014 "
    body += "\u201cever\u201d\ufeff. </p></main>"
    assert lines(body) == ["We don\u2019t sell data\u2014 \u201cever\u201d."]


def test_empty_blocks_are_dropped() -> None:
    """Elements with only whitespace or invisible characters produce no block."""
    assert lines("<main><p> </p><p>\u200b</p><li></li><p>Text</p></main>") == ["Text"]


def test_ignore_patterns_drop_matching_blocks() -> None:
    """Blocks matching a document's `ignore` regex are dropped (feedback widgets, dates)."""
    body = "<main><p>Term</p><p>Was this page helpful?</p><p>Yes No</p></main>"
    assert lines(body, ignore=(r"page helpful", r"^Yes No$")) == ["Term"]


# -- clauses -----------------------------------------------------------------------------------


def test_clause_selectors_collect_blocks_and_report_misses() -> None:
    """Clause selectors run inside the tracked region: matches give the clause's blocks in
    document order, keys whose selectors match nothing are reported as misses."""
    body = (
        "<aside id=training>Outside</aside><main><h2 id=training>Training</h2>"
        "<section class=ret><p>Keep 30 days</p></section><section class=ret><p>Logs</p></section>"
        "</main>"
    )
    rules = (
        ClauseRule("training", select=("#training",)),
        ClauseRule("retention", select=(".ret",)),
        ClauseRule("audit", select=("#audit",)),
        ClauseRule("changes", heading="Changes"),
    )
    result = html(body, clauses=rules)
    assert result.clause_blocks == {
        "training": (Block("heading", "Training", 2),),
        "retention": (Block("paragraph", "Keep 30 days"), Block("paragraph", "Logs")),
    }
    assert result.clause_misses == ("audit",)


# -- refusals ----------------------------------------------------------------------------------


def test_empty_region_is_collapsed() -> None:
    """A tracked region with no visible text raises CollapsedError."""
    with pytest.raises(CollapsedError, match="no text"):
        html("<main><script>x</script><p hidden>y</p></main>")


def test_collapse_relative_to_previous_text() -> None:
    """Text shrinking below a quarter of a long previous version is refused as collapsed."""
    with pytest.raises(CollapsedError, match="collapsed"):
        extract(b"<main><p>Short page</p></main>", "text/html", make_doc(), previous_text=LONG)
    ok = extract(f"<main><p>{LONG[:800]}</p></main>".encode(), "text/html", make_doc(), LONG)
    assert ok.text


@pytest.mark.parametrize(
    "page",
    [
        "<title>Just a moment...</title><body><p>Enable JavaScript and cookies to continue</p>",
        "<title>Attention Required! | Cloudflare</title><body><main>Sorry</main>",
        "<body><main><h1>Access denied</h1><p>You don't have permission.</p></main>",
        "<body><main><p>Please complete the CAPTCHA below.</p></main>",
    ],
)
def test_challenge_and_error_pages_are_collapsed(page: str) -> None:
    """Bot challenges, access-denied and captcha pages raise CollapsedError, even when the
    selector misses (which such pages usually cause)."""
    with pytest.raises(CollapsedError, match="challenge"):
        extract(page.encode(), "text/html", make_doc())


@pytest.mark.parametrize("marker", ['class="G-RECAPTCHA"', 'class="g-recaptcha"', "_cf_chl_opt"])
def test_challenge_markup_is_found_whatever_its_case(marker: str) -> None:
    """Challenge markup is recognised in upper or lower case on a short page."""
    page = f"<body><main><p>Checking.</p><div {marker}></div></main></body>"
    if not marker.startswith("class"):
        page = f"<body><main><p>Checking.</p><script>var {marker} = 1;</script></main></body>"
    with pytest.raises(CollapsedError, match="challenge"):
        extract(page.encode(), "text/html", make_doc())


def test_binary_content_is_an_extract_error() -> None:
    """Binary content (an image, NUL bytes) raises ExtractError, not garbage text."""
    with pytest.raises(ExtractError, match="binary"):
        extract(b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", make_doc())
    with pytest.raises(ExtractError, match="binary"):
        extract(b"abc\x00\x01\x02def", None, make_doc())


# -- charsets ----------------------------------------------------------------------------------

CAFE = "<main><p>Caf\u00e9 \u201cterms\u201d \u20ac5</p></main>"
EXPECTED = ["Caf\u00e9 \u201cterms\u201d \u20ac5"]


def test_charset_from_content_type() -> None:
    """The Content-Type charset decides the decoding."""
    result = extract(CAFE.encode("cp1252"), "text/html; charset=windows-1252", make_doc())
    assert result.text.split("\n") == EXPECTED


def test_undeclared_cp1252_falls_back_from_utf8() -> None:
    """Without a declaration UTF-8 is tried; bytes that are not UTF-8 are read as cp1252."""
    assert extract(CAFE.encode("cp1252"), "text/html", make_doc()).text.split("\n") == EXPECTED
    assert extract(CAFE.encode("utf-8"), None, make_doc()).text.split("\n") == EXPECTED


@pytest.mark.parametrize(
    "head",
    [
        '<meta charset="windows-1252">',
        "<meta http-equiv=Content-Type content='text/html; charset=iso-8859-1'>",
    ],
)
def test_meta_charset_in_the_first_bytes(head: str) -> None:
    """<meta charset> and http-equiv declarations are honoured (latin-1 read as cp1252)."""
    page = f"<html><head>{head}</head><body>{CAFE}</body></html>".encode("cp1252")
    assert extract(page, "text/html", make_doc()).text.split("\n") == EXPECTED


def test_bom_wins_and_misdeclared_charsets_do_not_crash() -> None:
    """A byte-order mark decides; a wrong or unknown declared charset never crashes and
    valid UTF-8 mislabelled as latin-1 still reads correctly."""
    bom = b"\xef\xbb\xbf" + CAFE.encode("utf-8")
    assert extract(bom, "text/html; charset=cp1252", make_doc()).text.split("\n") == EXPECTED
    utf16 = CAFE.encode("utf-16")
    assert extract(utf16, "text/html", make_doc()).text.split("\n") == EXPECTED
    utf8 = CAFE.encode("utf-8")
    assert extract(utf8, "text/html; charset=iso-8859-1", make_doc()).text.split("\n") == EXPECTED
    assert extract(utf8, "text/html; charset=bogus-9", make_doc()).text.split("\n") == EXPECTED
    weird = CAFE.encode("cp1252")
    assert extract(weird, "text/html; charset=utf-8", make_doc()).text.split("\n") == EXPECTED


# -- PDF and plain text ------------------------------------------------------------------------


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF: each page shows its lines top to bottom in Helvetica."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for lines_ in pages:
        ops = ["BT /F1 11 Tf 14 TL 72 720 Td"]
        for text in lines_:
            escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        stream = "\n".join(ops + ["ET"])
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content_ref = len(objects)
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {{font}} 0 R >> >> /Contents {content_ref} 0 R >>"
        )
        kids.append(len(objects))
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    font = len(objects)
    objects = [o.replace("{font}", str(font)) for o in objects]
    objects[1] = (
        f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    )
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def test_pdf_pages_become_paragraphs() -> None:
    """PDF text becomes paragraphs: wrapped lines joined, hyphenated breaks joined, bullets
    become items, bare page numbers dropped; select/remove do not apply."""
    pdf = make_pdf(
        [
            [
                "Data Policy",
                "",
                "We keep your data for a short",
                "time and government-to-",
                "government requests.",
                "",
                "1",
            ],
            ["- first bullet", "- second bullet", "", "Page 2 of 2"],
        ]
    )
    result = extract(pdf, "application/pdf", make_doc(select=("#nothing",)))
    assert result.text.split("\n") == [
        "Data Policy",
        "We keep your data for a short time and government-to-government requests.",
        "- first bullet",
        "- second bullet",
    ]
    assert extract(pdf, None, make_doc()).text == result.text  # sniffed from %PDF


def test_corrupt_pdf_is_an_extract_error() -> None:
    """A PDF that cannot be read raises ExtractError."""
    with pytest.raises(ExtractError, match="PDF"):
        extract(b"%PDF-1.7\n garbage without objects", "application/pdf", make_doc())


def test_plain_text_paragraphs_split_on_blank_lines() -> None:
    """text/plain is split into paragraphs on blank lines, wrapped lines joined."""
    text = b"Terms of use\r\n\r\nYou agree\nto these  terms.\n\n\n\nThe end.\n"
    result = extract(text, "text/plain; charset=utf-8", make_doc(select=("#nothing",)))
    assert result.text.split("\n") == ["Terms of use", "You agree to these terms.", "The end."]


# -- text round trip ---------------------------------------------------------------------------


def test_blocks_from_text_inverts_extraction_text() -> None:
    """blocks_from_text(extraction.text) gives back exactly the extraction's blocks, even for
    paragraphs that look like markup."""
    body = (
        "<main><h2>Title</h2><p>Para with | pipe</p><p>- dash start</p><p>#hashtag</p>"
        "<p># looks like heading</p><ul><li>A<ul><li>B<ul><li>- C</li></ul></li></ul></li></ul>"
        "<table><tr><td>x</td><td>y</td></tr></table><h6>####### seven</h6></main>"
    )
    result = html(body)
    assert blocks_from_text(result.text) == result.blocks
    assert Extraction(blocks_from_text(result.text)).text == result.text


# -- real pages (skipped when the corpus is absent) --------------------------------------------


def corpus_manifest(kind: str) -> list[dict[str, Any]]:
    path = CORPUS / kind / "manifest.json"
    if not path.exists():
        pytest.skip(f"corpus not available at {CORPUS}")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def corpus_doc(entry: dict[str, Any]) -> DocumentConfig:
    doc = make_doc(select=tuple(entry["select"]), remove=tuple(entry["remove"]))
    return DocumentConfig(**{**doc.__dict__, "id": entry["slug"], "url": entry["url"]})


@pytest.mark.corpus
def test_real_pages_extract_substantial_text_with_headings() -> None:
    """Every real page extracts with its manifest selectors to substantial text; HTML pages
    keep their headings, the PDF its title, and nothing from scripts or styles leaks."""
    for entry in corpus_manifest("pages"):
        content = (CORPUS / "pages" / entry["file"]).read_bytes()
        result = extract(content, None, corpus_doc(entry))
        assert len(result.text) > 2000, entry["slug"]
        assert "{" not in result.text or "function(" not in result.text, entry["slug"]
        if entry["file"].endswith(".pdf"):
            assert "GOVERNMENT USER DATA REQUEST POLICY" in result.text
        else:
            first = next(b for b in result.blocks if b.kind == "heading")
            assert first.level == 1, entry["slug"]
            assert set(words(entry["document"])) & set(words(first.text)), entry["slug"]
        assert blocks_from_text(result.text) == result.blocks
