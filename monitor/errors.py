"""The one exception tree of tos-monitor.

Every error the package raises on purpose is a ``TosmonError``; the CLI turns
them into clear messages (``ConfigError`` exits 2, the others 1)::

    TosmonError
    ├── ConfigError          sources.toml is unreadable or invalid (names file, line, document)
    ├── StoreError           the database cannot be opened or migrated
    ├── FetchError           a document could not be fetched (HTTP status, timeout, size cap, ...)
    │   └── ArchiveError     a Wayback-compatible archive failed (CDX listing, capture)
    ├── ExtractError         fetched bytes give no usable text; never stored as a version
    │   ├── SelectorMissError    a `select` (or clause) selector matched nothing
    │   ├── CollapsedError       the text collapsed (blocked page, bot challenge, error page)
    │   └── TextTooLargeError    the text is over `max_text_bytes`: never stored
    ├── LockedError          another process holds the document (daemon vs cron)
    └── NotifyError          an email could not be rendered or delivered

Per-document errors (fetch, extract) are *reported*, never raised out of a run:
one failing document never stops the others.
"""

from __future__ import annotations


class TosmonError(Exception):
    """Base of every error tos-monitor raises on purpose."""


class ConfigError(TosmonError):
    """sources.toml cannot be used. The message names the file, where, and what to fix."""


class StoreError(TosmonError):
    """The database cannot be opened, migrated or written."""


class FetchError(TosmonError):
    """A document could not be fetched; ``kind`` is a short machine-readable reason."""

    def __init__(self, message: str, kind: str = "fetch", status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


class ArchiveError(FetchError):
    """A Wayback-compatible archive failed to list or serve captures."""


class ExtractError(TosmonError):
    """Fetched content gives no usable text for the tracked region."""

    kind = "extract"


class SelectorMissError(ExtractError):
    """A CSS selector of the tracked region (or of a clause) matched nothing."""

    kind = "selector"


class CollapsedError(ExtractError):
    """The text collapsed to almost nothing: a blocked, challenge or error page."""

    kind = "collapsed"


class TextTooLargeError(ExtractError):
    """The extracted text is larger than ``[monitor] max_text_bytes`` allows per version."""

    kind = "text_too_large"


class LockedError(TosmonError):
    """Another process is checking this document right now."""


class NotifyError(TosmonError):
    """An email could not be rendered or delivered."""
