"""Truncation defence: a capture that may be a cut-off page is *held*, not recorded. Pure.

A body cut short with a valid Content-Length (a proxy, a crashed origin server) parses as
a shorter page: without this defence it becomes a version that "removed" the clauses, and
the full page returns as a second false alert. A capture is *suspect* when

* its markup ends inside the tracked region or before ``</body>``/``</html>``
  (``Extraction.unclosed``), or
* its text lost more than ``LOSS`` of the previous version's characters in one step.

A suspect capture is recorded as an attempt (outcome ``suspect``, with the reason as its
warning), not a version, until the same text has been seen on ``confirmations``
consecutive live fetches (``[monitor] suspect_confirmations``, default 2); it is then
accepted as any other capture. A genuine shortening is so recorded one check late; a
truncated body that the next fetch does not repeat is never a version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LOSS = 0.40  # share of the previous text's characters a capture may lose in one step
MIN_PREVIOUS = 500  # ...when the previous text had at least this many characters


@dataclass(frozen=True)
class Seen:
    """One earlier live attempt, newest first: its outcome and the text it extracted."""

    outcome: str  # new_version | cosmetic | unchanged | not_modified | suspect | error
    text_sha256: str | None


def suspicion(text: str, previous: str | None, unclosed: str | None) -> str | None:
    """Why a capture whose text is ``text`` may be a truncated page, or None."""
    if previous is None:
        return unclosed  # a first capture has nothing to lose, but can still be cut off
    if unclosed:
        return unclosed
    if len(previous) >= MIN_PREVIOUS and len(text) < (1 - LOSS) * len(previous):
        lost = 1 - len(text) / len(previous)
        return (
            f"the text lost {lost:.0%} of the previous version "
            f"({len(previous)} → {len(text)} characters)"
        )
    return None


def times_seen(recent: Sequence[Seen], text_sha256: str) -> int:
    """How many of the latest consecutive suspect attempts showed this same text.

    Failed fetches say nothing about the content and are passed over; any other capture
    (an accepted one, or a suspect with other text) ends the run.
    """
    count = 0
    for attempt in recent:
        if attempt.outcome == "error":
            continue
        if attempt.outcome != "suspect" or attempt.text_sha256 != text_sha256:
            break
        count += 1
    return count
