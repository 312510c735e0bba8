"""Regexes with a literal prefilter, for the clause finder and the position readers. Pure.

Most text a clause pattern is tried on does not match it, and Python's ``re`` tries a
pattern that starts with ``\\b`` or an alternation at every position of the text. A
``Pattern`` first checks what any match must contain: the literal text that every match
of the regex holds (``train`` in ``\\btrain(?:s|ed|ing)?\\b[^.;]{0,80}\\bmodels?``, one of
``retain``/``retention`` in ``\\bretain\\w*|\\bretention``), found by reading the parsed
regex. Only text holding it is searched with the regex itself, so the answer is always
the regex's own; a pattern whose literals cannot be told (inline scoped flags, an
alternative without literals) is simply always searched.

The literal check is exact: on ASCII text (most of it) a lower-case substring test, else a
regex of the literals alone compiled with the pattern's own flags (the same case folding).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# The standard library's regex parser (``re._parser`` since Python 3.11; private, so read
# untyped and optional: without it there is no prefilter and the answers stay the same).
_sre: Any
_sre_parse: Any
try:
    _sre = importlib.import_module("re._constants")
    _sre_parse = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - another Python
    _sre = _sre_parse = None
_iscased: Any = importlib.import_module("_sre").unicode_iscased  # the engine's own test

MIN_LITERAL = 2  # literal sets whose shortest member is shorter than this do not filter


@lru_cache(maxsize=1024)
def _parse(pattern: str, flags: int) -> tuple[tuple[Any, Any], ...] | None:
    """The parsed items of a regex (None: no parser, or an invalid pattern), parsed once
    for every reading of it below (the parser is Python and slow). Read, never changed."""
    if _sre_parse is None:
        return None
    try:
        return tuple(_sre_parse.parse(pattern, flags))
    except Exception:  # noqa: BLE001 - an invalid pattern: re.compile reports it
        return None


def required_literals(pattern: str, flags: int = 0) -> tuple[str, ...] | None:
    """Strings one of which occurs in every match of ``pattern`` (None: none known)."""
    parsed = _parse(pattern, flags)
    if parsed is None:
        return None
    found = _sequence(list(parsed))
    if found is None or min(map(len, found)) < MIN_LITERAL:
        return None
    return found


Needs = tuple[tuple[str, ...], ...]  # literal sets: one string of *each* is in a match
# Marks a literal that starts a word in every match (after ``\\b``, on a word character):
# "\\bown" is in "owner" and "(own", not in "known". Only ``requirements`` gives marks.
WORD_START = "\b"


def requirements(pattern: str, flags: int = 0) -> tuple[Needs, ...] | None:
    """What the matches of ``pattern`` require, as alternatives: every match holds one
    string of each literal set of one of the alternatives, most selective set first
    (None: nothing known); a string marked ``WORD_START`` starts a word there.
    ``\\bright (?:to|of) (?:access|object)|\\bexercise rights`` gives ``(("\\bright to",
    "\\bright of"), ...)`` and ``(("\\bexercise rights",),)``, far stronger than
    ``required_literals``' one set ``("right", "exercise ")``."""
    items = _parse(pattern, flags)
    if items is None:
        return None
    parsed = list(items)
    branches = [i for i, (op, _av) in enumerate(parsed) if op is _sre.BRANCH]
    if len(branches) == 1:  # "\\bfoo...|\\bbar...": the parser put the common "\\b" first
        at = branches[0]
        ways = [[*parsed[:at], *b, *parsed[at + 1 :]] for b in parsed[at][1][1]]
    else:
        ways = [parsed]
    # Word starts are told by re's own (Unicode) \\w; not under re.ASCII, nor where a
    # literal itself holds the mark's character.
    bounds = not flags & re.ASCII and not _marked(pattern, flags)
    out = []
    for way in ways:
        sets = [c for c in _candidates(way, bounds=bounds) if min(map(_strength, c)) >= MIN_LITERAL]
        if not sets:
            return None  # an alternative without literals: any text may match
        out.append(tuple(sorted(dict.fromkeys(sets), key=_selectivity, reverse=True)))
    return tuple(out)


