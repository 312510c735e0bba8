"""Regexes that tell whether a text holds a match of a pattern, faster than the pattern's
own search where only that answer is kept (a reader's ``Presence`` rule). Pure: no I/O.

A case-insensitive pattern such as ``\\btrain\\w*|\\bfine[- ]tun`` has no literal prefix
that ``re`` can scan for: its search runs the whole pattern at every position of the text.
``tests(pattern)`` groups its top-level alternatives whose matches all start with one of a
known set of ASCII characters (read from ``re``'s own parse: literals, small classes,
branches, groups, repeats of one or more, zero-width assertions skipped) into one regex
that starts with that set, case-sensitively and with ``re.IGNORECASE``'s ASCII folds
(``FOLDS``) added: ``re`` then scans for those characters before running anything, and
each position found is tested by the alternatives in a look-ahead
(``(?-i:[Tt...])(?<=(?=(?:ALTERNATIVES))[\\s\\S])``). Where every such alternative starts at
a word boundary, a position after a word character is refused first. The alternatives
whose first character is not known (``^...``, ``\\w+``) form a second regex, run as they
are. Any of the regexes matches a text exactly when the pattern does; the spans and groups
of the matches are not the pattern's.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

# The characters outside ASCII that re.IGNORECASE matches with an ASCII letter (every one:
# tests/test_positions.py checks all code points).
FOLDS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}
_CLASS_RANGE = 128  # a larger range in a class: no set
_Items = list[tuple[object, object]]  # a parsed sequence (re._parser.SubPattern's items)


def tests(pattern: str, flags: int = re.IGNORECASE) -> tuple[re.Pattern[str], ...]:
    """Regexes one of which matches a text exactly when ``pattern`` (with ``flags``) does."""
    if re.search(r"\\[1-9]|\(\?P=|\(\?[aiLmsux]", pattern):  # back-references, inline flags
        return (re.compile(pattern, flags),)
    known: list[str] = []
    rest: list[str] = []
    chars: set[str] = set()
    edge = True
    for alternative in alternatives(pattern):
        items = list(_parser.parse(alternative, flags))
        firsts = _folded(_firsts(items))
        if firsts is None:
            rest.append(alternative)
            continue
        known.append(alternative)
        chars |= firsts
        edge = edge and _at_boundary(items)
    out = []
    if known:
        klass = "".join(re.escape(c) for c in sorted(chars))
        words = all(c.isascii() and (c.isalnum() or c == "_") for c in chars)
        gate = r"(?<!\w[\s\S])" if edge and words else ""
        body = "|".join(known)
        out.append(re.compile(rf"(?-i:[{klass}]){gate}(?<=(?=(?:{body}))[\s\S])", flags))
    if rest:
        out.append(re.compile("|".join(rest), flags))
    return tuple(out)


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (split at each ``|`` outside groups and
    classes)."""
    parts = []
    depth = start = i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1 + (pattern[i + 1 : i + 2] == "^")
            i += pattern[i : i + 1] == "]"  # a "]" first in a class is a literal
            continue
        elif c in "()":
            depth += 1 if c == "(" else -1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _firsts(items: _Items) -> set[int] | None:
    """The code points one of which every match of ``items`` starts with (None: unknown)."""
    for op, av in items:
        if op is sre.AT or op is sre.ASSERT or op is sre.ASSERT_NOT:
            continue  # zero width
        if op is sre.LITERAL:
            return {av} if isinstance(av, int) else None
        if op is sre.IN and isinstance(av, list):
            return _class(av)
        if op is sre.BRANCH and isinstance(av, tuple):
            out: set[int] = set()
            for branch in av[1]:
                found = _firsts(list(branch))
                if found is None:
                    return None
                out |= found
            return out
        if op is sre.SUBPATTERN and isinstance(av, tuple):
            return None if av[1] or av[2] else _firsts(list(av[3]))
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and isinstance(av, tuple) and av[0] >= 1:
            return _firsts(list(av[2]))
        return None
    return None  # it may match the empty string


def _class(members: list[tuple[object, object]]) -> set[int] | None:
    out: set[int] = set()
    for op, av in members:
        if op is sre.LITERAL and isinstance(av, int):
            out.add(av)
        elif op is sre.RANGE and isinstance(av, tuple) and av[1] - av[0] < _CLASS_RANGE:
            out.update(range(av[0], av[1] + 1))
        else:
            return None  # a category (\w, \s), a negated class, a large range
    return out


def _folded(points: set[int] | None) -> set[str] | None:
    """The characters re.IGNORECASE matches with ``points`` (None: one is not ASCII)."""
    if points is None or any(p >= 128 for p in points):
        return None
    out: set[str] = set()
    for p in points:
        c = chr(p)
        out |= {c, c.lower(), c.upper()}
        out.update(FOLDS.get(c.lower(), ""))
    return out


def _at_boundary(items: _Items) -> bool:
    """Every match of ``items`` starts at ``\\b``."""
    if not items:
        return False
    op, av = items[0]
    if op is sre.AT:
        return av is sre.AT_BOUNDARY
    if op is sre.SUBPATTERN and isinstance(av, tuple) and not av[1] and not av[2]:
        return _at_boundary(list(av[3]))
    if op is sre.BRANCH and isinstance(av, tuple):
        return all(_at_boundary(list(b)) for b in av[1])
    return False
