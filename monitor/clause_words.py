"""The literals inside words, looked up once per distinct word. Pure: no I/O.

A text's words are found by ``str.split``; each distinct word is scanned once per process
for the literals (strings without whitespace) it contains, with one trie regex
(``_Scan``), and the answer is remembered: as a set of literals (``Words``) or as the bits
of those literals (``Bits``), so that a text's literals are a C-level union or OR over its
words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import reduce
from operator import or_

from .clause_patterns import WORD_START

CACHED_WORDS = 1 << 16  # distinct words remembered before starting afresh


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
        self.anywhere = re.compile(f"(?=({trie}))").findall
        self.at_start = re.compile(f"(?<!\\w)(?=({trie}))").findall  # where \\b may be
        self.found: dict[str, tuple[frozenset[str], frozenset[str]]] = {}  # longest body →
        for longest in bodies:  # the literals there elsewhere, and at the start of a word
            ends = (longest[:n] for n in range(1, len(longest) + 1))
            prefixes = [bodies[b] for b in ends if b in bodies]
            inner = frozenset(s for b in prefixes for s in b[0])
            self.found[longest] = (inner, inner | {s for b in prefixes for s in b[1]})

    def inside(self, word: str) -> set[str]:
        found = self.found
        return set().union(
            *(found[b][0] for b in self.anywhere(word)),
            *(found[b][1] for b in self.at_start(word)),
        )


class Words(dict[str, frozenset[str]]):
    """Word → which of ``literals`` (strings without whitespace, ``_Scan``) it contains;
    computed at the first lookup of each word, so a text's found set is a C-level union
    over its words."""

    def __init__(self, literals: Iterable[str]) -> None:
        super().__init__()
        self._scan = _Scan(literals)
        self.literals = self._scan.literals

    def __missing__(self, word: str) -> frozenset[str]:
        if len(self) >= CACHED_WORDS:
            self.clear()
        self[word] = frozen = frozenset(self._scan.inside(word))
        return frozen

    def found(self, text: str) -> set[str]:
        """``{s for s in literals if s in text}``: such a literal lies inside one word."""
        return set().union(*map(self.__getitem__, set(text.split())))


class Bits(dict[str, int]):
    """Word → the bits (``bits``: literal → its bit) of the literals it contains, like
    ``Words``; a text's mask is a C-level OR over its words (``mask``)."""

    def __init__(self, bits: Mapping[str, int]) -> None:
        super().__init__()
        scan = _Scan(bits)
        self._anywhere, self._at_start = scan.anywhere, scan.at_start
        # Longest body → the bits of the literals there (elsewhere, at a word's start).
        self._bits, self._start_bits = (
            {b: reduce(or_, (bits[s] for s in pair[n]), 0) for b, pair in scan.found.items()}
            for n in (0, 1)
        )

    def __missing__(self, word: str) -> int:
        if len(self) >= CACHED_WORDS:
            self.clear()
        mask = reduce(or_, map(self._bits.__getitem__, self._anywhere(word)), 0)
        starts = self._at_start(word)
        if starts:
            mask |= reduce(or_, map(self._start_bits.__getitem__, starts))
        self[word] = mask
        return mask

    def mask(self, text: str) -> int:
        """The bits of the literals in ``text``."""
        return reduce(or_, map(self.__getitem__, text.split()), 0)  # no set(): slower


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
