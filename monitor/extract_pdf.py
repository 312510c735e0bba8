"""PDF and plain-text documents → blocks: wrapped lines joined, bullets as items, page
numbers and running headers/footers dropped. Pure: no I/O."""

from __future__ import annotations

import io
import re
import warnings

from .errors import ExtractError
from .html_walk import normalize
from .model import Block, BlockKind, block_of_line

_PAGE_NUMBER = re.compile(r"(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?", re.I)
_BULLET = re.compile(r"[●•▪◦■□○‣∙·*-]\s+")


def _pdf_pages(content: bytes) -> list[str]:
    """Text of every page in reading layout; unreadable PDFs raise ``ExtractError``."""
    import pypdf  # lazy: only PDF documents pay for the import

    from . import pdf_content

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = pypdf.PdfReader(io.BytesIO(content))
            if reader.is_encrypted:
                reader.decrypt("")
            if pdf_content.VERIFIED:  # the same text, its content streams read faster
                return [pdf_content.page_text(p) for p in reader.pages]
            return [p.extract_text(extraction_mode="layout") for p in reader.pages]
    except Exception as exc:  # pypdf raises many types for damaged files
        raise ExtractError(f"unreadable PDF: {type(exc).__name__}: {exc}") from None


def pdf_blocks(content: bytes) -> list[Block]:
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


def plain_blocks(text: str) -> list[Block]:
    """Plain text → one paragraph per run of non-blank lines."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks = (normalize(p) for p in paragraphs)
    return [block_of_line(b) for b in blocks if b]
