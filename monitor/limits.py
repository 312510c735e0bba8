"""Size limits on what one capture may store. Pure: no I/O.

A page whose text is larger than ``[monitor] max_text_bytes`` (default 2 MB of UTF-8) is
that document's error, like a body over ``max_bytes``: nothing of it is stored, the
versions already recorded stay as they are, and the other documents of the run go on.
"""

from __future__ import annotations

from .errors import TextTooLargeError


def require_text_within(text: str, limit: int) -> None:
    """Raise ``TextTooLargeError`` when ``text`` takes more than ``limit`` bytes in UTF-8."""
    if len(text) * 4 <= limit:  # at most 4 bytes per character: surely within
        return
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise TextTooLargeError(
            f"the page's text is {size:,} bytes, over `max_text_bytes` = {limit:,} per "
            "version: nothing was recorded (earlier versions are kept); raise "
            "`max_text_bytes` in [monitor] or narrow `select` to the terms"
        )
