"""Bounded sequence alignment for diffs. Pure: no I/O.

``difflib.SequenceMatcher`` is exact but its cost grows with the number of equal element
pairs: one long paragraph of common words (tens of thousands of words, each word present
hundreds of times) took minutes. ``opcodes`` keeps difflib for inputs where that number is
small (every normal sentence, line or document), and past ``DIFFLIB_PAIRS`` uses Myers'
O((N+M)·D) algorithm, which is fast when the edits D are few; when D would exceed
``MAX_EDITS`` it falls back to the coarsest diff: the differing middle (after the common
prefix and suffix) replaced as a whole. The cost is so bounded for every input.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Hashable, Sequence

Opcode = tuple[str, int, int, int, int]  # difflib's (tag, i1, i2, j1, j2)

DIFFLIB_PAIRS = 200_000  # equal element pairs up to which difflib's exact matcher is used
MAX_EDITS = 1_500  # Myers' edit distance beyond which the coarse fallback is taken


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """difflib-style opcodes turning ``a`` into ``b``, in bounded time (see module doc)."""
    start, end_a, end_b = _trim(a, b)
    mid_a, mid_b = a[start:end_a], b[start:end_b]
    if _equal_pairs(mid_a, mid_b) <= DIFFLIB_PAIRS:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)  # no junk heuristic
        return list(matcher.get_opcodes())
    blocks = _myers(mid_a, mid_b, MAX_EDITS)
    if blocks is None:
        blocks = []
    shifted = [(0, 0, start)] if start else []
    shifted += [(i + start, j + start, size) for i, j, size in blocks]
    if len(a) - end_a:
        shifted.append((end_a, end_b, len(a) - end_a))
    return _from_blocks(_merge(shifted), len(a), len(b))


def ratio(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Similarity 2·M/T as difflib's ``ratio``, with ``opcodes``' bounded cost."""
    if not a and not b:
        return 1.0
    matched = sum(i2 - i1 for tag, i1, i2, _, _ in opcodes(a, b) if tag == "equal")
    return 2.0 * matched / (len(a) + len(b))


def costly(a: Sequence[Hashable], b: Sequence[Hashable]) -> bool:
    """Whether difflib would be slow on ``a`` and ``b`` (``opcodes`` then avoids it)."""
    return _equal_pairs(a, b) > DIFFLIB_PAIRS


def _trim(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[int, int, int]:
    """Length of the common prefix, and where the common suffix starts in ``a`` and ``b``."""
    n = min(len(a), len(b))
    start = 0
    while start < n and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    return start, end_a, end_b


def _equal_pairs(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """How many (i, j) have a[i] == b[j]: what difflib's matching work grows with."""
    counts = Counter(b)
    return sum(counts.get(x, 0) for x in a)


def _myers(
    a: Sequence[Hashable], b: Sequence[Hashable], max_edits: int
) -> list[tuple[int, int, int]] | None:
    """Matching blocks (i, j, size) of a shortest edit script, or None past ``max_edits``."""
    n, m = len(a), len(b)
    v = {1: 0}
    trace: list[dict[int, int]] = []
    for d in range(min(n + m, max_edits) + 1):
        trace.append(dict(v))
        for k in range(-d, d + 1, 2):
            x = v[k + 1] if k == -d or k != d and v[k - 1] < v[k + 1] else v[k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x, y = x + 1, y + 1
            v[k] = x
            if x >= n and y >= m:
                return _backtrack(trace, n, m)
    return None


def _backtrack(trace: list[dict[int, int]], n: int, m: int) -> list[tuple[int, int, int]]:
    """Walk Myers' trace back from (n, m) into matching blocks, in order."""
    blocks: list[tuple[int, int, int]] = []
    x, y = n, m
    for d in range(len(trace) - 1, -1, -1):
        v = trace[d]
        k = x - y
        if d == 0:
            prev_x, prev_y = 0, 0
        else:
            down = k == -d or (k != d and v[k - 1] < v[k + 1])
            prev_k = k + 1 if down else k - 1
            prev_x = v[prev_k]
            prev_y = prev_x - prev_k
        start_x = prev_x if d == 0 else (prev_x if prev_k == k + 1 else prev_x + 1)
        start_y = start_x - k
        if x > start_x:
            blocks.append((start_x, start_y, x - start_x))
        x, y = prev_x, prev_y
    blocks.reverse()
    return blocks


def _merge(blocks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Adjacent matching blocks joined into one."""
    out: list[tuple[int, int, int]] = []
    for i, j, size in blocks:
        if size <= 0:
            continue
        if out and out[-1][0] + out[-1][2] == i and out[-1][1] + out[-1][2] == j:
            pi, pj, ps = out[-1]
            out[-1] = (pi, pj, ps + size)
        else:
            out.append((i, j, size))
    return out


def _from_blocks(blocks: list[tuple[int, int, int]], n: int, m: int) -> list[Opcode]:
    """Matching blocks → opcodes, as ``SequenceMatcher.get_opcodes`` builds them."""
    codes: list[Opcode] = []
    i = j = 0
    for bi, bj, size in [*blocks, (n, m, 0)]:
        tag = "replace" if i < bi and j < bj else "delete" if i < bi else "insert" if j < bj else ""
        if tag:
            codes.append((tag, i, bi, j, bj))
        if size:
            codes.append(("equal", bi, bi + size, bj, bj + size))
        i, j = bi + size, bj + size
    return codes
