"""SQLAlchemy 2.x models: what tos-monitor stores. The schema itself is owned by Alembic.

    documents ─┬─ fetch_attempts      every fetch (live or archive), success or not
               ├─ snapshots           raw bytes, content-addressed (SHA-256), zstd, delta-chained
               ├─ version_texts       each distinct version or clause text once, zstd,
               │                      a delta on a keyframe
               ├─ versions ─┬─ clause_texts       its clauses (their texts in version_texts)
               │            ├─ version_positions  the 11 positions read from it (JSON)
               │            └─ reextractions      how re-reading its snapshot changed its reading
               └─ changes  ── clause_changes   between consecutive versions (by captured_at)
    outbox, digests, locks            email delivery and process coordination

Timestamps are stored as UTC and always come back tz-aware (``UTCDateTime``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

import zstandard
from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from . import snapshot_codec


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC; returns them aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class CompressedText(TypeDecorator[str]):
    """Text stored zstd-compressed: change summaries and clause changes are large and many.

    Compression is per value and self-contained, so any row reads on its own.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else _zstd().compressor.compress(value.encode("utf-8"))

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else _zstd().decompressor.decompress(value).decode("utf-8")


def unpacker() -> Callable[[bytes], bytes]:
    """This thread's unpacking of ``CompressedText`` values read raw (``type_coerce(column,
    LargeBinary)``: their UTF-8 bytes), for reading many rows at once."""
    return _zstd().decompressor.decompress


