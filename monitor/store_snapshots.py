"""Raw snapshots: the fetched bytes of every capture, content-addressed by SHA-256 and
stored as a delta against the document's previous snapshot (``snapshot_codec``: copies
from it and the bytes that differ, or zstd with it as the compression dictionary), so
months of near-identical captures cost little.
Re-exported by ``store``; callers own transactions, nothing here commits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Select, bindparam, insert, select
from sqlalchemy.orm import Session

from . import snapshot_codec
from .models import Base, Document, Snapshot
from .snapshot_codec import sha256

MAX_DELTA_DEPTH = 100  # a full snapshot every so often, so reading one never unpacks a long chain
_CHUNK = 500  # documents or digests per query (SQLite bound parameters)
_raw_cache: OrderedDict[str, bytes] = OrderedDict()  # content-addressed, so never stale


def put_snapshot(
    s: Session,
    document_id: int,
    content: bytes,
    content_type: str | None,
    packed: bytes | None = None,
    delta: snapshot_codec.Delta | None = None,
    first: bool = False,
    digest: str | None = None,
) -> str:
    """Store ``content`` once (by SHA-256), as a zstd delta on the document's last snapshot;
    ``packed``: ``content`` packed on its own already (``snapshot_codec.pack_page``, in a worker),
    used when there is no snapshot to make a delta on; ``delta``: packed as a delta already,
    used when its base is that last snapshot. ``first``: the document has no snapshot yet
    (its row was created in this transaction), so none is looked for. ``digest``:
    ``content``'s SHA-256, when the caller has it already."""
    digest = digest or sha256(content)
    if s.scalar(_EXISTS, {"sha256": digest}) is not None:
        return digest
    last = None if first else s.execute(_LAST, {"document_id": document_id}).first()
    base = None if last is None else (last.sha256, last.depth)
    row = _row(s, NewSnapshot(document_id, content, content_type, delta, digest), base, packed)
    s.execute(_INSERT, [row])  # Core: nothing reads the row back as an object
    _remember(digest, content)
    return digest


@dataclass(frozen=True)
class NewSnapshot:
    """A page to store with ``put_snapshots``: ``put_snapshot``'s arguments (no ``packed``,
    not ``first``), its ``digest`` known."""

    document_id: int
    content: bytes
    content_type: str | None
    delta: snapshot_codec.Delta | None
    digest: str


def put_snapshots(s: Session, items: Sequence[NewSnapshot]) -> list[str]:
    """Store each of ``items`` as ``put_snapshot`` would, one after the other, with the
    existing digests and each document's last snapshot read for all of them at once
    (two queries per chunk) and the new rows in one insert; each item's digest."""
    known = _existing(s, [item.digest for item in items])
    last = _last_of(s, sorted({item.document_id for item in items}))
    rows: list[dict[str, object]] = []
    for item in items:
        if item.digest in known:
            continue
        known.add(item.digest)
        base = last.get(item.document_id)
        row = _row(s, item, base, None, lambda: _insert(s, rows))  # a base may be in rows
        last[item.document_id] = (item.digest, cast(int, row["depth"]))
        rows.append(row)
        _remember(item.digest, item.content)
    _insert(s, rows)
    return [item.digest for item in items]


def _row(
    s: Session,
    item: NewSnapshot,
    base: tuple[str, int] | None,
    packed: bytes | None,
    before_load: Callable[[], None] = lambda: None,
) -> dict[str, object]:
    """The snapshot row of ``item``: a delta on ``base`` (its document's last snapshot, digest
    and depth) unless there is none or its chain is long; ``item.delta`` used when made on
    that base, else made here (``before_load`` first: what the base's bytes may need);
    ``packed``: the page packed on its own already."""
    row: dict[str, object] = {"sha256": item.digest, "document_id": item.document_id}
    row |= {"size": len(item.content), "content_type": item.content_type}
    if base is not None and base[1] < MAX_DELTA_DEPTH:
        base_sha, delta = base[0], item.delta
        row |= {"base_sha256": base_sha, "depth": base[1] + 1}
        if delta is None or delta.base_sha256 != base_sha:
            before_load()
            delta = snapshot_codec.delta_on(item.content, load_snapshot(s, base_sha), base_sha)
        return row | {"codec": delta.codec, "content": delta.packed}
    content = packed if packed is not None else snapshot_codec.pack_page(item.content)
    row |= {"base_sha256": None, "depth": 0}  # every row of one insert has the same keys
    return row | {"codec": snapshot_codec.ZSTD, "content": content}


