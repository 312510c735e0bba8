"""The literals inside words, looked up once per distinct word. Pure: no I/O.

A text's words are found by ``str.split``; each distinct word is scanned once per process
for the literals (strings without whitespace) it contains, with one trie regex
(``_Scan``), and the answer is remembered as the bits of those literals (``Bits``), so that
a text's literals are a C-level OR over its words. ``Lexicon`` does it once for several
readers of the same sentences (the clause finder and the position readers): each has its
own range of bits in one int, a word is scanned once for all, and a text's bits are
remembered for the next reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import reduce
from operator import or_

from .clause_patterns import WORD_START

CACHED_WORDS = 1 << 16  # distinct words remembered before starting afresh
CACHED_TEXTS = 1 << 14  # texts' bits remembered by a Lexicon before starting afresh


class _Scan:
    """The literals (strings without whitespace) inside a word: one trie regex over the
    word. A literal marked ``WORD_START`` must start a word: begin the word or follow a
    character that is not a word character (re's own ``\\w``: alphanumeric or ``_``)."""

    def __init__(self, literals: Iterable[str]) -> None:
        self.literals = tuple(dict.fromkeys(literals))
        bodies: dict[str, tuple[list[str], list[str]]] = {}  # body → keys (anywhere, at starts)
        for s in self.literals:
            body = s[1:] if s.startswith(WORD_START) else s
            anywhere, starts = bodies.setdefault(body, ([], []))
            (starts if s.startswith(WORD_START) else anywhere).append(s)
        # At each position of a word, the longest body there ("retention"); the bodies that
        # are prefixes of it ("retent", "ret") are there too.
        trie = _trie(bodies) if bodies else "(?!)"
        # One scan: at each position, the longest body there as (body, "") where a word
        # starts (no \\w before it: where \\b may be), as ("", body) elsewhere.
        self.scan = re.compile(f"(?<!\\w)(?=({trie}))|(?=({trie}))").findall
        self.found: dict[str, tuple[frozenset[str], frozenset[str]]] = {}  # longest body →
        for longest in bodies:  # the literals there elsewhere, and at the start of a word
            ends = (longest[:n] for n in range(1, len(longest) + 1))
            prefixes = [bodies[b] for b in ends if b in bodies]
            inner = frozenset(s for b in prefixes for s in b[0])
            self.found[longest] = (inner, inner | {s for b in prefixes for s in b[1]})


class Bits(dict[str, int]):
    """Word → the bits (``bits``: literal → its bits) of the literals it contains, found
    at its first lookup (``_Scan``); a text's mask is a C-level OR over its words
    (``mask``)."""

    def __init__(self, bits: Mapping[str, int]) -> None:
        super().__init__()
        scan = _Scan(bits)
        self._scan = scan.scan
        # A scan's find (longest body at a word's start, or elsewhere) → the bits there.
        self._bits: dict[tuple[str, str], int] = {}
        for b, (inner, at_start) in scan.found.items():
            self._bits[b, ""] = reduce(or_, (bits[s] for s in at_start), 0)
            self._bits["", b] = reduce(or_, (bits[s] for s in inner), 0)

    def __missing__(self, word: str) -> int:
        if len(self) >= CACHED_WORDS:
            self.clear()
        mask = self[word] = reduce(or_, map(self._bits.__getitem__, self._scan(word)), 0)
        return mask

    def mask(self, text: str) -> int:
        """The bits of the literals in ``text``."""
        return reduce(or_, map(self.__getitem__, text.split()), 0)  # no set(): slower


class Lexicon:
    """The bits of several literal maps (``parts``: each a literal → its bits and the
    number of bits it uses) in one int: part ``n``'s bits shifted by ``offsets[n]``, above
    those of the parts before it. A text's bits (``mask``) are computed once per text for
    every part, its new words scanned once for all literals."""

    def __init__(self, parts: Sequence[tuple[Mapping[str, int], int]]) -> None:
        merged: dict[str, int] = {}
        self.offsets: list[int] = []
        at = 0
        for bits, width in parts:
            self.offsets.append(at)
            for literal, b in bits.items():
                merged[literal] = merged.get(literal, 0) | b << at
            at += width
        self._words = Bits(merged)
        self._texts: dict[str, int] = {}

    def mask(self, text: str) -> int:
        """``Bits.mask(text)`` for every part at once, remembered per text."""
        try:
            return self._texts[text]
        except KeyError:
            if len(self._texts) >= CACHED_TEXTS:
                self._texts.clear()
            bits = self._texts[text] = self._words.mask(text)
            return bits


_Node = dict[str, "_Node"]


def _trie(strings: Iterable[str]) -> str:
    """A regex matching the longest of ``strings`` at a position (a trie, so that each
    character is tried against one branch)."""
    root: _Node = {}
    for s in strings:
        node = root
        for c in s:
            node = node.setdefault(c, {})
        node[""] = {}
    return _branch(root)


def _branch(node: _Node) -> str:
    children = [re.escape(c) + _branch(node[c]) for c in sorted(node) if c]
    if not children:
        return ""
    body = children[0] if len(children) == 1 else f"(?:{'|'.join(children)})"
    return f"(?:{body})?" if "" in node else body
