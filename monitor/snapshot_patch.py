"""A page as copies from the snapshot before it and the few bytes that differ (codec
``patch``): what a live page whose tracking tokens rotated (a CSRF token, nonces, a
hashed asset URL) costs to store, found without loading the previous page into zstd's
match tables (the ``zstd-delta`` codec: ~1.4 ms of its ~1.9 ms for a 430 kB bench page,
against ~0.3 ms here).

The page is walked left to right against the base: the run they share is measured by
comparing slices of doubling length (C ``memcmp``), and past a difference the next
agreement is found by looking a short *anchor* of the page up in the base near where it
would be after an equal-length substitution (``bytes.startswith``/``find``, also C).
Every copy is of bytes compared equal, so ``apply(base, diff(base, page)) == page``; a page
that is not near-identical (too many differences, too many new bytes) gets ``None`` early,
and is stored as a ``zstd-delta`` instead. Pure: no I/O.
"""

from __future__ import annotations

import zstandard

MAGIC = b"TP1\x00"  # not a zstd frame's magic: a reader that takes it for plain zstd fails
MAX_OPS = 64  # copies and inserts, at most (every bench page fits; replay pages: ~half)
MAX_INSERTED = 2048  # new bytes, at most
_MIN_COPY = 16  # a shorter run in common is inserted instead (a copy costs ~3-5 bytes)
_ANCHOR = 24  # bytes of the page looked up in the base to find where they agree again
_NEAR = 512  # how far from an equal-length substitution's place an anchor is looked for
_FAR = 65536  # ...once the page has disagreed with the base for 1 kB
_TRIES = 400  # anchors tried past one difference, at most
_CANDIDATES = 8  # places of an anchor in the base compared, at most
_ENOUGH = 256  # a run this long after an anchor: taken at once
_MIN_RUN = 64  # ...and one shorter than this, found away from where it was expected: not
_PACKER = zstandard.ZstdCompressor(level=3)  # the ops and new bytes (no dictionary)

Op = tuple[int, int] | bytes  # (offset in the base, length) to copy, or bytes to insert


def diff(base: bytes, page: bytes) -> list[Op] | None:
    """``page`` as copies from ``base`` and inserted bytes, or ``None`` when it is not
    near-identical to ``base`` (more than ``MAX_OPS`` operations or ``MAX_INSERTED`` new
    bytes)."""
    ops: list[Op] = []
    n, m = len(page), len(base)
    i = j = start = 0  # i: in page, j: in base, start: of the bytes not yet copied
    budget = MAX_INSERTED
    while i < n:
        same = _common(page, i, base, j, min(n - i, m - j)) if j < m else 0
        if same >= _MIN_COPY or (same and i + same == n):
            if start < i:
                ops.append(page[start:i])
                budget -= i - start
            ops.append((j, same))
            i, j = i + same, j + same
            start = i
            if len(ops) > MAX_OPS or budget < 0:
                return None
            continue
        found = _resync(page, i + max(same, 1), i, base, j)
        if found is None:
            return None
        if found[0] >= n:
            break  # no more agreement: the rest is inserted
        i, j = found
    if start < n:
        ops.append(page[start:n])
        budget -= n - start
    return ops if len(ops) <= MAX_OPS and budget >= 0 else None


def _common(page: bytes, i: int, base: bytes, j: int, limit: int) -> int:
    """The length (at most ``limit``) of the run ``page[i:]`` and ``base[j:]`` share."""
    low, step = 0, 64
    while True:  # doubling slices until one differs
        high = min(low + step, limit)
        if page[i + low : i + high] != base[j + low : j + high]:
            break
        low = high
        if low == limit:
            return low
        step *= 2
    while high - low > 8:  # the first difference is in [low, high)
        middle = (low + high) // 2
        if page[i + low : i + middle] == base[j + low : j + middle]:
            low = middle
        else:
            high = middle
    while low < high and page[i + low] == base[j + low]:
        low += 1
    return low


