"""The literal prefilter of the clause patterns never changes an answer: a pattern matches
exactly where its regex does, on any text (case, Unicode look-alikes, real legal pages)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from monitor import clause_rules as cr
from monitor import clause_vocab as cv
from monitor.clause_index import PhraseIndex
from monitor.clause_patterns import (
    FOLD_UNSAFE,
    WORD_START,
    Pattern,
    Regex,
    ascii_twin,
    context_free,
    folding,
    plain,
    prefilter,
    required_literals,
    requirements,
)
from monitor.diff import split_sentences
from monitor.extract import blocks_from_text

CORPUS_TEXT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "gold" / "text"

TRICKY = (
    "We will not use your content to TRAIN our models.",
    "We may train models on data you provide.",
    "Constraints on models apply.",  # "train" inside another word
    "We ſhall retain logs for 30 days.",  # long s: re.IGNORECASE matches it with "s"
    "İmprove our models",  # dotted capital I
    "Retaın the data",  # dotless i
    "Keep it 3 \u212aeeps",  # Kelvin sign
    "Sub-processors listed at the “Subprocessor” page’s end.",
    "",
    "train",
)


def all_rule_patterns() -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for rules in cr.DEFAULT_RULES.values():
        out += [(p, re.IGNORECASE) for p, _ in rules.phrases]
        out += [(p, re.IGNORECASE) for p in rules.pull + rules.context]
    out += [(p, re.IGNORECASE) for p, _ in cv.NEGATIVE_PHRASES]
    out += [(p, re.IGNORECASE) for p in cv.NEGATIVE_HEADINGS]
    # user patterns are case-sensitive; some have no usable literal at all
    out += [(r"\bTrain\w*", 0), (r"(?i:retain)s", 0), (r"[a-z]+ing", 0), (r"(a)\1b", 0)]
    return out


def test_literals_are_what_every_match_must_contain() -> None:
    """The literal set of a pattern is text each of its matches holds; none is claimed when a
    pattern can match without one (alternatives without literals, scoped flags)."""
    assert required_literals(r"\btrain(?:s|ed|ing)?\b[^.;]{0,80}\bmodels?", re.I) == ("train",)
    assert required_literals(r"\bretain\w*|\bretention\b", re.I) == ("retain", "retention")
    assert required_literals(r"\bfoo\b|\w+s?", 0) is None  # 2nd alternative: no literal
    assert required_literals(r"(?i:retain)s", 0) is None
    assert required_literals(r"x?y", 0) is None  # one character filters nothing


def test_requirements_are_alternatives_of_literal_sets_every_match_holds() -> None:
    """Each alternative of a pattern requires one string of each of its literal sets; a
    string after ``\\b`` is marked as starting a word."""
    w = WORD_START
    assert requirements(r"\btrain(?:s|ed)?\b[^.;]{0,80}\bmodels?", re.I) == (
        ((w + "train",), (w + "model",)),
    )
    first = ((w + "right to", w + "right of"), (w + "right ",), (" access", " object"))
    assert requirements(r"\bright (?:to|of) (?:access|object)|\bexercise rights", re.I) == (
        (*first, ("access", "object"), ("to", "of")),
        ((w + "exercise rights",),),
    )
    assert requirements(r"\b(?:ab|cd)ef\b", 0) == (((w + "abef",),), ((w + "cdef",),))
    assert requirements(r"\bfoo", re.ASCII) == ((("foo",),),)  # ASCII \b: no marks
    assert requirements(r"\bfoo\b|\w+s?", 0) is None  # 2nd alternative: no literal


# Phrases of user-style patterns: case-sensitive, inline flags, literals spanning words,
# one with no literal at all.
USER_PHRASES = ((r"\bTrain\w*", 0, 3), (r"(?i)how long", 0, 2), (r"[a-z]+ing", 0, 1))


def _index_and_expected() -> tuple[PhraseIndex, list[tuple[str, str, int, int]]]:
    families: dict[str, list[tuple[str, int, int]]] = {
        key: [(p, re.IGNORECASE, w) for p, w in rules.phrases]
        for key, rules in cr.DEFAULT_RULES.items()
    }
    families["negative"] = [(p, re.IGNORECASE, w) for p, w in cv.NEGATIVE_PHRASES]
    families["user"] = list(USER_PHRASES)
    flat = [(key, p, f, w) for key, specs in families.items() for p, f, w in specs]
    return PhraseIndex(families), flat


def _assert_index_scores(texts: list[str]) -> None:
    index, flat = _index_and_expected()
    compiled = [(key, re.compile(p, f), w) for key, p, f, w in flat]
    for text in texts:
        expected: dict[str, int] = {}
        for key, regex, weight in compiled:
            if regex.search(text):
                expected[key] = expected.get(key, 0) + weight
        assert index.scores(text, folding(text)) == expected, text


def test_the_phrase_index_scores_every_family_as_its_regexes_do() -> None:
    """One pass of the index gives each key the summed weights of its matching regexes, on
    texts with case changes and characters that fold to ASCII letters."""
    extra = [
        "How long do we keep it? We TRAIN models, training them.",
        "as between you and us; (you own) it, not known; “Own” outputs",
        "Constraints and retraining: _train models",
    ]
    texts = [*TRICKY, *extra]
    _assert_index_scores([*texts, *(t.upper() for t in texts), *(t.lower() for t in texts)])


def test_prefiltered_patterns_match_exactly_where_their_regex_does() -> None:
    """Every built-in clause pattern (and user-style case-sensitive ones) gives the regex's own
    answer on texts with case changes and characters that fold to ASCII letters."""
    texts = [*TRICKY, *(t.upper() for t in TRICKY), *(t.lower() for t in TRICKY)]
    for source, flags in all_rule_patterns():
        pattern = Pattern.compile(source, flags)
        for text in texts:
            expected = re.compile(source, flags).search(text) is not None
            assert pattern.search(text, folding(text)) is expected, (source, text)
            assert pattern.search(text) is expected, (source, text)


def test_a_family_prefilter_passes_every_text_one_of_its_patterns_matches() -> None:
    """The combined literal test of a clause family fails only where all its phrases fail."""
    for rules in cr.DEFAULT_RULES.values():
        patterns = [Pattern.compile(p, re.IGNORECASE) for p, _ in rules.phrases]
        family = prefilter(patterns)
        assert family is not None
        for text in TRICKY:
            if any(p.search(text) for p in patterns):
                assert family.present(text, folding(text))
    assert prefilter([Pattern.compile(r"\d+"), Pattern.compile("abc")]) is None


def test_fold_unsafe_lists_every_character_that_folds_unlike_lower() -> None:
    """A text may be lower-cased for the literal test unless it holds a character that
    re.IGNORECASE matches with an ASCII character, or that str.lower turns into one."""
    ascii_any = re.compile(r"[\x00-\x7f]", re.IGNORECASE)
    unsafe = [
        chr(c)
        for c in range(0x80, sys.maxunicode + 1)
        if ascii_any.fullmatch(chr(c)) or any(ch.isascii() for ch in chr(c).lower())
    ]
    assert sorted(unsafe) == sorted(FOLD_UNSAFE)
    assert folding("Retain THE data") == "retain the data"
    assert folding("ſhall") is None


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_TEXT.is_dir(), reason="corpus not available (../shared/corpus)")
def test_prefiltered_patterns_agree_with_their_regex_on_real_legal_text() -> None:
    """On every sentence of the corpus's documents (Open Terms Archive), each built-in clause
    pattern matches where its regex does."""
    sentences: set[str] = set()
    for path in sorted(CORPUS_TEXT.glob("*.txt")):
        for block in blocks_from_text(path.read_text(encoding="utf-8")):
            sentences.add(block.text)
            sentences.update(split_sentences(block.text))
    assert len(sentences) > 1000
    sample = sorted(sentences)[::4]  # a quarter of them: the plain regexes are slow
    for source, flags in all_rule_patterns():
        pattern, regex = Pattern.compile(source, flags), re.compile(source, flags)
        for text in sample:
            assert pattern.search(text, folding(text)) is (regex.search(text) is not None)
    _assert_index_scores(sorted(sentences)[1::4])


def test_a_reader_regex_answers_search_match_finditer_and_sub_as_re_does() -> None:
    """The position readers' prefiltered regexes give re's own matches, spans and
    substitutions, also where the literal is missing or only a look-alike character."""
    sources = [r"\bretain(?:s|ed)?\b[^.;]{0,20}(?P<n>\d+) days", r"\btrain\w*", r"(?:a|b)+"]
    texts = [*TRICKY, "We retain logs 30 days; we RETAINED chats 7 days.", "ſtrain TRAINING"]
    for source in sources:
        ours, theirs = Regex(source, re.IGNORECASE), re.compile(source, re.IGNORECASE)
        for text in texts:
            found, expected = ours.search(text), theirs.search(text)
            assert (found and found.span()) == (expected and expected.span()), (source, text)
            matched, expected = ours.match(text), theirs.match(text)
            assert (matched and matched.span()) == (expected and expected.span())
            assert [m.span() for m in ours.finditer(text)] == [
                m.span() for m in theirs.finditer(text)
            ]
            assert ours.sub("#", text) == theirs.sub("#", text)


def test_an_ascii_twin_answers_as_its_regex_on_plain_text() -> None:
    """Every built-in clause pattern compiled with re.ASCII matches plain text (none of the
    separators that Unicode \\s also matches, no non-ASCII character that is a word
    character, a space or has a case) exactly where the pattern does; patterns
    holding a character that folds to an ASCII letter have no twin."""
    texts = [*TRICKY, "Keep logs\x1cfor 30 days.", "retain\x1f30 days", "We_train models."]
    texts += ["We’ll keep “your” chats — 30 days…", "‘Own’ • – ownership", "We’re ſtoring"]
    texts += ["café training", "x² days", "retain\u00a030 days", "ﬁle\u2028keep", "Ownership."]
    for source, flags in all_rule_patterns():
        regex = re.compile(source, flags)
        twin = ascii_twin(regex)
        assert twin is not None, source
        for text in [*texts, *(t.upper() for t in texts)]:
            if plain(text):
                assert (twin.search(text) is None) is (regex.search(text) is None), (source, text)
    assert not plain("Keep logs\x1cfor 30 days.") and plain("“Own” — we’ll…")
    for text in ["café", "x²", "a\u00a0b", "\u2028", "ſ", "\u212a", "ﬁ", "Ω", "_\u0661"]:
        assert not plain(text), text
    for source in ["\u212aeep", "[\u0100-\u0200]x", "(?u)keep", "[^\u0131]"]:
        assert ascii_twin(re.compile(source, re.IGNORECASE)) is None, source
    assert ascii_twin(re.compile("keep", re.ASCII)) is None


def test_a_context_free_pattern_found_in_a_sentence_is_found_in_any_text_holding_it() -> None:
    """A pattern without lookarounds or anchors (``\\b`` aside) that matches a sentence
    matches every text holding that sentence between spaces; the others are not claimed."""
    free = [(s, f) for s, f in all_rule_patterns() if context_free(re.compile(s, f))]
    assert len(free) > 100
    assert not context_free(re.compile(r"(?<!\byou )\bmay\b"))
    assert not context_free(re.compile(r"^changes$"))
    assert not context_free(re.compile(r"\d{2}\b(?! days)"))
    assert context_free(re.compile(r"\bretain(?:s|ed)?\b[^.;]{0,20}\Bx|(a)\1"))
    around = [("", ""), ("Before it. ", ""), ("", " After it."), ("x_y ", " (z")]
    for source, flags in free:
        regex = re.compile(source, flags)
        for text in [*TRICKY, *(t.upper() for t in TRICKY)]:
            if regex.search(text):
                for before, after in around:
                    assert regex.search(before + text + after), (source, text)
