"""The frozen configuration types every stage imports: documents, clause rules, settings.

Plain, typed, immutable data with no I/O and no loader: the TOML reading and validation
that produce a ``Config`` live in config.py (with config_reader.py, config_checks.py), so
the pure stages (extract, clauses, positions, diff, summary) and the worker processes
import only this module, never tomllib, soupsieve or APScheduler.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from .archive import ArchiveKind, ArchiveLayout, layout
from .errors import ConfigError

BUILTIN_CLAUSES: tuple[str, ...] = (
    "training",
    "retention",
    "ownership",
    "audit",
    "subprocessors",
    "changes",
)
TIERS = ("consumer", "business", "api")
ALERT_LEVELS = ("high", "all", "none")
SECURITY = ("starttls", "ssl", "none")
DEFAULT_USER_AGENT = "tos-monitor/0.1 (+https://github.com/tos-monitor/tos-monitor)"


@dataclass(frozen=True)
class ClauseRule:
    """How one document locates one clause: CSS selectors, or a heading pattern."""

    key: str
    select: tuple[str, ...] = ()
    heading: str | None = None


@dataclass(frozen=True)
class ClauseDefinition:
    """A user-defined clause key with default phrase patterns for every document."""

    key: str
    patterns: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertRules:
    """When returns, flip-flops and broken tracking are told (``[monitor]``, per document).

    A capture whose text equals one of the last ``revert_window`` versions seen within
    ``revert_days`` is a *revert* (never alerted); two reverts in that window make the
    document *flapping*. ``alert_after_failures`` consecutive failed checks make tracking
    *broken* (one email), the next success *recovered* (one email).
    """

    revert_window: int = 10
    revert_days: int = 30
    alert_after_failures: int = 2


@dataclass(frozen=True)
class DocumentConfig:
    """One watched document (a policy page) of one provider."""

    provider: str
    id: str
    name: str
    provider_name: str
    url: str
    select: tuple[str, ...]
    remove: tuple[str, ...] = ()
    tier: str | None = None
    ignore: tuple[str, ...] = ()
    clauses: tuple[ClauseRule, ...] = ()
    schedule: str | None = None
    # User-defined clause keys ([clauses.KEY]) apply to every document.
    custom_clauses: tuple[ClauseDefinition, ...] = ()
    alerting: AlertRules = field(default_factory=AlertRules)

    @property
    def key(self) -> str:
        """``provider/document``, the id used in output and logs."""
        return f"{self.provider}/{self.id}"

    @property
    def title(self) -> str:
        """What a person calls it: ``OpenAI Services Agreement``."""
        return f"{self.provider_name} {self.name}"


@dataclass(frozen=True)
class ProviderConfig:
    id: str
    name: str
    documents: tuple[DocumentConfig, ...]


@dataclass(frozen=True)
class FetchSettings:
    """Politeness and safety limits for live fetching."""

    user_agent: str = DEFAULT_USER_AGENT
    concurrency: int = 8
    per_host: int = 2
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0
    max_bytes: int = 20_000_000
    max_redirects: int = 5
    allow_redirect_hosts: tuple[str, ...] = ()  # other sites redirects may lead to

    @property
    def deadline(self) -> float:
        """Seconds one document's fetch may take in all: every attempt's ``timeout``, the
        longest backoff waits (``backoff`` × 2^n × 1.5) and 1 s of grace for scheduling
        (so a loaded machine does not cut the last attempt short). A ``Retry-After``
        asking to wait longer than what is left ends the fetch instead of being honoured."""
        backoff = self.backoff * 1.5 * (2.0**self.retries - 1)
        return self.timeout * (self.retries + 1) + backoff + 1.0


@dataclass(frozen=True)
class ContentSettings:
    """Limits on what a capture may become (see suspect.py and the README)."""

    suspect_confirmations: int = 2  # fetches showing a suspect text before it is accepted
    max_text_bytes: int = 2_000_000  # UTF-8 size of one version's text at most


@dataclass(frozen=True)
class ArchiveSettings:
    """Where and how politely to read a Wayback-compatible archive."""

    wayback_url: str = "https://web.archive.org"
    rate: float = 1.0  # requests per second
    retries: int = 4
    timeout: float = 60.0
    kind: ArchiveKind = "wayback"  # endpoint layout: the Internet Archive's or pywb's
    cdx_url: str | None = None  # template overriding the CDX endpoint ({url} optional)
    capture_url: str | None = None  # template overriding capture URLs ({timestamp}, {url})

    @property
    def layout(self) -> ArchiveLayout:
        return layout(self.kind, self.wayback_url, self.cdx_url, self.capture_url)


@dataclass(frozen=True)
class EmailSettings:
    smtp_host: str
    smtp_port: int
    security: str
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password_env: str | None = None
    alerts: str = "high"
    provider_to: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    timeout: float = 30.0
    max_message_bytes: int = 1_000_000  # an alert email's size (text + HTML) at most


@dataclass(frozen=True)
class ScheduleSettings:
    check: str = "0 6 * * *"
    digest: str = "mon 08:00"
    timezone: str = "UTC"
    jitter: int = 60


@dataclass(frozen=True)
class Config:
    path: Path
    database: str
    fetch: FetchSettings
    archive: ArchiveSettings
    schedule: ScheduleSettings
    providers: tuple[ProviderConfig, ...]
    email: EmailSettings | None = None
    custom_clauses: tuple[ClauseDefinition, ...] = ()
    content: ContentSettings = ContentSettings()

    @property
    def clause_keys(self) -> tuple[str, ...]:
        """Built-in clause keys followed by user-defined ones."""
        return BUILTIN_CLAUSES + tuple(c.key for c in self.custom_clauses)

    def documents(
        self, provider: str | None = None, document: str | None = None
    ) -> list[DocumentConfig]:
        """Documents matching the optional provider/document ids, in file order."""
        return [
            d
            for p in self.providers
            for d in p.documents
            if (provider is None or d.provider == provider)
            and (document is None or d.id == document)
        ]

    def document(self, provider: str, document: str) -> DocumentConfig:
        found = self.documents(provider, document)
        if not found:
            known = ", ".join(d.key for d in self.documents()) or "none"
            raise ConfigError(
                f"{self.path}: no document {provider}/{document} (configured: {known})"
            )
        return found[0]


# -- what extraction gives every later stage ---------------------------------------------------

BlockKind = Literal["heading", "paragraph", "item", "row"]


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of visible text: a heading, a paragraph, a list item or a table row."""

    kind: BlockKind
    text: str  # visible text, whitespace collapsed to single spaces, never empty
    level: int = 0  # heading level 1-6; list nesting depth (1 = top level) for items; else 0

    def __reduce__(self) -> tuple[type[Block], tuple[BlockKind, str, int]]:
        # Pickled as its fields: a worker's blocks reach the recorder ~4x faster than
        # through the slots dataclass' state functions.
        return (Block, (self.kind, self.text, self.level))

    def line(self) -> str:
        """This block as one line of normalized text."""
        if self.kind == "heading":
            return "#" * max(1, self.level) + " " + self.text
        if self.kind == "item":
            return "  " * max(0, self.level - 1) + "- " + self.text
        return self.text


