"""Every clause family's phrases scored in one pass over a text. Pure: no I/O.

A text is read once for all the phrase patterns of all clause keys (and the negative
topics). ``clause_patterns.requirements`` tells what any match of a pattern holds: for one
of its alternatives, a string of each of a few literal sets ("train" and one of "model",
"ai"). A text's words are looked up once each (``Words``: the literals inside each distinct
word, remembered), which gives the literals without whitespace that it holds; one with
whitespace ("how long") is tested whole, and only where its longest word is present. Only
the patterns whose requirements the text meets are run: most sentences meet a handful, and
the answer is still the regexes' own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .clause_patterns import WORD_START, requirements, word_start

EXACT = "\x00"  # prefix of a case-sensitive literal's word in a found set (folded: bare)
CACHED_WORDS = 1 << 16  # distinct words remembered before starting afresh


class Words(dict[str, frozenset[str]]):
    """Word → which of ``literals`` (strings without whitespace) it contains; computed at the
    first lookup of each word, so a text's found set is a C-level union over its words. A
    literal marked ``WORD_START`` must start a word: begin the word or follow a character
    that is not a word character (re's own ``\\w``)."""

    def __init__(self, literals: Iterable[str]) -> None:
        super().__init__()
        self.literals = tuple(dict.fromkeys(literals))
        bodies: dict[str, tuple[list[str], list[str]]] = {}  # body → keys (anywhere, at starts)
        for s in self.literals:
            body = s[1:] if s.startswith(WORD_START) else s
            anywhere, starts = bodies.setdefault(body, ([], []))
            (starts if s.startswith(WORD_START) else anywhere).append(s)
        # At each position of a word, the longest body there ("retention"); the bodies that
        # are prefixes of it ("retent", "ret") are there too.
        self._scan = re.compile(f"(?=({_trie(bodies)}))") if bodies else None
        self._keys = {
            longest: [
                (bodies[b][0], bodies[b][0] + bodies[b][1])
                for b in (longest[:n] for n in range(1, len(longest) + 1))
                if b in bodies
            ]
            for longest in bodies
        }

    def __missing__(self, word: str) -> frozenset[str]:
        if len(self) >= CACHED_WORDS:
            self.clear()
        found: set[str] = set()
        for m in self._scan.finditer(word) if self._scan is not None else ():
            at = m.start()
            start = at == 0 or _WORD.match(word, at - 1) is None
            for anywhere, everywhere in self._keys[m.group(1)]:
                found.update(everywhere if start else anywhere)
        self[word] = frozen = frozenset(found)
        return frozen

    def found(self, text: str) -> set[str]:
        """``{s for s in literals if s in text}``: such a literal lies inside one word."""
        return set().union(*map(self.__getitem__, set(text.split())))


_WORD = re.compile(r"\w")


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


@dataclass(frozen=True)
class Need:
    """A literal set a match requires: its strings without whitespace (``words``), and those
    with whitespace as (their longest word, the string, whether it is case-sensitive)."""

    words: frozenset[str]
    spanning: tuple[tuple[str, str, bool], ...]

    @classmethod
    def of(cls, strings: Iterable[str], exact: bool = False) -> Need | None:
        """The need of ``strings`` as they are, tested in the text itself (``exact``, its
        words tagged ``EXACT``) or in its lower-cased form; None when one is whitespace.
        A string with whitespace is found by its longest word, marked ``WORD_START`` where
        it follows whitespace or the string's own mark."""
        tag = EXACT if exact else ""
        words, spanning = set(), []
        for s in strings:
            marked = s.startswith(WORD_START)
            body = s[1:] if marked else s
            pieces = body.split()
            if not pieces:
                return None  # whitespace only: in nearly any text
            if pieces == [body]:
                words.add(tag + s)
                continue
            after_space = [body[0].isspace() or marked, *[True] * (len(pieces) - 1)]
            gates = [word_start(p, b) for p, b in zip(pieces, after_space, strict=True)]
            gate = max(reversed(gates), key=_gate_strength)  # the longest, the last of equals
            spanning.append((tag + gate, body, exact))
        return cls(frozenset(words), tuple(spanning))

    def met(self, found: set[str], text: str, low: str) -> bool:
        if not self.words.isdisjoint(found):
            return True
        for word, s, exact in self.spanning:  # noqa: SIM110 - a plain loop, on the hot path
            if word in found and s in (text if exact else low):
                return True
        return False

    @property
    def triggers(self) -> frozenset[str]:
        """Words one of which any text meeting the need holds."""
        return self.words | {w for w, _, _ in self.spanning}


@dataclass(frozen=True)
class Phrase:
    """One distinct regex of the families, the weight it adds to each key it belongs to, and
    what its matches require: alternatives (``ways``) of needs (None: always run)."""

    regex: re.Pattern[str]
    weights: tuple[tuple[str, int], ...]
    ways: tuple[tuple[Need, ...], ...] | None

    def possible(self, found: set[str], text: str, low: str) -> bool:
        if self.ways is None:
            return True
        for way in self.ways:  # plain loops, need.met inlined: this is the hot path
            for need in way:
                if need.words.isdisjoint(found) and not need.met(found, text, low):
                    break
            else:
                return True
        return False

    @property
    def triggers(self) -> frozenset[str]:
        """Words one of which is in any text the phrase may match (each way's first need)."""
        return frozenset(w for way in self.ways or () for w in way[0].triggers)


PhraseSpec = tuple[str, int, int]  # (regex, flags, weight)


class PhraseIndex:
    """The phrases of several families (key → its ``(regex, flags, weight)``s), indexed by
    the words that trigger them; ``scores(text)`` gives each key's summed weight."""

    def __init__(self, families: Mapping[str, Sequence[PhraseSpec]]) -> None:
        weights: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for key, specs in families.items():
            for pattern, flags, weight in specs:
                weights.setdefault((pattern, flags), []).append((key, weight))
        self.phrases = tuple(_phrase(re.compile(p, f), tuple(w)) for (p, f), w in weights.items())
        self._always = frozenset(i for i, p in enumerate(self.phrases) if p.ways is None)
        triggers: dict[str, set[int]] = {}
        for i, p in enumerate(self.phrases):
            for w in p.triggers:
                triggers.setdefault(w, set()).add(i)
        self._triggers = {w: frozenset(ids) for w, ids in triggers.items()}
        words = {w for p in self.phrases for way in p.ways or () for n in way for w in n.triggers}
        self._folded = Words(w for w in words if not w.startswith(EXACT))
        exact = [w[1:] for w in words if w.startswith(EXACT)]
        self._exact = Words(exact) if exact else None

    def scores(self, text: str, low: str | None) -> dict[str, int]:
        """Each key's summed phrase weights in ``text`` (``low`` = ``folding(text)``); a key
        is present when one of its phrases matched, absent when none did."""
        out: dict[str, int] = {}
        for p in self.candidates(text, low):
            if p.regex.search(text):
                for key, weight in p.weights:
                    out[key] = out.get(key, 0) + weight
        return out

    def candidates(self, text: str, low: str | None) -> Sequence[Phrase]:
        """The phrases that may match ``text``, in index order."""
        if low is None:  # characters that fold unlike str.lower: every phrase is tried
            return self.phrases
        found = self._folded.found(low)
        if self._exact is not None:
            found.update(EXACT + w for w in self._exact.found(text))
        ids = set(self._always)
        for w in found & self._triggers.keys():
            ids |= self._triggers[w]
        return [p for i in sorted(ids) if (p := self.phrases[i]).possible(found, text, low)]


def _phrase(regex: re.Pattern[str], weights: tuple[tuple[str, int], ...]) -> Phrase:
    ways = []
    for way in requirements(regex.pattern, regex.flags) or ((),):
        needs = [n for n in (_need(s, regex.flags) for s in way) if n is not None]
        if not needs:
            return Phrase(regex, weights, None)  # this way cannot be told by substrings
        ways.append(tuple(sorted(needs, key=_rarity, reverse=True)))
    return Phrase(regex, weights, tuple(ways))


def _gate_strength(word: str) -> tuple[int, bool]:
    start = word.startswith(WORD_START)
    return len(word) - start, start


def _rarity(need: Need) -> int:
    """How seldom a need's words occur, by the length of its shortest one: the rarest need
    triggers its phrase and is tested first."""
    return min(len(w) - w.startswith(EXACT) for w in need.triggers)


def _need(strings: tuple[str, ...], flags: int) -> Need | None:
    """A required literal set as the index tests it (None: not testable by substrings)."""
    exact = not flags & re.IGNORECASE
    if not exact and not all(s.isascii() for s in strings):
        return None
    return Need.of(strings if exact else tuple(s.lower() for s in strings), exact)
