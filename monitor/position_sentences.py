"""A document's sentences as the position readers test them, read once per block text.
Pure: no I/O.

Every reader first asks of a sentence whether it holds one of its hint words (``Hints``)
and then runs its patterns (``Rule``, made by ``position_units.rx``). A sentence's words
are looked up once for all of them (``clause_words.Words``: the literals inside each word),
which tells the hints it mentions and the rules whose matches it may hold: what any match
of a rule requires (``clause_patterns.requirements``, as the clause finder's phrase index
reads it) must be in the sentence. A rule the sentence cannot hold is answered without
running its regex; any other is the regex's own answer. Text that is not a whole sentence
(a slice, a heading's context) is tested with the rule's literals (``Regex``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from .clause_index import Need, Phrase, PhraseIndex
from .clause_patterns import FOLD_UNSAFE, WORD_START, Regex
from .clause_words import Words
from .facts import Amount, amounts
from .sentences import CACHED_TEXTS, sentences


class Hints:
    """Lower-case strings a sentence a reader looks at contains one of (``Unit.mentions``).
    Every instance is registered, so that a sentence's words are looked up once for all."""

    registered: ClassVar[list[Hints]] = []  # the registry of every instance

    def __init__(self, *words: str) -> None:
        need = Need.of(words)
        if need is None:
            raise ValueError(f"a hint must not be whitespace only: {words!r}")
        self.words = words
        self.need = need
        self.id = len(Hints.registered)
        Hints.registered.append(self)


class Rule(Regex):
    """A case-insensitive pattern of the readers: a ``Regex`` (any text) that a sentence of
    the document (``Sentence.search``) runs only when it may hold a match. Registered, so
    that a sentence's words are looked up once for all rules."""

    __slots__ = ("id",)
    registered: ClassVar[list[Rule]] = []

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern, re.IGNORECASE)
        self.id = len(Rule.registered)
        Rule.registered.append(self)


@dataclass(slots=True, eq=False)
class Sentence:
    """A sentence of a block with what the readers test first (not frozen: one is made for
    every sentence of a page read; ``known`` and ``periods`` fill in as asked). Bits rather
    than sets and dicts: fewer objects for the garbage collector to walk."""

    text: str
    low: str  # lower-cased: the hints are tested in it
    hints: int  # bit ``id`` set: it mentions the registered ``Hints`` of that id
    title: bool  # a run-in title ("4.1 Ownership.")
    digits: bool  # it holds a digit (every period or date written in figures does)
    found: set[str] | None  # the index's literals in its words (None: run every rule)
    index: _Index
    # For the ``Rule`` of each id, bit 2·id: it was tested, bit 2·id + 1: the sentence may
    # hold one of its matches; both written at once, so a sentence read by two threads at
    # a time may forget an answer (and test again), never keep half of one.
    known: int = 0
    periods: list[Amount] | None = None  # facts.amounts(text), once asked

    @property
    def amounts(self) -> list[Amount]:
        """``facts.amounts(self.text)`` (once: several readers ask for them)."""
        if self.periods is None:
            self.periods = amounts(self.text)
        return self.periods

    def search(self, rule: Rule | re.Pattern[str]) -> re.Match[str] | None:
        """``rule.search(self.text)``, without running the regex where no match can be."""
        if not isinstance(rule, Rule) or rule.id >= self.index.count:
            return rule.search(self.text)
        return rule.regex.search(self.text) if self._may(rule) else None

    def finditer(self, rule: Rule | re.Pattern[str]) -> Iterator[re.Match[str]]:
        """``rule.finditer(self.text)``, likewise."""
        if not isinstance(rule, Rule) or rule.id >= self.index.count:
            return rule.finditer(self.text)
        return rule.regex.finditer(self.text) if self._may(rule) else iter(())

    def _may(self, rule: Rule) -> bool:
        known = self.known >> 2 * rule.id
        if known & 1:
            return bool(known & 2)
        phrase = self.index.phrases[rule.id]
        found = self.found
        may = (
            found is None
            or phrase is None
            or not found.isdisjoint(self.index.triggers[rule.id])  # one C-level test first
            and phrase.possible(found, self.text, self.low)
        )
        self.known = self.known | (3 if may else 1) << 2 * rule.id
        return may