def _insert(s: Session, rows: list[dict[str, object]]) -> None:
    """Insert ``rows`` (Core, one statement) and empty the list."""
    if rows:
        s.execute(_INSERT, list(rows))
        rows.clear()


def _existing(s: Session, digests: Sequence[str]) -> set[str]:
    found: set[str] = set()
    listed = sorted(set(digests))
    for start in range(0, len(listed), _CHUNK):
        chunk = listed[start : start + _CHUNK]
        found.update(s.scalars(select(Snapshot.sha256).where(Snapshot.sha256.in_(chunk))))
    return found


def _last_of(s: Session, document_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
    """Each document's last snapshot (``_LAST``'s), its digest and depth, by document id."""
    out: dict[int, tuple[str, int]] = {}
    for start in range(0, len(document_ids), _CHUNK):
        chunk = document_ids[start : start + _CHUNK]
        latest = (
            select(Snapshot.sha256)
            .where(Snapshot.document_id == Document.id)
            .order_by(Snapshot.created_at.desc(), Snapshot.sha256)
            .limit(1)
            .scalar_subquery()
        )
        chosen = select(latest).where(Document.id.in_(chunk))
        query = select(Snapshot.document_id, Snapshot.sha256, Snapshot.depth).where(
            Snapshot.sha256.in_(chosen)
        )
        for document_id, digest, depth in s.execute(query):
            out[document_id] = (digest, depth)
    return out


# on the table, not the model: no ORM bulk-insert path (~75 µs a statement)
_INSERT = insert(Base.metadata.tables[Snapshot.__tablename__])
_EXISTS = select(Snapshot.sha256).where(Snapshot.sha256 == bindparam("sha256"))
_LAST = (  # the document's last snapshot: what a new one is a delta on
    select(Snapshot.sha256, Snapshot.depth)
    .where(Snapshot.document_id == bindparam("document_id"))
    .order_by(Snapshot.created_at.desc(), Snapshot.sha256)
    .limit(1)
)


def load_snapshot(s: Session, digest: str) -> bytes:
    """The raw bytes of snapshot ``digest``, unpacking its delta chain (read in one query,
    down to its full snapshot: a long chain costs no query per link)."""
    if digest in _raw_cache:
        _raw_cache.move_to_end(digest)
        return _raw_cache[digest]
    chain = s.connection().execute(_CHAIN, {"digest": digest})  # Core: plain rows
    rows = {row.sha256: row for row in chain}
    path, link = [], rows.get(digest)
    while link is not None and link.sha256 not in _raw_cache:
        path.append(link)
        base = link.base_sha256 if link.codec != snapshot_codec.ZSTD else None
        link = rows[base] if base else None  # KeyError: a broken chain
    if not path:
        raise KeyError(digest)
    raw = _raw_cache[link.sha256] if link is not None else None
    for row in reversed(path):
        raw = snapshot_codec.unpack_page(row.codec, row.content, row.size, raw)
    assert raw is not None
    _remember(digest, raw)
    return raw


def _chain() -> Select[tuple[str, str, str | None, bytes, int]]:
    """Snapshot ``:digest`` and every snapshot its delta chain rests on (recursive CTE;
    built once, the digest a bound parameter, so SQLAlchemy compiles it once too)."""
    columns = (Snapshot.sha256, Snapshot.codec, Snapshot.base_sha256, Snapshot.content)
    first = select(*columns, Snapshot.size).where(Snapshot.sha256 == bindparam("digest"))
    chain = first.cte("chain", recursive=True)
    nxt = select(*columns, Snapshot.size).join(chain, Snapshot.sha256 == chain.c.base_sha256)
    chain = chain.union_all(nxt.where(chain.c.codec != snapshot_codec.ZSTD))
    return select(chain.c.sha256, chain.c.codec, chain.c.base_sha256, chain.c.content, chain.c.size)


_CHAIN = _chain()


def _remember(digest: str, raw: bytes) -> None:
    _raw_cache[digest] = raw
    while len(_raw_cache) > 32:
        _raw_cache.popitem(last=False)