def _marked(pattern: str, flags: int) -> bool:
    literals = _candidates(list(_parse(pattern, flags) or ()))
    return any(WORD_START in s for c in literals for s in c)


def _strength(s: str) -> int:
    return len(s) - s.startswith(WORD_START)


def _selectivity(strings: tuple[str, ...]) -> tuple[int, int]:
    return min(map(len, strings)), -len(strings)


def _sequence(
    items: Sequence[tuple[Any, Any]], left: bool = False, bounds: bool = False
) -> tuple[str, ...] | None:
    """The most selective literal set that a sequence of parsed items requires."""
    candidates = _candidates(items, left, bounds)
    return max(candidates, key=_selectivity) if candidates else None


_WORD = re.compile(r"\w")


def word_start(text: str, bounded: bool) -> str:
    """``text`` marked ``WORD_START`` when ``bounded`` and it starts with a word character."""
    return WORD_START + text if bounded and _WORD.match(text) else text


def _candidates(
    items: Sequence[tuple[Any, Any]], left: bool = False, bounds: bool = False
) -> list[tuple[str, ...]]:
    """The literal sets that a sequence of parsed items requires (each one of them);
    ``left``: the sequence starts a word (``bounds``: mark the literals that do)."""
    candidates: list[tuple[str, ...]] = []
    run: list[str] = []
    starts = at_word = left
    for op, av in items:
        if op is _sre.LITERAL:
            starts = starts if run else at_word
            run.append(chr(av))
            at_word = False
            continue
        if run and op is _sre.BRANCH:  # "ret(?:ain|ention)": the parser factored a prefix out
            lead = "".join(run)
            candidates.append(tuple(word_start(lead + _leading(list(b)), starts) for b in av[1]))
        if run:
            candidates.append((word_start("".join(run), starts),))
            run = []
        candidates += _item(op, av, at_word, bounds)
        at_word = bounds and op is _sre.AT and av is _sre.AT_BOUNDARY
    if run:
        candidates.append((word_start("".join(run), starts),))
    return candidates


def _leading(items: Sequence[tuple[Any, Any]]) -> str:
    """The literal text a sequence of parsed items starts with."""
    out = []
    for op, av in items:
        if op is not _sre.LITERAL:
            break
        out.append(chr(av))
    return "".join(out)


def _item(op: Any, av: Any, left: bool, bounds: bool) -> list[tuple[str, ...]]:
    """The literal sets one required parsed item (a group, a repeat, alternatives) needs."""
    if op is _sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        return [] if add_flags or del_flags else _candidates(list(sub), left, bounds)
    if op is _sre.ATOMIC_GROUP:
        return _candidates(list(av), left, bounds)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        low, _high, sub = av
        return _candidates(list(sub), left, bounds) if low >= 1 else []
    if op is _sre.BRANCH:
        alternatives = [_sequence(list(b), left, bounds) for b in av[1]]
        if any(a is None for a in alternatives):
            return []
        return [tuple(dict.fromkeys(s for a in alternatives if a is not None for s in a))]
    return []


@dataclass(frozen=True)
class Literals:
    """Strings one of which any match contains. Tested as substrings (``in``, faster than a
    regex alternation): of the text itself for a case-sensitive pattern, of
    ``folding(text)`` for a case-insensitive one with ASCII literals; else by ``raw``, a
    regex of the literals with the pattern's own case flags."""

    raw: re.Pattern[str]
    exact: tuple[str, ...] | None  # case-sensitive literals, tested in the text
    folded: tuple[str, ...] | None  # lower-cased literals, tested in folding(text)

    @classmethod
    def of(cls, literals: Sequence[str], flags: int) -> Literals:
        case_flags = flags & (re.IGNORECASE | re.ASCII)
        raw = re.compile("|".join(re.escape(s) for s in literals), case_flags)
        if not case_flags & re.IGNORECASE:
            return cls(raw, tuple(literals), None)
        if all(s.isascii() for s in literals):
            return cls(raw, None, tuple(dict.fromkeys(s.lower() for s in literals)))
        return cls(raw, None, None)

    def present(self, text: str, low: str | None) -> bool:
        if self.exact is not None:
            return _holds(text, self.exact)
        if self.folded is not None and low is not None:
            return _holds(low, self.folded)
        return self.raw.search(text) is not None


