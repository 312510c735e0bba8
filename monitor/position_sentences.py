"""A document's sentences as the position readers test them, read once per block text.
Pure: no I/O.

Every reader first asks of a sentence whether it holds one of its hint words (``Hints``)
and then runs its patterns (``Rule``, made by ``position_units.rx``). A sentence's words
are looked up once for all of them, and for the clause finder (``lexicon``: the literals
inside each word, as bits), which tells the hints it mentions and the rules whose matches
it may hold: what any match of a rule requires (``clause_patterns.requirements``, as the
clause finder's phrase index reads it) must be in the sentence. A rule the sentence cannot
hold is answered without running its regex; any other is the regex's own answer. Text
that is not a whole sentence (a slice, a heading's context) is tested with the rule's
literals (``Regex``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from . import clause_scoring
from . import position_presence as presence
from .clause_index import Need, Phrase, PhraseIndex
from .clause_patterns import FOLD_UNSAFE, WORD_START, Regex
from .clause_words import Lexicon
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

    __slots__ = ("find", "id")
    registered: ClassVar[list[Rule]] = []

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern, re.IGNORECASE)
        # what a sentence that may hold a match runs (``Sentence.search``)
        self.find: Callable[[str], re.Match[str] | None] = self.regex.search
        self.id = len(Rule.registered)
        Rule.registered.append(self)


class Presence(Rule):
    """A ``Rule`` whose readers keep only whether a text holds a match (``search``'s
    truth): ``search`` runs ``position_presence.tests``, which match the same texts faster,
    and returns their match (not the pattern's span and groups); ``match``, ``finditer``
    and ``sub`` are the pattern's own."""

    __slots__ = ("tests",)

    def __init__(self, pattern: str) -> None:
        super().__init__(pattern)
        self.tests: tuple[re.Pattern[str], ...] = ()
        self.find = self._first  # compiled at first use, not at import

    def _first(self, text: str) -> re.Match[str] | None:
        self.tests = presence.tests(self.pattern, re.IGNORECASE)
        self.find = self.tests[0].search if len(self.tests) == 1 else self._any
        return self.find(text)

    def _any(self, text: str) -> re.Match[str] | None:
        for test in self.tests:
            if m := test.search(text):
                return m
        return None

    def search(self, text: str) -> re.Match[str] | None:
        return None if self._absent(text) else self.find(text)


@dataclass(slots=True, eq=False)
class Sentence:
    """A sentence of a block with what the readers test first (not frozen: one is made for
    every sentence of a page read; ``periods`` fills in as asked). Bits rather than sets
    and dicts: fewer objects for the garbage collector to walk."""

    text: str
    low: str  # lower-cased: the hints are tested in it
    hints: int  # bit ``id`` set: it mentions the registered ``Hints`` of that id
    title: bool  # a run-in title ("4.1 Ownership.")
    digits: bool  # it holds a digit (every period or date written in figures does)
    bits: int  # the bits (``_Index``) of the literals in its words
    met: int | None  # the guards of the rules' ways it meets the needs of (None: run all)
    index: _Index
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
        return rule.find(self.text) if self._may(rule) else None

    def finditer(self, rule: Rule | re.Pattern[str]) -> Iterator[re.Match[str]]:
        """``rule.finditer(self.text)``, likewise."""
        if not isinstance(rule, Rule) or rule.id >= self.index.count:
            return rule.finditer(self.text)
        return rule.regex.finditer(self.text) if self._may(rule) else iter(())

    def _may(self, rule: Rule) -> bool:
        """Whether the sentence meets every need of one of the rule's ways: a way's guard
        met, and a need with whitespace in a string met by one of its words or strings."""
        met = self.met
        guards = self.index.guards[rule.id]
        if met is None or guards is None:
            return True
        met &= guards
        checks = self.index.checks
        while met:
            guard = met & -met
            met ^= guard
            check = checks.get(guard.bit_length())
            if check is None or _holds(check, self.bits, self.low):
                return True
        return False


# A way's needs with whitespace in a string: the bits of its words, and its strings.
Check = tuple[tuple[int, tuple[str, ...]], ...]


def _holds(check: Check, bits: int, low: str) -> bool:
    for words, strings in check:  # plain loops: on the hot path
        if bits & words:
            continue
        for s in strings:
            if s in low:
                break
        else:
            return False
    return True


class _Index:
    """The literals that the hints and the rules' matches need, as bits: the sentence's
    words looked up once (``lexicon``, with the clause finder's), a hint or rule is then
    told by its bits. Hint ``i`` is bit ``i``; every way of a rule (an alternative of its
    needs, ``clause_index.PhraseIndex``) a slot of a bit per need and a guard bit, which
    one addition sets where every need is met."""

    def __init__(self, hints: Sequence[Hints], rules: Sequence[Rule]) -> None:
        self.count = len(rules)
        literals: dict[str, int] = {}
        self.hint_words = (1 << len(hints)) - 1
        at = len(hints)
        spans = []  # a hint's strings with whitespace: its bit, its gate word's, the string
        for h in hints:
            _add(literals, h.need.words, 1 << h.id)
            for gate, string, _ in h.need.spanning:
                _add(literals, (gate,), 1 << at)
                spans.append((1 << h.id, 1 << at, string))
                at += 1
        self.spans = tuple(spans)
        self.guards: list[int | None] = [None] * len(rules)  # None: always run
        self.bottoms = self.all_guards = 0
        spanning: list[tuple[int, tuple[Need, ...]]] = []
        for rid, p in enumerate(_phrases(rules)):
            if p is None:
                continue
            guards = 0
            for way in p.ways or ():
                for n, need in enumerate(way):
                    _add(literals, need.triggers, 1 << (at + n))
                self.bottoms |= 1 << at
                at += len(way)
                guards |= 1 << at
                if any(need.spanning for need in way):
                    spanning.append((at, way))
                at += 1
            self.guards[rid] = guards
            self.all_guards |= guards
        self.checks: dict[int, Check] = {}  # a guard's bit_length → its way's checks
        for guard, way in spanning:
            check = []
            for need in (n for n in way if n.spanning):
                words = 1 << at if need.words else 0  # set by its words alone
                _add(literals, need.words, words)
                at += words > 0
                check.append((words, tuple(s for _, s, _ in need.spanning)))
            self.checks[guard + 1] = tuple(check)
        self.literals = literals
        self.width = at

    def read(self, text: str, words: Lexicon, offset: int) -> Sentence:
        """``text`` as the readers test it; its words' bits are ``words``' from ``offset``."""
        low = text.lower()
        bits = words.mask(low) >> offset
        hints = bits & self.hint_words
        for hint, gate, string in self.spans:
            if bits & gate and string in low:
                hints |= hint
        # lower() is not how re folds the case of a few characters: every rule is run
        safe = text.isascii() or not any(c in text for c in FOLD_UNSAFE)
        met = (bits + self.bottoms) & self.all_guards if safe else None
        digits = _digits(text)
        return Sentence(text, low, hints, _title(text), digits, bits, met, self)


def _add(literals: dict[str, int], words: Iterable[str], bits: int) -> None:
    for w in words:
        literals[w] = literals.get(w, 0) | bits


def _phrases(rules: Sequence[Rule]) -> list[Phrase | None]:
    """Each rule's phrase as the index reads it (None: always run)."""
    # Flags as the rules were compiled with (re's cache): case-insensitive, Unicode.
    families = {str(r.id): [(r.pattern, re.IGNORECASE, 1)] for r in rules}
    phrases: list[Phrase | None] = [None] * len(rules)
    for p in PhraseIndex(families).phrases:
        for key, _ in p.weights:
            phrases[int(key)] = None if p.ways is None or _exact(p.ways) else _strong(p)
    return phrases


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


@lru_cache(maxsize=1)
def _index(hints: int, rules: int) -> _Index:
    """The first ``hints`` and ``rules`` registered (all of them: rebuilt if more come)."""
    return _Index(Hints.registered[:hints], Rule.registered[:rules])


def warm() -> None:
    """Build the index of the hints and rules registered so far and the lexicon
    (``warmup``)."""
    lexicon()


def lexicon() -> Lexicon:
    """The words' bits of the built-in clause rules' index (at offset 0: the clause finder)
    and of the readers' index (``offsets[1]``): a word is scanned once for both stages, and
    a sentence's bits are remembered for the second."""
    return _lexicon(clause_scoring.index(()), _index(len(Hints.registered), len(Rule.registered)))


@lru_cache(maxsize=1)
def _lexicon(clauses: PhraseIndex, readers: _Index) -> Lexicon:
    return Lexicon([(clauses.literals, clauses.width), (readers.literals, readers.width)])


def sentences_of(text: str) -> tuple[Sentence, ...]:
    """``text``'s sentences (``sentences.sentences``) as the readers test them, computed
    once per distinct text (bounded, as the sentences are)."""
    return _sentences_of(text, len(Hints.registered), len(Rule.registered))


@lru_cache(maxsize=CACHED_TEXTS)
def _sentences_of(text: str, hints: int, rules: int) -> tuple[Sentence, ...]:
    index = _index(hints, rules)
    words = _lexicon(clause_scoring.index(()), index)
    offset = words.offsets[1]
    return tuple(index.read(s, words, offset) for s in sentences(text))


_DIGIT = re.compile(r"\d")
_NUMBERING = re.compile(r"^\(?(?:\d+(?:\.\d+)*[.)]?|[A-Za-z][.)]|[ivxlc]+[.)])\s+")
_MINOR = frozenset(
    ["a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"]
)
TITLE_WORDS = 12  # words of a run-in title at most, its numbering and a trailing "." included


def _digits(text: str) -> bool:
    """``\\d`` is in ``text``: in ASCII text only 0-9 are, and ten substring scans are about
    half the regex's walk."""
    if not text.isascii():
        return _DIGIT.search(text) is not None
    return (
        "0" in text or "1" in text or "2" in text or "3" in text or "4" in text
        or "5" in text or "6" in text or "7" in text or "8" in text or "9" in text
    )  # fmt: skip


def _title(sentence: str) -> bool:
    """A run-in title ("(c) Use of Content to Improve Services."): short, every word capitalized."""
    if len(sentence.split(None, TITLE_WORDS)) > TITLE_WORDS:
        return False
    numbering = _NUMBERING.match(sentence)  # the pattern is anchored: sub() replaced this
    words = (sentence[numbering.end() :] if numbering else sentence).rstrip(".:").split()
    if not 0 < len(words) <= 10 or sentence.isupper():
        return False
    major = 0
    for w in words:  # every word not minor is capitalized, two at least
        if w.lower() not in _MINOR:
            if not w[:1].isupper():
                return False
            major += 1
    return major >= 2
