"""How raw snapshots are packed: zstd on their own (codec ``zstd``), or as a delta against
the document's previous snapshot: copies from it and the bytes that differ when the page
is near-identical (``patch``, ``snapshot_patch``), else zstd with its raw bytes as the
compression dictionary (``zstd-delta``). No database here, so a worker process can pack a
page while the main process records others."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import zstandard

from . import snapshot_patch

LEVEL = 10  # a text on its own (version texts' keyframes)
# a page on its own (a document's first snapshot, read in a worker): level 6 takes 3.1 ms for
# a 430 kB bench page against level 10's 5.2 ms, for 64.2 kB instead of 62.4 kB (+3 %; the
# replay corpus' 8 first snapshots 307 → 316 kB); level 3: 1.0 ms, 70.0 kB (+12 %)
PAGE_LEVEL = 6
# a delta against the previous capture (near-identical bytes): level 5 finds the long matches
# level 3 misses in a 430 kB page (1.1 kB → 0.2 kB per churned bench page, replay corpus
# deltas 2.12 → 1.64 MB) for ~0.3 ms more; higher levels cost more for little (9: 2.5 ms)
DELTA_LEVEL = 5


class _Codecs(threading.local):
    """A compressor and decompressor per thread (zstandard's are not thread-safe)."""

    def __init__(self) -> None:
        self.packer = zstandard.ZstdCompressor(level=LEVEL)
        self.page_packer = zstandard.ZstdCompressor(level=PAGE_LEVEL)
        self.unpacker = zstandard.ZstdDecompressor()


_CODECS = _Codecs()


def pack(content: bytes) -> bytes:
    """``content`` on its own (codec ``zstd``)."""
    return _CODECS.packer.compress(content)


def pack_page(content: bytes) -> bytes:
    """A page's raw bytes on its own (codec ``zstd``; a snapshot with no base)."""
    return _CODECS.page_packer.compress(content)


def pack_delta(content: bytes, base: bytes) -> bytes:
    """``content`` as a delta against ``base`` (codec ``zstd-delta``)."""
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(level=DELTA_LEVEL, dict_data=dictionary).compress(content)


def pack_page_delta(content: bytes, base: bytes) -> tuple[str, bytes]:
    """A page's raw bytes as a delta against ``base``, the snapshot before it: (codec,
    packed), a ``patch`` when the page is near-identical to ``base``, else ``zstd-delta``."""
    ops = snapshot_patch.diff(base, content)
    if ops is not None:
        return PATCH, snapshot_patch.encode(ops)
    return ZSTD_DELTA, pack_delta(content, base)


ZSTD, ZSTD_DELTA, PATCH = "zstd", "zstd-delta", "patch"  # Snapshot.codec


@dataclass(frozen=True)
class Delta:
    """Content packed as a delta against the snapshot ``base_sha256`` (``pack_page_delta``)."""

    base_sha256: str
    packed: bytes
    codec: str = ZSTD_DELTA


def sha256(data: bytes | str) -> str:
    """The hex SHA-256 snapshots and texts are addressed by (a text as its UTF-8)."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def delta_on(content: bytes, base: bytes, base_sha256: str | None = None) -> Delta:
    """``content`` packed against ``base`` (a worker's part of storing a capture: the
    recorder uses it when ``base`` is the document's last snapshot); ``base_sha256``:
    ``base``'s digest, when the caller has it already."""
    codec, packed = pack_page_delta(content, base)
    return Delta(base_sha256 or sha256(base), packed, codec)


def unpack(packed: bytes, size: int, base: bytes | None = None) -> bytes:
    """The raw bytes (``size`` of them) of ``packed``, a delta against ``base`` if given."""
    if base is None:
        return _CODECS.unpacker.decompress(packed, max_output_size=size)
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(packed, max_output_size=size)


def unpack_page(codec: str, packed: bytes, size: int, base: bytes | None = None) -> bytes:
    """The raw bytes (``size`` of them) of a snapshot stored as ``codec``; ``base``: the
    raw bytes of the snapshot it is a delta on (``None`` for codec ``zstd``)."""
    if codec == ZSTD:
        return unpack(packed, size)
    if base is None:
        raise ValueError(f"a {codec} snapshot without its base")
    if codec == PATCH:
        return snapshot_patch.decode(packed, base, size)
    if codec == ZSTD_DELTA:
        return unpack(packed, size, base)
    raise ValueError(f"unknown snapshot codec {codec!r}")