def _resync(page: bytes, k: int, i: int, base: bytes, j: int) -> tuple[int, int] | None:
    """Where ``page`` (from ``k``, which is past its difference at ``i``) and ``base``
    (at ``j`` where the page had ``i``) agree again: (position in page, in base), the
    agreement extended back towards ``i``; (len(page), j): nowhere; ``None``: not found
    within ``_TRIES`` anchors."""
    n = len(page)
    for tries in range(_TRIES):
        if k >= n:
            return n, j
        anchor = page[k : k + _ANCHOR]
        expected = j + (k - i)  # where it is after an equal-length substitution
        if base.startswith(anchor, expected):
            found = expected
        else:
            near = _NEAR if k - i < 1024 else _FAR
            found = _best(page, k, base, anchor, max(0, expected - near), expected + near)
        if found >= 0:
            while k > i and found > 0 and page[k - 1] == base[found - 1]:
                k, found = k - 1, found - 1
            return k, found
        k += 8 if tries < 64 else 256
    return None


def _best(page: bytes, k: int, base: bytes, anchor: bytes, low: int, high: int) -> int:
    """Where in ``base[low:high + len(anchor)]`` ``anchor`` (``page[k:]``'s start) begins the
    longest run shared with ``page[k:]`` (markup repeats: the first occurrence is often
    another tag's), looking at ``_CANDIDATES`` occurrences at most; -1: none of them runs
    for ``_MIN_RUN`` bytes (or to the page's end), so the next anchor is tried."""
    best, longest = -1, min(_MIN_RUN, len(page) - k) - 1
    at = base.find(anchor, low, high + len(anchor))
    for _ in range(_CANDIDATES):
        if at < 0:
            break
        run = _common(page, k, base, at, min(len(page) - k, len(base) - at, _ENOUGH))
        if run > longest:
            best, longest = at, run
            if run >= _ENOUGH:
                break
        at = base.find(anchor, at + 1, high + len(anchor))
    return best


def apply(base: bytes, ops: list[Op]) -> bytes:
    """The page ``ops`` make of ``base``."""
    return b"".join(op if isinstance(op, bytes) else base[op[0] : op[0] + op[1]] for op in ops)


def encode(ops: list[Op]) -> bytes:
    """``ops`` as stored: ``MAGIC``, then zstd of one varint per operation (length × 2,
    +1 for an insert) followed by the inserted bytes, or by the copy's offset from the end
    of the copy before it (zigzag varint)."""
    out = bytearray()
    cursor = 0
    for op in ops:
        if isinstance(op, bytes):
            _varint(out, len(op) << 1 | 1)
            out += op
        else:
            offset, length = op
            _varint(out, length << 1)
            moved = offset - cursor
            _varint(out, moved << 1 if moved >= 0 else (-moved << 1) - 1)
            cursor = offset + length
    return MAGIC + _PACKER.compress(bytes(out))


def decode(packed: bytes, base: bytes, size: int) -> bytes:
    """The page of ``size`` bytes that ``packed`` (``encode``) makes of ``base``; a
    ``ValueError`` if it is not one."""
    if not packed.startswith(MAGIC):
        raise ValueError("not a patch")
    script = zstandard.ZstdDecompressor().decompress(packed[len(MAGIC) :])
    parts: list[bytes] = []
    at = cursor = 0
    while at < len(script):
        head, at = _read_varint(script, at)
        if at > len(script):
            raise ValueError("a truncated patch")
        if head & 1:
            parts.append(script[at : at + (head >> 1)])
            at += head >> 1
            continue
        moved, at = _read_varint(script, at)
        if at > len(script):
            raise ValueError("a truncated patch")
        offset = cursor + (moved >> 1 if not moved & 1 else -((moved + 1) >> 1))
        cursor = offset + (head >> 1)
        if offset < 0 or cursor > len(base):
            raise ValueError("a copy outside the base")
        parts.append(base[offset:cursor])
    page = b"".join(parts)
    if len(page) != size:
        raise ValueError(f"a patch of {len(page)} bytes, not {size}")
    return page


def _varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data):
            return value, len(data) + 1  # truncated
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
