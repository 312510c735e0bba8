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

from .clause_patterns import requirements

EXACT = "\x00"  # prefix of a case-sensitive literal's word in a found set (folded: bare)
CACHED_WORDS = 1 << 16  # distinct words remembered before starting afresh


class Words(dict[str, frozenset[str]]):
    """Word → which of ``literals`` (strings without whitespace) it contains; computed at the
    first lookup of each word, so a text's found set is a C-level union over its words."""

    def __init__(self, literals: Iterable[str]) -> None:
        super().__init__()
        self.literals = tuple(dict.fromkeys(literals))

    def __missing__(self, word: str) -> frozenset[str]:
        if len(self) >= CACHED_WORDS:
            self.clear()
        found = self[word] = frozenset(s for s in self.literals if s in word)
        return found

    def found(self, text: str) -> set[str]:
        """``{s for s in literals if s in text}``: such a literal lies inside one word."""
        return set().union(*map(self.__getitem__, set(text.split())))


@dataclass(frozen=True)
class Need:
    """A literal set a match requires: its strings without whitespace (``words``), and those
    with whitespace as (their longest word, the string, whether it is case-sensitive)."""

    words: frozenset[str]
    spanning: tuple[tuple[str, str, bool], ...]

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


def _rarity(need: Need) -> int:
    """How seldom a need's words occur, by the length of its shortest one: the rarest need
    triggers its phrase and is tested first."""
    return min(len(w) for w in need.triggers)


def _need(strings: tuple[str, ...], flags: int) -> Need | None:
    """A required literal set as the index tests it (None: not testable by substrings)."""
    exact = not flags & re.IGNORECASE
    if not exact and not all(s.isascii() for s in strings):
        return None
    tag = EXACT if exact else ""
    words, spanning = set(), []
    for s in strings if exact else (s.lower() for s in strings):
        pieces = s.split()
        if not pieces:
            return None  # whitespace only: in nearly any text
        if pieces == [s]:
            words.add(tag + s)
        else:
            spanning.append((tag + max(pieces, key=len), s, exact))
    return Need(frozenset(words), tuple(spanning))