@dataclass(frozen=True)
class Extraction:
    """What one capture of a document gives: its blocks, and blocks per clause selector."""

    blocks: tuple[Block, ...]
    # Blocks matched by a document's per-clause CSS selectors (config `clauses.KEY.select`),
    # in document order; only keys whose selectors matched something are present.
    clause_blocks: Mapping[str, tuple[Block, ...]] = field(default_factory=dict)
    # Clause keys whose `select` matched nothing in this capture (reported, never "deleted").
    clause_misses: tuple[str, ...] = ()
    # Why the markup looks cut off (a tracked region or the page not closed at the end of the
    # input), or None: a sign of a truncated body, judged by ``suspect.suspicion``.
    unclosed: str | None = None

    @cached_property
    def text(self) -> str:  # made once: recording reads it several times
        return "\n".join(b.line() for b in self.blocks)


_LINE = re.compile(r"(?:(#{1,6}) |((?:  )*)- )(.*)\Z", re.DOTALL)


def blocks_from_text(text: str) -> tuple[Block, ...]:
    """Parse normalized text (``Extraction.text``) back into blocks."""
    return tuple(block_of_line(line) for line in text.split("\n") if line.strip())


def block_of_line(line: str) -> Block:
    """One line → its block: ``#``s make a heading, ``- `` an item, `` | `` a row."""
    m = _LINE.match(line)
    if m and m.group(3):
        if m.group(1):
            return Block("heading", m.group(3), len(m.group(1)))
        return Block("item", m.group(3), len(m.group(2)) // 2 + 1)
    return Block("row" if " | " in line else "paragraph", line, 0)
