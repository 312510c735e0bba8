"""position_presence: regexes that match the same texts as a reader's pattern."""

from __future__ import annotations

import re
import string

from monitor import position_presence as presence
from monitor import positions  # noqa: F401  (registers every reader's rules)
from monitor.position_sentences import Presence, Rule

SAMPLES = [
    "We do not use your content to train our models.",
    "You may opt out of training at any time.",
    "İmprove the ſervices; KEEP the logs, retain data for 30 days.",
    "Customers must not use the Services to develop competing models.",
    "You can build your own models with the API.",
    "New subprocessors are listed on our sub-processor page.",
    "fine-tuning data",
    "model improvement",
    "",
    "(a) Use of Content to Improve Services.",
]


def test_folds_are_every_non_ascii_character_an_ascii_letter_matches() -> None:
    """re.IGNORECASE matches an ASCII letter with exactly these characters outside ASCII."""
    letters = re.compile("(?i)[a-z]")
    folded = [chr(c) for c in range(128, 0x110000) if letters.fullmatch(chr(c))]
    for c in folded:
        matched = {x for x in string.ascii_lowercase if re.fullmatch(f"(?i){x}", c)}
        assert matched == {x for x, cs in presence.FOLDS.items() if c in cs}, hex(ord(c))
    assert sorted(folded) == sorted("".join(presence.FOLDS.values()))


def test_alternatives_split_outside_groups_and_classes() -> None:
    assert presence.alternatives(r"a|(b|c)|[|]|\|d|[]|]|[^]|]x") == [
        "a",
        "(b|c)",
        "[|]",
        r"\|d",
        "[]|]",
        "[^]|]x",
    ]


def test_tests_match_where_the_pattern_does() -> None:
    presences = [r for r in Rule.registered if isinstance(r, Presence)]
    assert presences
    patterns = [r.pattern for r in presences] + [
        r"\btrain\w*|^\w+ data",
        r"(?:K|s)elvin|\bİ",  # a non-ASCII first character: run as written
        r"\d+ days|\bdays?\b",
    ]
    texts = SAMPLES + [p.upper() for p in SAMPLES] + ["Kelvin", "ſelvin", "İ x", "in 30 days"]
    for pattern in patterns:
        original = re.compile(pattern, re.IGNORECASE)
        faster = presence.tests(pattern)
        for text in texts:
            want = original.search(text) is not None
            assert any(t.search(text) for t in faster) == want, (pattern, text)
    for rule in presences:
        for text in texts:
            assert (rule.search(text) is not None) == (rule.regex.search(text) is not None)
