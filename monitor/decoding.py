"""Content-Encoding decoding with the decoded size bounded *while* decoding.

httpx decodes a whole network chunk at once, stage after stage, and the size cap can
only be checked afterwards: a body encoded ``gzip, gzip`` of 3.5 kB on the wire grew to
gigabytes before the cap fired. Here every stage inflates at most 64 kB per step and
counts what it produced, so the first stage to pass ``limit`` stops the download; memory
stays near the cap whatever the stack of codings. Only the codings tos-monitor asks for
(``ACCEPT_ENCODING``) are decoded; any other is refused as a protocol error.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from .errors import FetchError

ACCEPT_ENCODING = "gzip, deflate"
"""The ``Accept-Encoding`` sent with every request: the codings ``BodyDecoder`` decodes."""

_STEP = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


def codings(header: str | None) -> list[str]:
    """The content-codings of a ``Content-Encoding`` header, in the order applied."""
    names = [c.strip().lower() for c in (header or "").split(",")]
    return [c for c in names if c and c != "identity"]


class _Inflater:
    """One gzip or deflate stage, giving its output in bounded pieces."""

    def __init__(self, coding: str, limit: int) -> None:
        self.coding = "gzip" if coding in ("gzip", "x-gzip") else coding
        self.limit = limit
        self.total = 0
        self.raw_deflate = False  # "deflate" is meant to be zlib-wrapped; some send it raw
        self.obj = self._new()

    def _new(self) -> zlib._Decompress:
        wbits = zlib.MAX_WBITS | 16 if self.coding == "gzip" else zlib.MAX_WBITS
        return zlib.decompressobj(-zlib.MAX_WBITS if self.raw_deflate else wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            out = self._step(data)
            data = self.obj.unconsumed_tail
            if self.obj.eof:
                data = self._next_member()
            self.total += len(out)
            if self.total > self.limit:
                raise FetchError(
                    f"body exceeds the {self.limit:,}-byte limit once decoded "
                    f"({self.coding} content-coding)",
                    "too_large",
                )
            if out:
                yield out
            if not data and len(out) < _STEP:
                return

    def _step(self, data: bytes) -> bytes:
        try:
            return self.obj.decompress(data, _STEP)
        except zlib.error as exc:
            if self.coding == "deflate" and not self.raw_deflate and self.total == 0:
                self.raw_deflate = True
                self.obj = self._new()
                return self._step(data)
            raise FetchError(f"cannot decode the {self.coding} body: {exc}", "protocol") from None

    def _next_member(self) -> bytes:
        """After one gzip member, the next one (concatenated members); trailing bytes else."""
        rest = self.obj.unused_data
        if self.coding == "gzip" and rest.startswith(_GZIP_MAGIC):
            self.obj = self._new()
            return rest
        return b""  # trailing garbage after the stream, ignored as browsers do


class BodyDecoder:
    """Decodes a body sent with ``Content-Encoding: header``, refusing more than ``limit``
    bytes at any stage: ``feed`` each raw chunk, get the decoded bytes of that chunk."""

    def __init__(self, header: str | None, limit: int) -> None:
        stack = codings(header)
        unknown = [c for c in stack if c not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise FetchError(
                f"unsupported Content-Encoding {unknown[0]!r} (tos-monitor asks for "
                f"{ACCEPT_ENCODING})",
                "protocol",
            )
        self.limit = limit
        self.size = 0
        self.stages = [_Inflater(c, limit) for c in reversed(stack)]

    def feed(self, raw: bytes) -> bytes:
        pieces = []
        for piece in self._through(raw, 0):
            self.size += len(piece)
            if self.size > self.limit:
                raise FetchError(f"body exceeds the {self.limit:,}-byte limit", "too_large")
            pieces.append(piece)
        return b"".join(pieces)

    def _through(self, data: bytes, stage: int) -> Iterator[bytes]:
        if stage == len(self.stages):
            if data:
                yield data
            return
        for piece in self.stages[stage].feed(data):
            yield from self._through(piece, stage + 1)
