"""The clause finder's phrase scoring, compiled once and memoized per document. Pure.

``clause_rules.py`` (built-in keys) and the user's ``[clauses.KEY]`` give regexes; here
they become ``Pattern``s with a literal prefilter (``clause_patterns.py``), each clause
family gets one combined prefilter over all its phrases (a sentence with none of their
literals scores 0 after one scan), and a ``Scorer`` scores each distinct text of one
document once per key, while ``Texts`` folds each text and scores its negative topics once
for all keys. The answers are those of the regexes themselves, only found with less work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import clause_rules as cr
from . import clause_vocab as cv
from .clause_patterns import Literals, Pattern, folding, prefilter
from .model import ClauseDefinition


@dataclass(frozen=True)
class Rules:
    """Compiled default rules of one clause key."""

    phrases: tuple[tuple[Pattern, int], ...]
    pull: tuple[Pattern, ...]
    context: tuple[Pattern, ...]
    negatives: bool  # built-in keys avoid the NEGATIVE_* topics; user keys do not
    family: Literals | None  # present wherever some phrase may match (None: always try)
    # each phrase's literals as ``family.found`` names them (None: no family test)
    keys: tuple[frozenset[str], ...] | None = None


def _rules(
    phrases: tuple[tuple[Pattern, int], ...],
    pull: tuple[Pattern, ...],
    context: tuple[Pattern, ...],
    negatives: bool,
) -> Rules:
    family = prefilter([p for p, _ in phrases])
    keys = [p.literals.keys if p.literals is not None else None for p, _ in phrases]
    if family is None or family.keys is None or any(k is None for k in keys):
        return Rules(phrases, pull, context, negatives, family)
    return Rules(phrases, pull, context, negatives, family, tuple(k for k in keys if k))


def compile_builtin(rules: cr.ClauseRules) -> Rules:
    return _rules(
        tuple((Pattern.compile(p, re.IGNORECASE), w) for p, w in rules.phrases),
        tuple(Pattern.compile(p, re.IGNORECASE) for p in rules.pull),
        tuple(Pattern.compile(p, re.IGNORECASE) for p in rules.context),
        negatives=True,
    )


def compile_custom(definition: ClauseDefinition) -> Rules:
    """A user's clause: any of its patterns decides, its headings pull their section."""
    return _rules(
        tuple((Pattern.compile(p), cr.THRESHOLD) for p in definition.patterns),
        tuple(Pattern.compile(p) for p in definition.headings),
        (),
        negatives=False,
    )


BUILTIN: dict[str, Rules] = {k: compile_builtin(v) for k, v in cr.DEFAULT_RULES.items()}
NEGATIVE_PHRASES = tuple((Pattern.compile(p, re.IGNORECASE), w) for p, w in cv.NEGATIVE_PHRASES)
NEGATIVE_HEADINGS = tuple(Pattern.compile(p, re.IGNORECASE) for p in cv.NEGATIVE_HEADINGS)
_NEGATIVE_FAMILY = prefilter([p for p, _ in NEGATIVE_PHRASES])
_NEGATIVE_HEADING_FAMILY = prefilter(NEGATIVE_HEADINGS)


class Texts:
    """What one document's texts give every key: folded once, negative topics found once."""

    def __init__(self) -> None:
        self._low: dict[str, str | None] = {}
        self._negative: dict[str, tuple[int, bool]] = {}
        self._negative_heading: dict[str, bool] = {}

    def low(self, text: str) -> str | None:
        if text not in self._low:
            self._low[text] = folding(text)
        return self._low[text]

    def _negatives(self, text: str) -> tuple[int, bool]:
        """Sum of the weights of the negative topics in ``text``, and whether any is."""
        if text not in self._negative:
            low = self.low(text)
            if _NEGATIVE_FAMILY is not None and not _NEGATIVE_FAMILY.present(text, low):
                self._negative[text] = (0, False)
            else:
                weights = [w for p, w in NEGATIVE_PHRASES if p.search(text, low)]
                self._negative[text] = (sum(weights), bool(weights))
        return self._negative[text]

    def negative(self, text: str) -> int:
        return self._negatives(text)[0]

    def any_negative(self, text: str) -> bool:
        return self._negatives(text)[1]

    def negative_heading(self, heading: str) -> bool:
        """Whether a heading is about a topic that no built-in clause is (fees, law, ...)."""
        if heading not in self._negative_heading:
            low = self.low(heading)
            family = _NEGATIVE_HEADING_FAMILY
            self._negative_heading[heading] = (
                family is None or family.present(heading, low)
            ) and any(p.search(heading, low) for p in NEGATIVE_HEADINGS)
        return self._negative_heading[heading]


class Scorer:
    """One clause key's rules over one document: each text's phrase score computed once."""

    def __init__(self, rules: Rules, texts: Texts) -> None:
        self.rules = rules
        self.texts = texts
        self._phrase: dict[str, int] = {}
        self._pulls: dict[str, bool] = {}
        self._about: dict[str, bool] = {}

    def phrase(self, text: str) -> int:
        """Sum of the weights of the clause's phrase patterns found in ``text``."""
        score = self._phrase.get(text)
        if score is None:
            score = self._score(text, self.texts.low(text))
            self._phrase[text] = score
        return score

    def _score(self, text: str, low: str | None) -> int:
        rules = self.rules
        family = rules.family
        found = family.found(text, low) if family is not None and rules.keys else None
        if found is not None and rules.keys is not None:  # one scan: which literals are here
            if not found:
                return 0
            return sum(
                w
                for (p, w), keys in zip(rules.phrases, rules.keys, strict=True)
                if not keys.isdisjoint(found) and p.regex.search(text)
            )
        if family is not None and not family.present(text, low):
            return 0
        return sum(w for p, w in rules.phrases if p.search(text, low))

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
