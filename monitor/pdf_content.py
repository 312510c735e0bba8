"""A PDF page's text in pypdf's layout mode, its content stream tokenized faster. Pure.

pypdf's layout mode (``PageObject.extract_text(extraction_mode="layout")``) spends about
two thirds of its time in ``ContentStream._parse_content_stream``, which reads the stream
a byte or a few at a time through ``BytesIO``. ``operations`` reads the same operations
with one regular expression: operators, numbers, plain names, hex strings and literal
strings without escapes are made here, exactly as pypdf makes them (the same classes and
constructors, the same token boundaries); any other operand (a dictionary, an array, a
name with ``#``, a string with escapes, anything odd) is read by pypdf's own
``read_object`` where it starts, and a stream holding what only pypdf's loop handles (an
inline image, a very long token, ``n g R`` references, a size near pypdf's parsing budget)
is parsed by pypdf whole. ``page_text`` then runs pypdf's layout steps as
``PageObject._layout_mode_text`` does with its default options. Used only with the pypdf
versions whose parser and layout steps were compared with it (``tests/test_pdf_content.py``);
others extract as before.
"""

from __future__ import annotations

import re
from binascii import unhexlify
from io import BytesIO
from typing import Any

import pypdf
from pypdf._configuration import get_configuration
from pypdf._text_extraction import _layout_mode
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    FloatObject,
    NameObject,
    NumberObject,
    StreamObject,
    create_string_object,
    read_object,
)
from pypdf.generic._data_structures import IndirectPattern
from pypdf.generic._utils import StreamParsingBudget

# The pypdf versions this reading was compared with (parser and layout steps).
VERIFIED = pypdf.__version__.startswith("7.1.")

_DELIMITER = rb"[\s()<>\[\]{}/%]|\Z"  # pypdf's NameObject.delimiter_pattern (or the end)
_NOT_NUMBER = rb"[^+,\-.0-9]|\Z"  # what ends a number: NumberObject.NumberPattern
_TOKEN = re.compile(
    rb"[\x00\t\n\x0c\r ]*(?:"  # pypdf's whitespace between tokens (not \x0b)
    rb"([+-]?[0-9]{1,15})(?=" + _NOT_NUMBER + rb")"  # 1: an integer int() reads
    rb"|([+-]?(?:[0-9]{1,15}\.[0-9]{0,15}|\.[0-9]{1,15}))(?=" + _NOT_NUMBER + rb")"  # 2: a float
    rb"|([A-Za-z'\"][^\s()<>\[\]{}/%]{0,99})(?=" + _DELIMITER + rb")"  # 3: an operator
    rb"|(/[^\s()<>\[\]{}/%#\x80-\xff]{0,99})(?=" + _DELIMITER + rb")"  # 4: a plain name
    rb"|<([0-9A-Fa-f]*)>"  # 5: a hex string
    rb"|\(([^()\\]*)\)"  # 6: a literal string without escapes or parentheses
    rb"|([+,\-.0-9]{1,15})(?=" + _NOT_NUMBER + rb")"  # 7: any other number (malformed)
    rb"|%[^\r\n]*[\r\n]?"  # a comment
    rb"|(\Z))"  # 8: the end
)
_SPACE = re.compile(rb"[\x00\t\n\x0c\r ]*")
_new_int, _new_float = int.__new__, float.__new__


def operations(data: bytes, forced_encoding: Any) -> list[tuple[Any, bytes]] | None:
    """``ContentStream(…, forced_encoding).operations`` of the stream ``data``, or None
    when pypdf must parse it (then its result, or its error, is pypdf's own)."""
    budget = get_configuration().stream_parsing_work_maximum_count
    # Each token costs pypdf's budget at most ~1 per byte: far below it, none runs out.
    if len(data) * 4 > budget or (_may_refer(data) and IndirectPattern.search(data)):
        return None
    ops: list[tuple[Any, bytes]] = []
    operands: list[Any] = []
    add = operands.append
    pos = 0
    while True:
        for m in _TOKEN.finditer(data, pos):
            if m.start() != pos:
                break  # what is at pos is not read here
            pos = m.end()
            kind = m.lastindex
            if kind == 1:  # NumberObject(token), as it makes it
                add(_new_int(NumberObject, int(m[1])))
            elif kind == 3:
                operator = m[3]
                if operator == b"BI":  # an inline image: pypdf's own reading
                    return None
                ops.append((operands, operator))
                operands = []
                add = operands.append
            elif kind == 2:  # FloatObject(token), as it makes it
                add(_new_float(FloatObject, float(m[2])))
            elif kind == 4:
                add(NameObject(m[4].decode("ascii")))
            elif kind == 5:
                digits = m[5]
                pair = digits + b"0" if len(digits) % 2 else digits
                add(create_string_object(unhexlify(pair), forced_encoding))
            elif kind == 6:
                add(create_string_object(m[6], forced_encoding))
            elif kind == 7:
                number = m[7]
                add(FloatObject(number) if number.find(b".") >= 0 else NumberObject(number))
            elif kind == 8:
                return ops
        read = _pypdf_operand(data, pos, forced_encoding, budget)
        if read is None:
            return None
        operand, pos = read
        add(operand)


def _pypdf_operand(
    data: bytes, pos: int, forced_encoding: Any, budget: int
) -> tuple[Any, int] | None:
    """The operand at ``pos`` (after whitespace) read by pypdf's ``read_object``, and
    where it ends; None for what only pypdf's loop reads (an operator, or nothing read:
    its loop runs until its budget is spent)."""
    start = _SPACE.match(data, pos).end()  # type: ignore[union-attr]
    first = data[start : start + 1]
    if first.isalpha() or first == b"'" or first == b'"':
        return None
    stream = BytesIO(data)
    stream.seek(start)
    share = StreamParsingBudget(remaining_budget=budget)
    operand = read_object(stream, None, forced_encoding, parsing_budget=share)
    end = stream.tell()
    return None if end == start else (operand, end)


def _may_refer(data: bytes) -> bool:
    """Whether ``data`` has an ``R`` after whitespace and before a non-letter, as every
    match of pypdf's ``IndirectPattern`` (slow to search for: it tries every digit)."""
    at = data.find(b"R", 1)
    while at >= 0:
        after = data[at + 1 : at + 2]
        if after and not after.isalpha() and data[at - 1 : at].isspace():
            return True
        at = data.find(b"R", at + 1)
    return False


def page_text(page: Any) -> str:
    """``page.extract_text(extraction_mode="layout")``, its operations read by
    ``operations`` (pypdf's ``_layout_mode_text`` with its defaults)."""
    fonts = page._layout_mode_fonts()
    contents = page.get("/Contents")
    if contents is not None:
        contents = contents.get_object()
    if not isinstance(contents, ArrayObject | StreamObject):
        return ""
    stream = ContentStream(contents, page.pdf, "bytes")
    ops = operations(bytes(stream.get_data()), "bytes")
    bt_groups = _layout_mode.text_show_operations(
        iter(stream.operations if ops is None else ops), fonts, True, None
    )
    if not bt_groups:
        return ""
    ty_groups = _layout_mode.y_coordinate_groups(bt_groups, None)
    char_width = _layout_mode.fixed_char_width(bt_groups, 1.25)
    text: str = _layout_mode.fixed_width_page(ty_groups, char_width, True, 1)
    return text
