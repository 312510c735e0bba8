"""The clause finder's phrase scoring, compiled once at first use and memoized per document.
Pure.

``clause_rules.py`` (built-in keys) and the user's ``[clauses.KEY]`` give regexes; all their
phrases and the negative topics go into one ``clause_index.PhraseIndex``, so each distinct
text of a document is read once for every key (``Texts.scores``): only the phrases whose
required literals it holds are run. Heading patterns (``pull``, ``context``) are
``Pattern``s with a literal prefilter (``clause_patterns.py``). Nothing is compiled at
import: a check that parses no page never builds them. The answers are those of the
regexes themselves, only found with less work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from . import clause_rules as cr
from . import clause_vocab as cv
from .clause_index import Group, PhraseIndex, PhraseSpec
from .clause_patterns import Literals, Pattern, folding, prefilter
from .model import ClauseDefinition

NEGATIVE = "\x00negative"  # the negative topics' family in the index (no clause key)


@dataclass(frozen=True)
class Rules:
    """Default rules of one clause key: its phrases (scored through the index) and its
    compiled heading patterns."""

    phrases: tuple[PhraseSpec, ...]
    pull: tuple[Pattern, ...]
    context: tuple[Pattern, ...]
    negatives: bool  # built-in keys avoid the NEGATIVE_* topics; user keys do not


def compile_builtin(rules: cr.ClauseRules) -> Rules:
    return Rules(
        tuple((p, re.IGNORECASE, w) for p, w in rules.phrases),
        tuple(Pattern.compile(p, re.IGNORECASE) for p in rules.pull),
        tuple(Pattern.compile(p, re.IGNORECASE) for p in rules.context),
        negatives=True,
    )


@lru_cache(maxsize=256)
def compile_custom(definition: ClauseDefinition) -> Rules:
    """A user's clause: any of its patterns decides, its headings pull their section."""
    return Rules(
        tuple((p, 0, cr.THRESHOLD) for p in definition.patterns),
        tuple(Pattern.compile(p) for p in definition.headings),
        (),
        negatives=False,
    )


@cache
def builtin() -> dict[str, Rules]:
    """The built-in keys' rules, compiled at the first document that needs them."""
    return {k: compile_builtin(v) for k, v in cr.DEFAULT_RULES.items()}


@lru_cache(maxsize=64)
def index(custom: tuple[ClauseDefinition, ...] = ()) -> PhraseIndex:
    """One index of the phrases of every key (built-in, then the user's, which replace a
    built-in key of the same name) and of the negative topics."""
    rules = {**builtin(), **{d.key: compile_custom(d) for d in custom}}
    families = {key: r.phrases for key, r in rules.items()}
    families[NEGATIVE] = tuple((p, re.IGNORECASE, w) for p, w in cv.NEGATIVE_PHRASES)
    built = PhraseIndex(families)
    if not custom:  # the built-in index: read for every page, its twins pay at once
        built.compile_twins()
    return built


def warm() -> None:
    """Compile the built-in rules and their index now (``warmup``), as a first page would."""
    for phrase in index(()).phrases:  # as find_clauses asks: the key, not the default
        _ = phrase.free
    _negative_headings()


@cache
def _negative_headings() -> tuple[tuple[Pattern, ...], Literals | None]:
    patterns = tuple(Pattern.compile(p, re.IGNORECASE) for p in cv.NEGATIVE_HEADINGS)
    return patterns, prefilter(patterns)


def _words(phrases: PhraseIndex) -> Callable[[str], int]:
    """The bits of the folded literals of ``phrases`` in a lower-cased text: for the
    built-in rules' index, through the lexicon it shares with the position readers (a
    sentence's words looked up once for both stages, ``position_sentences.lexicon``)."""
    if phrases is index(()):
        from .position_sentences import lexicon  # imported here: it imports this module

        return lexicon().mask
    return phrases.words.mask


