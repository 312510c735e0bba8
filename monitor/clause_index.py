"""Every clause family's phrases scored in one pass over a text. Pure: no I/O.

A text is read once for all the phrase patterns of all clause keys (and the negative
topics). ``clause_patterns.requirements`` tells what any match of a pattern holds: for one
of its alternatives, a string of each of a few literal sets ("train" and one of "model",
"ai"). A text's words are looked up once each (``clause_words.Bits``: the needs that the
literals inside each distinct word meet, remembered per word), and one integer addition tells which
patterns have every need of one of their alternatives met (``PhraseIndex``); a literal with
whitespace ("how long") is found by its longest word, then tested whole. Only those
patterns are run, and only for the keys that ask about that text (``Group``): most
sentences meet a handful, and the answer is still the regexes' own.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from .clause_patterns import (
    WORD_START,
    ascii_twin,
    context_free,
    plain,
    requirements,
    word_start,
)
from .clause_words import Bits

__all__ = ["Group", "Need", "Phrase", "PhraseIndex", "PhraseSpec"]

EXACT = "\x00"  # prefix of a case-sensitive literal's word in a found set (folded: bare)
TWIN_AFTER = 128  # uses of a phrase on plain text before its ASCII twin is compiled


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

    @cached_property
    def free(self) -> bool:
        """``clause_patterns.context_free``, read at first use."""
        return context_free(self.regex)

    @cached_property
    def twin(self) -> re.Pattern[str] | None:
        """The regex for ``plain`` text (``ascii_twin``), compiled at first use."""
        return ascii_twin(self.regex)

    def possible(self, found: set[str], text: str, low: str) -> bool:
        """Whether a text holding the literals ``found`` (``Words.found``) meets the needs
        of one of the ways."""
        if self.ways is None:
            return True
        for way in self.ways:  # plain loops, need.met inlined: this is the hot path
            for need in way:
                if need.words.isdisjoint(found) and not need.met(found, text, low):
                    break
            else:
                return True
        return False


PhraseSpec = tuple[str, int, int]  # (regex, flags, weight)


Entry = tuple[re.Pattern[str], int, int]  # regex, weight, phrase id if context-free (else -1)


class Group:
    """One key's candidate regexes in one text: those of positive weight, then the others,
    and the lowest and highest sums they may give; the sums found are remembered, and the
    context-free phrases found (``hits``: then also in a text joined from this one)."""

    __slots__ = ("_exact", "_score", "highest", "hits", "lowest", "negative", "positive")

    def __init__(self) -> None:
        self.positive: list[Entry] = []
        self.negative: list[Entry] = []
        self.highest = self.lowest = 0
        self.hits: set[int] = set()
        self._score: int | None = None
        self._exact: int | None = None

    def add(self, regex: re.Pattern[str], weight: int, free: int) -> None:
        if weight > 0:
            self.positive.append((regex, weight, free))
            self.highest += weight
        else:
            self.negative.append((regex, weight, free))
            self.lowest += weight

    def score(self, text: str, known: Collection[int] = ()) -> int:
        """The sum of the weights found in ``text`` where one of positive weight is found,
        else 0 (the others are run only then); ``known``: context-free phrases found in a
        part of ``text`` (not run again)."""
        if self._score is None:
            found = self._sum(self.positive, text, known)
            if found:
                found += self._sum(self.negative, text, known)
            self._score = found
        return self._score

    def exact(self, text: str, known: Collection[int] = ()) -> int:
        """The sum of the weights found in ``text``."""
        if self._exact is None:
            self._exact = self._sum(self.positive, text, known) + self._sum(
                self.negative, text, known
            )
        return self._exact

    def _sum(self, entries: list[Entry], text: str, known: Collection[int]) -> int:
        found = 0
        for regex, weight, free in entries:
            if free in known or regex.search(text):
                found += weight
                if free >= 0:
                    self.hits.add(free)
        return found

    def found(self, text: str) -> bool:
        """Whether one of the regexes is found in ``text``."""
        for regex, _, _ in (*self.positive, *self.negative):  # noqa: SIM110 - hot path
            if regex.search(text):
                return True
        return False


# Needs of a way with whitespace in a string, retested in the text: the strings to find
# in its folded form, those to find in the text itself (either one meets the need).
Check = tuple[tuple[str, ...], tuple[str, ...]]


class PhraseIndex:
    """The phrases of several families (key → its ``(regex, flags, weight)``s) and what
    their matches require; ``scores(text)`` gives each key's summed weight.

    Every way of every phrase (an alternative of its needs, ``clause_patterns.requirements``)
    has a slot of bits in one int: a bit per need, then a guard bit. A literal sets the bit
    of every need it meets; a word's bits are those of the literals inside it (``Bits``,
    remembered per word) and a text's are the OR of its words'. Adding 1 at the bottom of
    every slot carries into the guard bit of exactly the slots whose needs are all met, so
    one addition tells every phrase a text may match. A need with whitespace in a string
    ("how long") sets its bit by the string's longest word and is retested in the text."""

    def __init__(self, families: Mapping[str, Sequence[PhraseSpec]]) -> None:
        weights: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for key, specs in families.items():
            for pattern, flags, weight in specs:
                weights.setdefault((pattern, flags), []).append((key, weight))
        self.phrases = tuple(_phrase(re.compile(p, f), tuple(w)) for (p, f), w in weights.items())
        self._always = frozenset(i for i, p in enumerate(self.phrases) if p.ways is None)
        self._plain: list[re.Pattern[str] | None] = [None] * len(self.phrases)  # for plain text
        self._uses = [0] * len(self.phrases)  # ... until then, uses on plain text
        literals: dict[str, int] = {}  # literal → the bits of the needs it meets
        self._bottoms = self._guards = 0
        self._ways: dict[int, tuple[int, tuple[Check, ...]]] = {}  # guard → phrase, checks
        at = 0
        for i, p in enumerate(self.phrases):
            for way in p.ways or ():
                for n, need in enumerate(way):
                    for w in need.triggers:
                        literals[w] = literals.get(w, 0) | 1 << (at + n)
                self._bottoms |= 1 << at
                guard = 1 << (at + len(way))
                self._guards |= guard
                self._ways[guard] = (i, tuple(_check(n) for n in way if n.spanning))
                at += len(way) + 1
        # the bits of the folded literals (``words``: a ``Bits`` of them, or a ``Lexicon``
        # with them at offset 0), and how many bits the slots take
        self.literals = {w: b for w, b in literals.items() if not w.startswith(EXACT)}
        self.width = at
        exact = {w[1:]: b for w, b in literals.items() if w.startswith(EXACT)}
        self._exact = Bits(exact) if exact else None

    @cached_property
    def words(self) -> Bits:
        """The folded literals' ``Bits``, built at first use (``clause_scoring`` reads
        the built-in index's through a ``Lexicon`` shared with the position readers)."""
        return Bits(self.literals)

    def exact_bits(self, text: str) -> int:
        """The bits of the case-sensitive literals in ``text`` (0: the index has none)."""
        return 0 if self._exact is None else self._exact.mask(text)

    def scores(self, text: str, low: str | None) -> dict[str, int]:
        """Each key's summed phrase weights in ``text`` (``low`` = ``folding(text)``); a key
        is present when one of its phrases matched, absent when none did."""
        groups = self.groups(text, low)
        return {key: g.exact(text) for key, g in groups.items() if g.found(text)}

    def bits(self, text: str, low: str | None) -> int | None:
        """The bits of the needs the literals of ``text`` meet (None: ``low`` is None).
        Those of texts joined by whitespace are the OR of theirs."""
        return None if low is None else self._mask(text, low)

    def _mask(self, text: str, low: str) -> int:
        bits = self.words.mask(low)
        if self._exact is not None:
            bits |= self._exact.mask(text)
        return bits

    def groups(self, text: str, low: str | None, bits: int | None = None) -> dict[str, Group]:
        """The regexes that may match ``text``, by key (a key without any is absent);
        ``bits``: ``self.bits(text, low)`` when known."""
        if low is None:  # characters that fold unlike str.lower: every phrase is tried
            phrases: Iterable[tuple[int, Phrase]] = enumerate(self.phrases)
        else:
            if bits is None:
                bits = self._mask(text, low)
            met = (bits + self._bottoms) & self._guards  # the guards of the ways all met
            if not met and not self._always:
                return {}
            phrases = self._phrases(met, text, low)
        out: dict[str, Group] = {}
        ascii = plain(text)
        for i, p in phrases:
            regex = self._plain[i] or self._twin(i) if ascii else p.regex
            free = i if p.free else -1
            for key, weight in p.weights:
                group = out.get(key)
                if group is None:
                    group = out[key] = Group()
                group.add(regex, weight, free)
        return out

    def compile_twins(self) -> None:
        """Every phrase's regex for plain text now, not after ``TWIN_AFTER`` uses (the
        built-in index, ``clause_scoring.index``: ~25 ms once per process, in a check once
        in the fork server, ``warmup``; ~1.2 ms less a page read)."""
        for i, p in enumerate(self.phrases):
            self._plain[i] = p.twin or p.regex

    def _twin(self, i: int) -> re.Pattern[str]:
        """Phrase ``i``'s regex for plain text: its ``ascii_twin`` once it has been a
        candidate in ``TWIN_AFTER`` plain texts (compiling one costs ~130 runs' saving:
        a process reading a few pages compiles none), the regex itself until then."""
        p = self.phrases[i]
        self._uses[i] += 1
        if self._uses[i] < TWIN_AFTER:
            return p.regex
        plain = self._plain[i] = p.twin or p.regex
        return plain

    def _phrases(self, met: int, text: str, low: str) -> Iterable[tuple[int, Phrase]]:
        """The phrases (with their ids) of the ways whose guards are ``met`` (their
        whitespace strings checked), and those without requirements."""
        phrases = self.phrases
        found = {i: phrases[i] for i in self._always}
        while met:
            guard = met & -met
            met ^= guard
            i, checks = self._ways[guard]
            if (not checks or _all_hold(checks, text, low)) and i not in found:
                found[i] = phrases[i]
        return found.items()


def _all_hold(checks: tuple[Check, ...], text: str, low: str) -> bool:
    for folded, exact in checks:  # plain loops: on the hot path
        for s in folded:
            if s in low:
                break
        else:
            for s in exact:
                if s in text:
                    break
            else:
                return False
    return True


def _check(need: Need) -> Check:
    """Strings one of which a text meeting ``need`` holds (the words without their marks)."""
    bare = (w.removeprefix(EXACT).removeprefix(WORD_START) for w in need.words)
    strings = [(w.startswith(EXACT), b) for w, b in zip(need.words, bare, strict=True)]
    strings += [(exact, s) for _, s, exact in need.spanning]
    return tuple(s for e, s in strings if not e), tuple(s for e, s in strings if e)


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
    is tested first (``Phrase.possible``)."""
    return min(len(w) - w.startswith(EXACT) for w in need.triggers)


def _need(strings: tuple[str, ...], flags: int) -> Need | None:
    """A required literal set as the index tests it (None: not testable by substrings)."""
    exact = not flags & re.IGNORECASE
    if not exact and not all(s.isascii() for s in strings):
        return None
    return Need.of(strings if exact else tuple(s.lower() for s in strings), exact)