def _holds(text: str, strings: tuple[str, ...]) -> bool:
    # a plain loop: about twice as fast as any() over a generator, on the hot path
    for s in strings:  # noqa: SIM110
        if s in text:
            return True
    return False


@dataclass(frozen=True)
class Pattern:
    """A compiled regex and the literals any of its matches contains (None: not known)."""

    regex: re.Pattern[str]
    strings: tuple[str, ...] | None
    literals: Literals | None

    @classmethod
    def compile(cls, pattern: str, flags: int = 0) -> Pattern:
        regex = re.compile(pattern, flags)
        strings = required_literals(pattern, flags)
        if strings is None:
            return cls(regex, None, None)
        return cls(regex, strings, Literals.of(strings, regex.flags))

    def search(self, text: str, low: str | None = None) -> bool:
        """Whether the regex matches somewhere in ``text``; ``low`` = ``folding(text)``."""
        if self.literals is not None and not self.literals.present(text, low):
            return False
        return self.regex.search(text) is not None


def prefilter(patterns: Sequence[Pattern]) -> Literals | None:
    """One literal test that fails only where every one of ``patterns`` fails (one scan for
    a family of patterns); None when some pattern has no literals or flags differ."""
    if not patterns or any(p.strings is None for p in patterns):
        return None
    flags = {p.regex.flags & (re.IGNORECASE | re.ASCII) for p in patterns}
    if len(flags) != 1:
        return None
    strings = dict.fromkeys(s for p in patterns for s in p.strings or ())
    return Literals.of(tuple(strings), flags.pop())


# The only characters that ``re.IGNORECASE`` matches with an ASCII character, or that
# ``str.lower`` turns into one, while the two disagree (tests/test_clause_patterns.py
# checks every code point): dotted and dotless I, long s, the Kelvin sign.
FOLD_UNSAFE = "\u0130\u0131\u017f\u212a"


def folding(text: str) -> str | None:
    """The lower-cased text a case-insensitive test of ASCII literals may use (exact: a text
    without ``FOLD_UNSAFE`` characters folds as ``re.IGNORECASE`` does); None otherwise."""
    if not text.isascii():
        for c in FOLD_UNSAFE:  # a plain loop: on the hot path
            if c in text:
                return None
    return text.lower()


# What re's ASCII mode reads unlike its Unicode mode in ASCII text: ``\\s`` (the Unicode
# one also matches these separators).
_UNICODE_SPACES = "\x1c\x1d\x1e\x1f"


def plain(text: str) -> bool:
    """Whether ``text`` is read alike by a regex and its ``ascii_twin``: no ``\\x1c``-``\\x1f``
    and no non-ASCII character but those neither mode reads as a word character, a space
    or a cased letter (’, “, —, …: ``_Inert``)."""
    for c in _UNICODE_SPACES:
        if c in text:
            return False
    return text.isascii() or all(map(_INERT.__getitem__, _NON_ASCII.findall(text)))


class _Inert(dict[str, bool]):
    """A non-ASCII character → whether both modes read it alike: not alphanumeric (``\\w``,
    ``\\b``, ``\\d``), not a space (``\\s``), no case (``re.IGNORECASE``: itself only)."""

    def __missing__(self, c: str) -> bool:
        inert = self[c] = not (c.isalnum() or c.isspace() or _iscased(ord(c)))
        return inert


_INERT = _Inert()
_NON_ASCII = re.compile("[^\x00-\x7f]")