class _Zstd(threading.local):
    """A zstd (de)compressor per thread: they are not thread-safe, and a check reads the
    database on one thread while it records on another (a shared one corrupts values)."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(level=12)
        self.decompressor = zstandard.ZstdDecompressor()


_ZSTD = _Zstd()


def _zstd() -> _Zstd:
    return _ZSTD


class Base(DeclarativeBase):
    pass


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("provider", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FetchAttempt(Base):
    __tablename__ = "fetch_attempts"
    __table_args__ = (Index("ix_fetch_attempts_document_started", "document_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(10))  # live | archive
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # archive timestamp
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    # new_version | cosmetic | unchanged | not_modified | suspect | error
    outcome: Mapped[str] = mapped_column(String(20))
    error_kind: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    warning: Mapped[str | None] = mapped_column(Text)  # e.g. a clause selector that missed
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64))
    # Fingerprint of the extraction settings used: unchanged bytes under unchanged settings
    # need no parse; a settings change (new selectors) forces one.
    settings_sha256: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the text the capture extracted (confirms a held *suspect* capture).
    text_sha256: Mapped[str | None] = mapped_column(String(64))


class Snapshot(Base):
    __tablename__ = "snapshots"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    codec: Mapped[str] = mapped_column(String(20))  # zstd | zstd-delta | patch
    base_sha256: Mapped[str | None] = mapped_column(ForeignKey("snapshots.sha256"))
    depth: Mapped[int] = mapped_column(Integer, default=0)  # delta-chain length
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)  # raw bytes
    content_type: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VersionText(Base):
    """A version's text, once per document and text (SHA-256 of its UTF-8): zstd on its own
    (a *keyframe*, ``base_id`` None) or as a zstd delta against the document's keyframe
    ``base_id`` (its text is the dictionary, ``snapshot_codec``), so any text reads back
    with at most two decompressions. Rows never change: a re-read version points to a new
    one (``store_texts``)."""

    __tablename__ = "version_texts"
    __table_args__ = (UniqueConstraint("document_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    base_id: Mapped[int | None] = mapped_column(ForeignKey("version_texts.id"))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)  # bytes of the UTF-8 text
    base: Mapped[VersionText | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    @property
    def text(self) -> str:
        return self.raw().decode("utf-8")

    def raw(self) -> bytes:
        """The UTF-8 text, unpacked once per process (``_texts``, by SHA-256: never stale)."""
        raw = cached_text(self.sha256)
        if raw is None:
            base = self.base.raw() if self.base is not None else None
            raw = snapshot_codec.unpack(self.content, self.size, base)
            remember_text(self.sha256, raw)
        return raw


_texts: OrderedDict[str, bytes] = OrderedDict()  # recent texts by SHA-256 (content-addressed)
_texts_lock = threading.Lock()  # a check reads on one thread while it records on another
TEXTS_KEPT = 16 << 20  # bytes of recent texts kept
_texts_size = 0


def cached_text(digest: str) -> bytes | None:
    """A recent version or clause text (UTF-8) by SHA-256, or ``None``."""
    with _texts_lock:
        raw = _texts.get(digest)
        if raw is not None:
            _texts.move_to_end(digest)
        return raw


def remember_text(digest: str, raw: bytes) -> None:
    global _texts_size
    with _texts_lock:
        if digest not in _texts:
            _texts_size += len(raw)
        _texts[digest] = raw
        _texts.move_to_end(digest)
        while _texts_size > TEXTS_KEPT and len(_texts) > 1:
            _texts_size -= len(_texts.popitem(last=False)[1])


def forget_texts() -> None:
    """Empty the recent texts (tests read them back from the database)."""
    global _texts_size
    with _texts_lock:
        _texts.clear()
        _texts_size = 0


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (Index("ix_versions_document_captured", "document_id", "captured_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text_sha256: Mapped[str] = mapped_column(String(64))  # its text: version_texts
    snapshot_sha256: Mapped[str] = mapped_column(ForeignKey("snapshots.sha256"))
    origin: Mapped[str] = mapped_column(String(10))  # live | archive
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_text: Mapped[VersionText] = relationship(
        primaryjoin="and_(foreign(Version.document_id) == VersionText.document_id, "
        "foreign(Version.text_sha256) == VersionText.sha256)",
        viewonly=True,
        lazy="select",
    )

    @property
    def text(self) -> str:
        """The version's text: from the recent texts, else read (one query, and one for its
        keyframe unless the session holds it) and unpacked."""
        raw = cached_text(self.text_sha256)
        return raw.decode("utf-8") if raw is not None else self.stored_text.text


class ClauseText(Base):
    __tablename__ = "clause_texts"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(50))
    text_id: Mapped[int] = mapped_column(ForeignKey("version_texts.id"))  # a delta on a keyframe
    source: Mapped[str] = mapped_column(String(10))  # select | heading | default
    stored_text: Mapped[VersionText] = relationship(lazy="joined")  # with its keyframe

    @property
    def text(self) -> str:
        return self.stored_text.text


class Change(Base):
    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_captured", "captured_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    from_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    to_version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), unique=True
    )
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the new version's
    kind: Mapped[str] = mapped_column(String(20))  # cosmetic | substantive | revert
    # revert: the earlier version whose text this change returns to
    reverts_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("versions.id", ondelete="SET NULL")
    )
    severity: Mapped[str | None] = mapped_column(String(10))  # high | medium | low
    summary: Mapped[str] = mapped_column(CompressedText)  # JSON of summary.ChangeSummary.as_dict()
    origin: Mapped[str] = mapped_column(String(10))  # live | archive
    alert: Mapped[str] = mapped_column(String(10), default="none")  # none | pending | queued
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClauseChange(Base):
    __tablename__ = "clause_changes"
    __table_args__ = (Index("ix_clause_changes_key_captured", "key", "captured_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(50))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    before: Mapped[str | None] = mapped_column(CompressedText)
    after: Mapped[str | None] = mapped_column(CompressedText)
    # JSON of what a clause history shows of the change for this clause
    # (``store_reads.history_part``), so a history parses no whole summary (migration 0007)
    detail: Mapped[str | None] = mapped_column(CompressedText)


class VersionPositions(Base):
    """The positions of one version (``positions.position_to_json`` per key, as JSON)."""

    __tablename__ = "version_positions"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True
    )
    positions: Mapped[str] = mapped_column(CompressedText)


class Reextraction(Base):
    """A version re-read from its stored snapshot with newer rules: what its reading gained.

    ``summary`` is the JSON of the change from the old reading to the new one (same shape as
    a change's); it describes the reading, not the document, and is never alerted.
    """

    __tablename__ = "reextractions"
    __table_args__ = (Index("ix_reextractions_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the version's
    summary: Mapped[str] = mapped_column(CompressedText)
    origin: Mapped[str] = mapped_column(String(10), default="reextract")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Episode(Base):
    """A stretch of trouble with one document, told once when it opens and once when it ends.

    ``outage``: consecutive failed live checks (whatever their error kinds); ``flapping``:
    the page keeps returning to earlier texts. ``open_alert``/``close_alert`` follow
    ``Change.alert``: none | pending | queued | skipped.
    """

    __tablename__ = "episodes"
    __table_args__ = (Index("ix_episodes_document_kind", "document_id", "kind", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # outage | flapping
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)  # latest failure / revert
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None while open
    count: Mapped[int] = mapped_column(Integer, default=1)  # failed checks / reverts
    texts: Mapped[int] = mapped_column(Integer, default=0)  # flapping: distinct texts
    error_kind: Mapped[str | None] = mapped_column(String(20))  # outage: the latest
    kinds: Mapped[str | None] = mapped_column(Text)  # outage: every error kind, in order seen
    error: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(10))  # flapping: of what differs
    detail: Mapped[str | None] = mapped_column(CompressedText)  # flapping: summary JSON
    text_changed: Mapped[bool | None] = mapped_column()  # outage: at recovery
    open_alert: Mapped[str] = mapped_column(String(10), default="none")
    close_alert: Mapped[str] = mapped_column(String(10), default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # alert | digest
    recipients: Mapped[str] = mapped_column(Text)  # JSON list
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(Text, unique=True)
    state: Mapped[str] = mapped_column(
        String(10), default="pending"
    )  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Digest(Base):
    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lock(Base):
    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(Text)  # host:pid:token
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(Text)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
