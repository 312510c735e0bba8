"""What an archive backfill did, per document and capture, and which earlier attempts
settle a capture for good (``is_settled``; the rules are in ``backfill``'s docstring)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from . import store
from .archive import (
    ArchivedCapture,
    format_timestamp,
    memento_timestamp,
    parse_timestamp,
    timestamp_from_url,
)
from .capture import DocumentReport
from .fetch import FetchResult
from .timefmt import iso_or_none

LAYOUT_KINDS = frozenset({"selector", "collapsed", "extract"})
TRANSIENT_KINDS = frozenset({"timeout", "connect", "protocol"})


@dataclass(frozen=True)
class CaptureError:
    """A capture (or a listing, ``timestamp`` None) that could not be fetched or processed."""

    provider: str
    document: str
    timestamp: str | None
    url: str
    kind: str
    message: str

    def as_json(self) -> dict[str, Any]:
        """For ``--json``: the archive's ``timestamp`` (its id of the capture) and the
        capture's time as every JSON time is written (ISO 8601 UTC, ``Z``)."""
        when = parse_timestamp(self.timestamp) if self.timestamp else None
        return asdict(self) | {"captured_at": iso_or_none(when)}


@dataclass
class DocumentBackfill:
    """What a backfill did for one document."""

    provider: str
    document: str
    listed: int = 0  # captures the archive lists (in the date range)
    fetched: int = 0  # captures downloaded and processed this run
    skipped: int = 0  # already settled by an earlier run
    versions: int = 0  # new versions recorded
    substantive: int = 0  # substantive changes recorded into these versions
    errors: list[CaptureError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a listing cut at a server limit

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.document}"


@dataclass
class BackfillReport:
    documents: list[DocumentBackfill] = field(default_factory=list)

    @property
    def errors(self) -> list[CaptureError]:
        return [e for d in self.documents for e in d.errors]

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` summary: documents, captures processed, new versions, errors."""
        docs = self.documents
        return {
            "documents": len(docs),
            "captures": sum(d.fetched for d in docs),
            "versions": sum(d.versions for d in docs),
            "errors": [e.as_json() for e in self.errors],
            "warnings": [f"{d.key}: {w}" for d in docs for w in d.warnings],
            "listed": sum(d.listed for d in docs),
            "skipped": sum(d.skipped for d in docs),
            "substantive_changes": sum(d.substantive for d in docs),
            "per_document": [
                {k: v for k, v in asdict(d).items() if k not in ("errors", "warnings")}
                | {"errors": len(d.errors), "warnings": len(d.warnings)}
                for d in docs
            ],
        }


@dataclass(frozen=True)
class BackfillProgress:
    """Reported once the listings are in (``done`` 0) and after every capture."""

    total: int  # captures to fetch in this run
    done: int
    document: str = ""
    timestamp: str = ""
    entry: DocumentBackfill | None = None  # the counts so far of the capture's document
    documents: tuple[DocumentBackfill, ...] = ()  # every document's listing (first report)


ProgressCallback = Callable[[BackfillProgress], None]


def is_settled(attempt: store.ArchiveAttempt, fingerprint: str) -> bool:
    """Whether an earlier attempt settles its capture for good (see the module docstring)."""
    if attempt.outcome != "error":
        return True
    kind = attempt.error_kind or ""
    if kind in LAYOUT_KINDS:
        return attempt.settings_sha256 == fingerprint
    if kind in TRANSIENT_KINDS:
        return False
    if kind == "http":
        status = attempt.status or 0
        return 400 <= status < 500 and status not in (408, 429)
    return kind in ("too_large", "redirect")


def settled_timestamps(attempts: Iterable[store.ArchiveAttempt], fingerprint: str) -> set[str]:
    """Timestamps (as listed, and as actually captured) that need no new fetch."""
    done: set[str] = set()
    for attempt in attempts:
        if not is_settled(attempt, fingerprint):
            continue
        listed = timestamp_from_url(attempt.url)
        if listed:
            done.add(listed)
        if attempt.captured_at is not None:
            done.add(format_timestamp(attempt.captured_at))
    return done


def captured_timestamp(result: FetchResult, listed: ArchivedCapture) -> str:
    """When the capture was really taken: Memento-Datetime, the redirect's URL, the listing."""
    return (
        memento_timestamp(result.memento_datetime)
        or timestamp_from_url(result.final_url)
        or listed.timestamp
    )


def tally(
    entry: DocumentBackfill,
    listed: ArchivedCapture,
    url: str,
    result: FetchResult,
    outcome: DocumentReport,
) -> None:
    """Count one recorded capture (or its error) into its document's entry."""
    if result.error is None:
        entry.fetched += 1
    if outcome.outcome == "error":
        timestamp = captured_timestamp(result, listed)
        entry.errors.append(
            CaptureError(
                entry.provider,
                entry.document,
                timestamp,
                url,
                outcome.error_kind or "error",
                outcome.error or "",
            )
        )
    elif outcome.outcome in ("new_version", "cosmetic"):
        entry.versions += 1
        if outcome.change is not None and outcome.change.get("kind") == "substantive":
            entry.substantive += 1
