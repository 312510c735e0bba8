"""Size limits on what one capture may store. Pure: no I/O.

A page whose text is larger than ``[monitor] max_text_bytes`` (default 2 MB of UTF-8) is
that document's error, like a body over ``max_bytes``: nothing of it is stored, the
versions already recorded stay as they are, and the other documents of the run go on.
A text that *collapsed* (under a quarter of a long previous version's) is refused the same
way: it is a broken or blocked page, not the terms deleted (``collapse``).
"""

from __future__ import annotations

from .errors import TextTooLargeError

COLLAPSE_RATIO = 0.25  # new text shorter than this share of the previous one has collapsed
COLLAPSE_MIN_PREVIOUS = 2000  # ...when the previous text had at least this many characters


def collapsed(text: str, previous: str | None) -> bool:
    """Whether ``text`` collapsed against ``previous``, the text in force."""
    if previous is None or len(previous) < COLLAPSE_MIN_PREVIOUS:
        return False
    return len(text) < COLLAPSE_RATIO * len(previous)


def collapse(key: str, text: str, previous: str | None) -> str | None:
    """Why ``text`` (of document ``key``) is refused as collapsed against ``previous``;
    ``None`` when it is not."""
    if not collapsed(text, previous):
        return None
    assert previous is not None
    return (
        f"{key}: text collapsed to {len(text)} characters "
        f"from {len(previous)} in the previous version"
    )


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
