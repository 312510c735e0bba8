"""JSON text safe to print or open in a terminal. Pure: no I/O."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from .timefmt import iso

# Characters JSON may carry raw that a terminal would act on (C1 controls such as U+009B,
# DEL) or that reorder a line (bidi overrides), and line/paragraph separators.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def dump_json(data: Any) -> str:
    """JSON text (UTF-8, indented) in which every control or bidi character is escaped
    as ``\\uXXXX`` (``json`` escapes C0 itself): the value is unchanged for a parser,
    harmless for a terminal."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=_default)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _default(value: object) -> str:
    """A time as every JSON of tos-monitor writes it (``...Z``, to the second); else str."""
    return iso(value) if isinstance(value, datetime) else str(value)
