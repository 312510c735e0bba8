"""Fetched bytes → text: byte order mark, declared charset, else UTF-8 (cp1252 for bytes
that are not UTF-8), as browsers read pages. Pure: no I/O."""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_PARAM_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_SINGLE_BYTE = frozenset({"ascii", "latin-1", "iso8859-1", "cp1252"})


def _utf8_or_cp1252(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: a byte that is not valid UTF-8 is read as cp1252."""
    assert isinstance(exc, UnicodeDecodeError)
    return bytes(exc.object[exc.start : exc.end]).decode("cp1252", "replace"), exc.end


codecs.register_error("tosmon-cp1252", _utf8_or_cp1252)


def bom_of(content: bytes) -> tuple[str, int] | None:
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
    return decode_page(content, content_type, sniff_meta)[0]


def decode_page(
    content: bytes, content_type: str | None, sniff_meta: bool = True
) -> tuple[str, bool]:
    """``decode``'s text, and whether it is ``content`` read as valid UTF-8 (no BOM): then
    the parser can read the bytes themselves, which is faster than the text."""
    bom = bom_of(content)
    if bom:
        return content[bom[1] :].decode(bom[0], "replace"), False
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
                return text, False
    try:
        return content.decode("utf-8"), True
    except UnicodeDecodeError:
        return content.decode("utf-8", "tosmon-cp1252"), False


def _valid_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