def ascii_twin(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    """``regex`` compiled with ``re.ASCII``: the same answers on ``plain`` text, found
    faster (an ASCII ``\\b``, ``\\w`` and case folding test less). None where they could
    differ: a pattern holding one of ``FOLD_UNSAFE`` (which ``re.IGNORECASE`` matches with
    an ASCII letter in Unicode mode only), or already ASCII, or without a parser."""
    parsed = _parse(regex.pattern, regex.flags)
    if parsed is None or not regex.flags & re.UNICODE:
        return None
    unsafe = [ord(c) for c in FOLD_UNSAFE]
    for low, high in _code_points(list(parsed)):
        if any(low <= c <= high for c in unsafe):
            return None
    try:
        return re.compile(regex.pattern, (regex.flags & ~re.UNICODE) | re.ASCII)
    except (re.error, ValueError):  # an inline (?u): no ASCII twin
        return None


def context_free(regex: re.Pattern[str]) -> bool:
    """Whether a match of ``regex`` reads nothing outside itself but the characters around
    its ``\\b``/``\\B`` (no lookaround, no anchor): a match in a sentence is then one in
    any text holding the sentence between non-word characters."""
    parsed = _parse(regex.pattern, regex.flags)
    return parsed is not None and _free(list(parsed))


def _free(items: Sequence[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if op is _sre.AT:
            if av not in (_sre.AT_BOUNDARY, _sre.AT_NON_BOUNDARY):
                return False
        elif op is _sre.SUBPATTERN:
            if not _free(list(av[3])):
                return False
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            if not _free(list(av[2])):
                return False
        elif op is _sre.BRANCH:
            if not all(_free(list(b)) for b in av[1]):
                return False
        elif op is _sre.ATOMIC_GROUP:
            if not _free(list(av)):
                return False
        elif op not in (_sre.LITERAL, _sre.NOT_LITERAL, _sre.IN, _sre.ANY, _sre.GROUPREF):
            return False  # lookarounds, conditionals, anything else
    return True


def _code_points(items: Sequence[tuple[Any, Any]]) -> Iterator[tuple[int, int]]:
    """The ranges of code points that parsed regex items name (any: all of them)."""
    for op, av in items:
        if op in (_sre.LITERAL, _sre.NOT_LITERAL):
            yield av, av
        elif op is _sre.IN:
            for kind, value in av:
                if kind in (_sre.LITERAL, _sre.NOT_LITERAL):
                    yield value, value
                elif kind is _sre.RANGE:
                    yield value
                elif kind not in (_sre.NEGATE, _sre.CATEGORY):
                    yield 0, sys.maxunicode
        elif op is _sre.SUBPATTERN:
            yield from _code_points(list(av[3]))
        elif op is _sre.ATOMIC_GROUP:
            yield from _code_points(list(av))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            yield from _code_points(list(av[2]))
        elif op is _sre.BRANCH:
            for branch in av[1]:
                yield from _code_points(list(branch))
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            yield from _code_points(list(av[1]))
        elif op not in (_sre.AT, _sre.ANY, _sre.GROUPREF, _sre.CATEGORY):
            yield 0, sys.maxunicode  # anything else: assume the worst


class Regex:
    """A regex answering like ``re.Pattern`` (``search``, ``match``, ``finditer``, ``sub``)
    that first tests the literals every match holds: text without them cannot match, and
    is answered without running the regex. For the position readers' many patterns."""

    __slots__ = ("_literals", "flags", "pattern", "regex")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        compiled = Pattern.compile(pattern, flags)
        self.regex = compiled.regex
        self._literals = compiled.literals
        self.pattern = pattern
        self.flags = compiled.regex.flags

    def _absent(self, text: str) -> bool:
        return self._literals is not None and not self._literals.present(text, _folded(text))

    def search(self, text: str) -> re.Match[str] | None:
        return None if self._absent(text) else self.regex.search(text)

    def match(self, text: str) -> re.Match[str] | None:
        return None if self._absent(text) else self.regex.match(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return iter(()) if self._absent(text) else self.regex.finditer(text)

    def sub(self, repl: str, text: str) -> str:
        return text if self._absent(text) else self.regex.sub(repl, text)


@lru_cache(maxsize=8192)
def _folded(text: str) -> str | None:
    """``folding(text)``, remembered: the readers ask about the same sentences many times."""
    return folding(text)
