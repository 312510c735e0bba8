"""Snapshots stored as a patch on the one before: every page reads back byte for byte,
whatever was changed, and a page that is not near-identical is left to zstd."""

from __future__ import annotations

import random

import pytest
import zstandard

from monitor import snapshot_codec, snapshot_patch


def _html(rng: random.Random, paragraphs: int = 400) -> bytes:
    """A page with the repetition of real markup: the same tags and classes everywhere."""
    words = ["terms", "data", "service", "you", "we", "may", "use", "content", "the", "of"]
    parts = [b'<html><head><meta name="csrf" content="0123456789abcdef"></head><body>']
    for i in range(paragraphs):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 30)))
        parts.append(f'<div class="p"><script nonce="aaaa{i % 7}">x()</script>'.encode())
        parts.append(f"<p>{text}</p></div>".encode())
    return b"".join(parts) + b"</body></html>"


def _mutate(rng: random.Random, page: bytes, edits: int) -> bytes:
    """``page`` with ``edits`` random substitutions (of any length), insertions, deletions
    and moved blocks, anywhere, the first and last bytes included."""
    out = bytearray(page)
    for _ in range(edits):
        at = rng.choice([0, len(out), rng.randrange(len(out) + 1)])
        size = rng.choice([1, 2, 8, 22, 40, 300])
        kind = rng.choice(["sub", "same-length", "insert", "delete", "move"])
        new = bytes(rng.randrange(256) for _ in range(size))
        if kind == "same-length":
            out[at : at + size] = new[: len(out[at : at + size])]
        elif kind == "sub":
            out[at : at + size] = new[: rng.randrange(size + 1)]
        elif kind == "insert":
            out[at:at] = new
        elif kind == "delete":
            del out[at : at + size]
        else:
            block = bytes(out[at : at + size])
            del out[at : at + size]
            where = rng.randrange(len(out) + 1)
            out[where:where] = block
    return bytes(out)


def _round_trip(base: bytes, page: bytes) -> str:
    codec, packed = snapshot_codec.pack_page_delta(page, base)
    assert snapshot_codec.unpack_page(codec, packed, len(page), base) == page
    return codec


@pytest.mark.parametrize("seed", range(40))
def test_any_edit_reads_back_exactly(seed: int) -> None:
    """Random edits of a markup page, few or many: the stored delta gives the page back."""
    rng = random.Random(seed)
    base = _html(rng, rng.choice([1, 50, 400]))
    for edits in (1, 3, 10, 60):
        page = _mutate(rng, base, edits)
        codec = _round_trip(base, page)
        assert codec == snapshot_codec.PATCH or edits > 3  # a few edits: found as such
        ops = snapshot_patch.diff(base, page)
        if ops is not None:
            assert snapshot_patch.apply(base, ops) == page


def test_rotated_tokens_are_a_small_patch() -> None:
    """The bench's churn: tokens of the same length rotated in a few places."""
    base = _html(random.Random(1))
    page = base.replace(b"0123456789abcdef", b"fedcba9876543210").replace(b"aaaa3", b"bbbb3", 10)
    assert _round_trip(base, page) == snapshot_codec.PATCH
    _, packed = snapshot_codec.pack_page_delta(page, base)
    assert len(packed) < 400


@pytest.mark.parametrize(
    ("base", "page"),
    [
        (b"", b""),
        (b"", b"<html>new</html>"),
        (b"<html>old</html>", b""),
        (b"<p>same</p>" * 100, b"<p>same</p>" * 100),
        (b"<p>same</p>" * 100, b"<p>same</p>" * 99),  # the page is a prefix of the base
        (b"<p>same</p>" * 100, b"<p>same</p>" * 101),  # the base is a prefix of the page
        (b"a" * 5000, b"a" * 2500 + b"b" + b"a" * 2500),  # one long run: anchors everywhere
        (b"x" * 20, b"y" * 20),  # shorter than an anchor
    ],
)
def test_edge_pages_read_back_exactly(base: bytes, page: bytes) -> None:
    _round_trip(base, page)


def test_an_unrelated_page_is_a_zstd_delta() -> None:
    """Too many differences: not a patch (zstd finds what little the pages share)."""
    rng = random.Random(7)
    base, page = _html(rng), _html(rng)
    assert snapshot_patch.diff(base, page) is None
    assert _round_trip(base, page) == snapshot_codec.ZSTD_DELTA


def test_a_damaged_patch_is_an_error_not_other_bytes() -> None:
    base = _html(random.Random(3))
    page = base.replace(b"0123456789abcdef", b"fedcba9876543210")
    codec, packed = snapshot_codec.pack_page_delta(page, base)
    assert codec == snapshot_codec.PATCH
    with pytest.raises(ValueError):
        snapshot_patch.decode(packed, base, len(page) + 1)  # another size than stored
    with pytest.raises(ValueError):
        snapshot_patch.decode(packed, base[: len(base) // 2], len(page))  # copies past the base
    with pytest.raises(ValueError):
        snapshot_patch.decode(packed[len(snapshot_patch.MAGIC) :], base, len(page))
    script = zstandard.ZstdDecompressor().decompress(packed[len(snapshot_patch.MAGIC) :])
    truncated = snapshot_patch.MAGIC + zstandard.ZstdCompressor().compress(script[:-3])
    with pytest.raises(ValueError):
        snapshot_patch.decode(truncated, base, len(page))
    with pytest.raises(ValueError):
        snapshot_codec.unpack_page(snapshot_codec.PATCH, packed, len(page), None)
    with pytest.raises(ValueError):
        snapshot_codec.unpack_page("lz4", packed, len(page), base)


def test_a_reader_taking_a_patch_for_plain_zstd_fails() -> None:
    """A release that knows only zstd and zstd-delta reads a patch as plain zstd: it must
    fail loudly, never return other bytes (the patch does not start as a zstd frame)."""
    base = _html(random.Random(4))
    page = base.replace(b"0123456789abcdef", b"fedcba9876543210")
    codec, packed = snapshot_codec.pack_page_delta(page, base)
    assert codec == snapshot_codec.PATCH
    with pytest.raises(zstandard.ZstdError):
        snapshot_codec.unpack(packed, len(page))
