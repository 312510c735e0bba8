"""How version and clause texts are packed for ``store_texts``: a text on its own (a
*keyframe*), or as a zstd delta on the document's keyframe. No database here, so the worker
that reads a document's first page packs its texts too (``PackedTexts``), as it packs
its first snapshot, and the recorder only inserts them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import snapshot_codec
from .snapshot_codec import sha256

KEYFRAME_SHARE = 4  # a delta larger than 1/4 of its keyframe's packed size: a new keyframe


def pack_text(
    raw: bytes, keyframe: tuple[bytes, int] | None, keyframes: bool = True
) -> tuple[bytes, bool]:
    """``raw`` packed, and whether as a delta on ``keyframe`` (its raw text and its packed
    size): so when that delta is at most a ``KEYFRAME_SHARE``th of the keyframe or when
    ``keyframes`` is false, else on its own (a new keyframe). Migrations 0005 and 0006
    pack the stored texts with it too."""
    if keyframe is not None:
        delta = snapshot_codec.pack_delta(raw, keyframe[0])
        if not keyframes or len(delta) * KEYFRAME_SHARE <= keyframe[1]:
            return delta, True
    return snapshot_codec.pack(raw), False


@dataclass(frozen=True)
class PackedTexts:
    """A text packed on its own (the keyframe of a document with none yet) and other texts
    packed as deltas on it (``pack_delta``: what ``pack_text`` makes of them on that
    keyframe), by SHA-256 of their UTF-8."""

    keyframe_sha256: str
    packed: Mapping[str, bytes]  # the keyframe's own content, and the others' deltas

    def on_own(self, digest: str) -> bytes | None:
        """Text ``digest`` packed on its own, if it is the keyframe."""
        return self.packed[digest] if digest == self.keyframe_sha256 else None

    def on(self, digest: str, keyframe_sha256: str) -> bytes | None:
        """Text ``digest`` packed as a delta on keyframe ``keyframe_sha256``, if it was."""
        if keyframe_sha256 != self.keyframe_sha256 or digest == keyframe_sha256:
            return None
        return self.packed.get(digest)


def pack_first(text: str, others: Iterable[str]) -> PackedTexts:
    """``text`` packed as a document's first keyframe, and ``others`` (its clause texts) as
    deltas on it."""
    raw = text.encode("utf-8")
    keyframe = sha256(raw)
    packed = {keyframe: snapshot_codec.pack(raw)}
    for other in others:
        other_raw = other.encode("utf-8")
        digest = sha256(other_raw)
        if digest not in packed:
            packed[digest] = snapshot_codec.pack_delta(other_raw, raw)
    return PackedTexts(keyframe, packed)