class Texts:
    """What one document's texts give every key: each text folded once and its candidate
    phrases picked once for all keys (``PhraseIndex.groups``); a key's regexes run only when
    that key asks about that text."""

    def __init__(self, phrases: PhraseIndex) -> None:
        self.phrases = phrases
        self._words = _words(phrases)
        self._low: dict[str, str | None] = {}
        self._bits: dict[str, int | None] = {}  # the literals of texts joined from others
        self._groups: dict[str, dict[str, Group]] = {}
        self._parts: dict[str, tuple[str, ...]] = {}  # a joined text → its parts (or none)
        self._negative_heading: dict[str, bool] = {}

    def low(self, text: str) -> str | None:
        try:
            return self._low[text]
        except KeyError:
            low = self._low[text] = folding(text)
            return low

    def bits(self, text: str) -> int | None:
        """``PhraseIndex.bits`` of ``text``."""
        try:
            return self._bits[text]
        except KeyError:
            low = self.low(text)
            bits = self._bits[text] = None if low is None else self._mask(text, low)
            return bits

    def _mask(self, text: str, low: str) -> int:
        return self._words(low) | self.phrases.exact_bits(text)

    def groups(self, text: str) -> dict[str, Group]:
        """Every key's candidate regexes in ``text``."""
        found = self._groups.get(text)
        if found is None:
            low = self.low(text)
            bits = self._bits.get(text)
            if bits is None and low is not None:
                bits = self._bits[text] = self._mask(text, low)
            found = self._groups[text] = self.phrases.groups(text, low, bits)
        return found

    def group(self, text: str, key: str) -> Group | None:
        """``key``'s candidate regexes in ``text`` (None: none)."""
        return self.groups(text).get(key)

    def joined(self, text: str, parts: Sequence[str]) -> None:
        """``text`` is ``parts`` joined by spaces (checked): its words are theirs, so its
        literals are found from theirs, and a context-free phrase found in a part is in it."""
        if text in self._parts:
            return
        self._parts[text] = tuple(parts) if " ".join(parts) == text else ()
        if text in self._bits or not self._parts[text]:
            return
        bits = 0
        for part in parts:
            found = self.bits(part)
            if found is None:
                return  # so is the text's
            bits |= found
        self._bits[text] = bits

    def score(self, text: str, key: str) -> int:
        """``key``'s phrase score in ``text`` where one of its phrases of positive weight
        matches, else 0: a sum without one is at most 0, which the finder reads as no phrase
        (the phrases of negative weight are run only after a positive one matched)."""
        group = self.group(text, key)
        return 0 if group is None else group.score(text, self._known(text, key))

    def exact(self, text: str, key: str) -> int:
        """The sum of the weights of ``key``'s phrases found in ``text`` (also below 0)."""
        group = self.group(text, key)
        return 0 if group is None else group.exact(text, self._known(text, key))

    def _known(self, text: str, key: str) -> set[int]:
        """The context-free phrases of ``key`` found in the parts ``text`` is joined from."""
        known: set[int] = set()
        for part in self._parts.get(text, ()):
            group = self._groups.get(part, {}).get(key)
            if group is not None:
                known |= group.hits
        return known

    def bounds(self, text: str, key: str) -> tuple[int, int]:
        """The lowest and the highest sum ``key``'s phrases may give in ``text``: the
        weights of its candidates below 0, and above 0."""
        group = self.group(text, key)
        return (0, 0) if group is None else (group.lowest, group.highest)

    def negative(self, text: str) -> int:
        """Sum of the weights of the negative topics in ``text``."""
        return self.exact(text, NEGATIVE)

    def any_negative(self, text: str) -> bool:
        """Whether one of the negative topics' phrases is found in ``text``."""
        group = self.group(text, NEGATIVE)
        return group is not None and group.found(text)

    def negative_heading(self, heading: str) -> bool:
        """Whether a heading is about a topic that no built-in clause is (fees, law, ...)."""
        if heading not in self._negative_heading:
            low = self.low(heading)
            patterns, family = _negative_headings()
            self._negative_heading[heading] = (
                family is None or family.present(heading, low)
            ) and any(p.search(heading, low) for p in patterns)
        return self._negative_heading[heading]


class Scorer:
    """One clause key's rules over one document."""

    def __init__(self, key: str, rules: Rules, texts: Texts) -> None:
        self.key = key
        self.rules = rules
        self.texts = texts
        self._pulls: dict[str, bool] = {}
        self._about: dict[str, bool] = {}

    def phrase(self, text: str) -> int:
        """Sum of the weights of the clause's phrase patterns found in ``text``; 0 where none
        of positive weight is (``Texts.score``)."""
        return self.texts.score(text, self.key)

    def exact(self, text: str) -> int:
        """Sum of the weights of the clause's phrase patterns found in ``text``."""
        return self.texts.exact(text, self.key)

    def pulls(self, heading: str) -> bool:
        """Whether a heading matches one of the clause's ``pull`` patterns."""
        if heading not in self._pulls:
            low = self.texts.low(heading)
            self._pulls[heading] = any(p.search(heading, low) for p in self.rules.pull)
        return self._pulls[heading]

    def about(self, heading: str) -> bool:
        """Whether a heading matches a ``pull`` or ``context`` pattern of the clause."""
        if heading not in self._about:
            low = self.texts.low(heading)
            self._about[heading] = self.pulls(heading) or any(
                p.search(heading, low) for p in self.rules.context
            )
        return self._about[heading]
