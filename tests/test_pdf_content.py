"""``pdf_content`` reads content streams as pypdf does: the same operations (classes and
values), the same errors, or it leaves the stream to pypdf; and the same page text."""

from __future__ import annotations

import io
import logging
import random
from collections.abc import Iterator
from typing import Any

import pypdf
import pytest
from pypdf.generic import ContentStream
from test_extract import make_pdf

from monitor import pdf_content

pytestmark = pytest.mark.skipif(not pdf_content.VERIFIED, reason="pypdf version not compared")

# Pieces of content streams: every kind of token, malformed ones, and what only pypdf reads.
ATOMS = (
    b"BT ET Tj TJ Td q Q cm ' \" BDC EMC BI ID EI true false null endobj T* W* d0 Tf\x00x "
    b"1 -2 .5 3. +4 1,2 - . 12345678901234567890 1.2.3 0 007 /F1 /A#20B /\xc3\xa9 / /a\x00b "
    b"/x#zz /\xff <0012> <abc> <a\tb> <> <</MCID\t0>> <zz> < > >> (abc) (a\\(b) (a(b)c) "
    b"(\\n\\101) (abc () (%) (a\rb) [1\t(a)\t2] [ ] [<00>\t-3.5] { } ) %c\n % %\tx\r R "
    b"1. -.5 +. 1.2 +1.25 123456789012345 1234567890123456 .1. --1 +- 0.000001 1e5"
).split(b" ") + [b"1 0 R", b"0 0 R ", b"2 0 RG", b"\n", b"\r\n", b"\x00", b"\x0b", b"\x0c"]
SEPARATORS = (b" ", b"\n", b"", b"\x00", b"\t")


def _streams(count: int) -> Iterator[bytes]:
    rng = random.Random(15)
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 12)):
            parts += [rng.choice(ATOMS), rng.choice(SEPARATORS)]
        yield b"".join(parts)


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _read(parse: Any, data: bytes) -> tuple[Any, tuple[type, str] | None]:
    try:
        return parse(data), None
    except Exception as exc:  # pypdf raises many types for damaged streams
        return None, (type(exc), str(exc))


def _mine(data: bytes) -> Any:
    return pdf_content.operations(data, "bytes")


def _pypdf(data: bytes) -> Any:
    stream = ContentStream(None, None, "bytes")
    stream.set_data(data)
    return stream.operations


def test_operations_are_pypdf_operations() -> None:
    """On streams of every kind of token, well formed or not: pypdf's operations or error,
    or None (pypdf parses the stream)."""
    logging.disable(logging.WARNING)  # pypdf logs malformed numbers and names
    try:
        read = 0
        for data in _streams(3000):
            mine, my_error = _read(_mine, data)
            if mine is None and my_error is None:
                continue
            read += 1
            theirs, their_error = _read(_pypdf, data)
            assert my_error == their_error, data
            assert my_error is not None or _same(mine, theirs), data
    finally:
        logging.disable(logging.NOTSET)
    assert read > 2000  # most streams are read here, not left to pypdf


def test_inline_images_references_and_huge_streams_are_left_to_pypdf() -> None:
    pypdf_only = (b"q BI /W 1 /H 1 ID x EI Q", b"1 0 R Do", b"1 2 Td " * 100_000, b"T" * 200)
    for data in pypdf_only:
        assert pdf_content.operations(data, "bytes") is None
    assert pdf_content.operations(b"BT /F1 9 Tf (a) Tj ET", "bytes") is not None


def test_page_text_is_layout_mode_text() -> None:
    pdf = make_pdf([["Terms (of use)", "", "We keep \\ data.", "1"], ["- a bullet", "Page 2"]])
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        assert pdf_content.page_text(page) == page.extract_text(extraction_mode="layout")