class _Index:
    """The literals that the hints and the rules' matches need, looked up once for each
    word of a sentence; a hint or rule is then tested in the words it needs."""

    def __init__(self, hints: Sequence[Hints], rules: Sequence[Rule]) -> None:
        self.hints = hints
        self.count = len(rules)
        # Flags as the rules were compiled with (re's cache): case-insensitive, Unicode.
        families = {str(r.id): [(r.pattern, re.IGNORECASE, 1)] for r in rules}
        phrases: list[Phrase | None] = [None] * len(rules)
        for p in PhraseIndex(families).phrases:
            for key, _ in p.weights:
                phrases[int(key)] = None if p.ways is None or _exact(p.ways) else _strong(p)
        self.phrases = phrases
        # the words one of which a sentence meeting each way's first need holds
        self.triggers = [
            frozenset(w for way in p.ways or () for w in way[0].triggers) if p else frozenset()
            for p in phrases
        ]
        words = [w for h in hints for w in h.need.triggers]
        ways = [way for p in phrases if p is not None for way in p.ways or ()]
        words += [w for way in ways for need in way for w in need.triggers]
        self.words = Words(words)
        self.hinted = _triggered((w, h.id) for h in hints for w in h.need.triggers)

    def read(self, text: str) -> Sentence:
        low = text.lower()
        found = self.words.found(low)
        hints = 0
        for i in _union(self.hinted, found):
            if self.hints[i].need.met(found, low, low):
                hints |= 1 << i
        # lower() is not how re folds the case of a few characters: every rule is run
        safe = text.isascii() or not any(c in text for c in FOLD_UNSAFE)
        digits = _DIGIT.search(text) is not None
        found_if = found if safe else None
        return Sentence(text, low, hints, _title(text), digits, found_if, self)


SHORT = 2  # a need told by a literal this short ("to", "\\bwe") is met in most sentences


def _strong(p: Phrase) -> Phrase:
    """``p`` without the needs of its ways that a short literal meets (a way with no other
    need keeps them): fewer literals to find in each word, nearly as few regexes run."""
    ways = []
    for way in p.ways or ():
        strong = tuple(n for n in way if min(map(_strength, n.triggers)) > SHORT)
        ways.append(strong or way)
    return Phrase(p.regex, p.weights, tuple(ways))


def _strength(word: str) -> int:
    return len(word) - word.startswith(WORD_START)


def _exact(ways: tuple[tuple[Need, ...], ...]) -> bool:
    """A need on case-sensitive words (not the readers': they ignore case)."""
    return any(w.startswith("\x00") for way in ways for n in way for w in n.triggers)


def _triggered(pairs: Iterator[tuple[str, int]]) -> dict[str, frozenset[int]]:
    out: dict[str, set[int]] = {}
    for word, i in pairs:
        out.setdefault(word, set()).add(i)
    return {w: frozenset(ids) for w, ids in out.items()}


def _union(triggered: dict[str, frozenset[int]], found: set[str]) -> set[int]:
    out: set[int] = set()
    for w in found & triggered.keys():
        out |= triggered[w]
    return out


@lru_cache(maxsize=1)
def _index(hints: int, rules: int) -> _Index:
    """The first ``hints`` and ``rules`` registered (all of them: rebuilt if more come)."""
    return _Index(Hints.registered[:hints], Rule.registered[:rules])


def warm() -> None:
    """Build the index of the hints and rules registered so far (``warmup``)."""
    _index(len(Hints.registered), len(Rule.registered))


def sentences_of(text: str) -> tuple[Sentence, ...]:
    """``text``'s sentences (``sentences.sentences``) as the readers test them, computed
    once per distinct text (bounded, as the sentences are)."""
    return _sentences_of(text, len(Hints.registered), len(Rule.registered))


@lru_cache(maxsize=CACHED_TEXTS)
def _sentences_of(text: str, hints: int, rules: int) -> tuple[Sentence, ...]:
    index = _index(hints, rules)
    return tuple(index.read(s) for s in sentences(text))


_DIGIT = re.compile(r"\d")
_NUMBERING = re.compile(r"^\(?(?:\d+(?:\.\d+)*[.)]?|[A-Za-z][.)]|[ivxlc]+[.)])\s+")
_MINOR = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"]
)
TITLE_WORDS = 12  # words of a run-in title at most, its numbering and a trailing "." included


def _title(sentence: str) -> bool:
    """A run-in title ("(c) Use of Content to Improve Services."): short, every word capitalized."""
    if len(sentence.split(None, TITLE_WORDS)) > TITLE_WORDS:
        return False
    words = _NUMBERING.sub("", sentence).rstrip(".:").split()
    major = [w for w in words if w.lower() not in _MINOR]
    if not 0 < len(words) <= 10 or len(major) < 2 or sentence.isupper():
        return False
    return all(w[:1].isupper() for w in major)
