"""Time limits of one document's fetch: its deadline, the shared timeout of a request's
redirect hops, and ``Retry-After``.

A document's fetch — attempts, redirects, backoff waits — ends by
``FetchSettings.deadline``, counted from its first request (not from the time it waited
for a concurrency slot). A ``Retry-After`` asking to wait past it is not honoured: the
fetch ends with the server's error and ``past_deadline`` says why.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .errors import FetchError
from .model import FetchSettings

MAX_RETRY_AFTER = 300.0
"""The longest ``Retry-After`` honoured, in seconds; a server asking for more gets this."""


class Clock:
    """The time one document's fetch may still take: it starts with the first request
    (not while queued for a concurrency slot) and lasts ``settings.deadline`` seconds."""

    def __init__(self, settings: FetchSettings) -> None:
        self.settings = settings
        self.started: float | None = None

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def left(self) -> float:
        if self.started is None:
            return self.settings.deadline
        return self.settings.deadline - (time.monotonic() - self.started)


class Hops:
    """The one timeout all hops of a request share: it runs from the first hop's start."""

    def __init__(self, clock: Clock, budget: float) -> None:
        self.clock, self.budget = clock, budget
        self.expires: float | None = None

    def expiry(self) -> float:
        """The event-loop time by which this request and its redirects must be done."""
        if self.expires is None:
            self.clock.start()
            self.budget = min(self.budget, max(self.clock.left(), 0.0))
            self.expires = asyncio.get_running_loop().time() + self.budget
        return self.expires


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` value (delta-seconds or HTTP date) asks for, capped; or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to str.isdigit, not to float
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def past_deadline(
    error: FetchError | None, asked: float | None, delay: float, clock: Clock
) -> FetchError | None:
    """The last error, saying that waiting ``delay`` s to retry would pass the deadline."""
    if error is None:
        return None
    left = (
        f"the {max(clock.left(), 0.0):.1f} s left of this document's {clock.settings.deadline:g} s"
    )
    if asked is not None and delay <= asked:
        why = f"the server asked to wait {delay:g} s (Retry-After), longer than {left} deadline"
    else:
        why = f"waiting {delay:.1f} s would pass {left} deadline"
    return FetchError(f"{error}; not retried: {why}", error.kind, error.status)
