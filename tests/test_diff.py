"""Behaviour of monitor.diff: noise classification, sentence splitting, sentence diffs."""

from __future__ import annotations

import time

import pytest

from monitor.diff import (
    Modified,
    cancel_moved,
    classify,
    diff_sentences,
    render_word_diff,
    split_sentences,
    unified,
    word_diff_segments,
    word_ops,
    words,
)

OPENAI_TRAINING = "We do not train on your business data by default."


# -- classify ------------------------------------------------------------------------------


def test_identical_texts_are_no_change() -> None:
    """Identical texts are no change at all."""
    assert classify(OPENAI_TRAINING, OPENAI_TRAINING) is None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("you own the Output.", "you  own the\tOutput. "),
        ("You own the Output.", "You own the Output"),
        ('The "Output" is yours.', "The “Output” is yours."),
        ("Customer’s data", "Customer's data"),
        ("opt-out", "opt—out"),
        ("30 days – 60 days", "30 days - 60 days"),
        ("You Own The Output.", "you own the output."),
        ("# Data retention\nWe keep data.", "Data retention\n- We keep data."),
        ("We keep data\nfor 30 days.", "We keep data for 30 days."),
        ("a | b | c", "a\nb\nc"),
    ],
    ids=[
        "whitespace",
        "final-period",
        "curly-quotes",
        "curly-apostrophe",
        "em-dash",
        "en-dash",
        "case",
        "markup-structure",
        "re-wrapping",
        "table-to-lines",
    ],
)
def test_noise_is_cosmetic(old: str, new: str) -> None:
    """Whitespace, punctuation, quotes, dashes, case and block structure are cosmetic."""
    assert classify(old, new) == "cosmetic"


def test_changed_number_is_substantive() -> None:
    """Digits are words: "30 days" → "90 days" is substantive."""
    assert classify("retain for 30 days", "retain for 90 days") == "substantive"


def test_added_negation_is_substantive() -> None:
    """Adding a single word ("not") is substantive."""
    assert classify("We train on your data.", "We do not train on your data.") == "substantive"


def test_words_are_lowercased_tokens_without_punctuation() -> None:
    """words() lower-cases, drops punctuation and keeps digits."""
    assert words("# Section 4.2 — You “own” the Output; 30 days.") == [
        "section",
        "4",
        "2",
        "you",
        "own",
        "the",
        "output",
        "30",
        "days",
    ]


# -- unified -------------------------------------------------------------------------------


def test_unified_marks_changed_lines() -> None:
    """unified() is a labelled line diff with - and + lines."""
    out = unified("a\nb\nc\n", "a\nB\nc\n", "v1", "v2")
    assert out.startswith("--- v1\n+++ v2\n")
    assert "-b\n+B\n" in out


def test_unified_of_identical_texts_is_empty() -> None:
    """Identical texts give an empty unified diff."""
    assert unified("a\nb", "a\nb", "x", "y") == ""


# -- sentence splitting ----------------------------------------------------------------------


def test_sentences_split_on_periods() -> None:
    """Plain sentences split after their final punctuation."""
    text = (
        "Anthropic may not train models on Customer Content from Services. Customer owns Outputs."
    )
    assert split_sentences(text) == [
        "Anthropic may not train models on Customer Content from Services.",
        "Customer owns Outputs.",
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "We may use data, e.g. Inputs and Outputs, to improve the Services.",
        "Customer Data (i.e. Inputs) stays with Customer.",
        "OpenAI, Inc. and OpenAI Ireland Ltd. are parties to this Agreement.",
        "Customer has not “sold” (as defined by U.S. Privacy Laws) Customer Data.",
        "See Sec. 3 for details.",
        "Fees increase by 1.5 percent per year.",
        "See p. 3 of the Order Form.",
        "This applies to No. 5 of the list.",
    ],
)
def test_abbreviations_do_not_end_sentences(sentence: str) -> None:
    """Abbreviations, initialisms, section references and decimals stay in their sentence."""
    assert split_sentences(sentence) == [sentence]


def test_block_numbering_stays_with_its_heading_sentence() -> None:
    """A block's own numbering ("4.2.") does not become a sentence of its own."""
    line = "- 4.2. OpenAI Obligations. OpenAI will only use Customer Content as necessary."
    assert split_sentences(line) == [
        "4.2. OpenAI Obligations.",
        "OpenAI will only use Customer Content as necessary.",
    ]


def test_initialism_before_a_sentence_starter_ends_the_sentence() -> None:
    """After "U.S." a word like "We" starts a new sentence."""
    assert split_sentences("Data is stored in the U.S. We encrypt it.") == [
        "Data is stored in the U.S.",
        "We encrypt it.",
    ]


def test_every_line_is_split_on_its_own_without_markers() -> None:
    """Lines never join into one sentence, and '#'/'- ' markers are dropped."""
    assert split_sentences("# Retention\n- We keep logs\n  - for 30 days") == [
        "Retention",
        "We keep logs",
        "for 30 days",
    ]


# -- sentence diff -------------------------------------------------------------------------


def test_changed_duration_is_one_modified_sentence() -> None:
    """A changed number makes a modified sentence with word ops, not added + removed."""
    d = diff_sentences(
        "Intro.\nOpenAI may retain API inputs for up to 30 days. Other text.",
        "Intro.\nOpenAI may retain API inputs for up to 90 days. Other text.",
    )
    assert d.added == [] and d.removed == []
    assert d.modified == [
        Modified(
            "OpenAI may retain API inputs for up to 30 days.",
            "OpenAI may retain API inputs for up to 90 days.",
            [
                ("equal", "OpenAI may retain API inputs for up to"),
                ("delete", "30"),
                ("insert", "90"),
                ("equal", "days."),
            ],
        )
    ]


def test_unrelated_new_sentence_is_added() -> None:
    """A new sentence unlike any removed one is added, and the removed one is removed."""
    d = diff_sentences(
        "Customer owns all Output.",
        "Anthropic may not train models on Customer Content from Services.",
    )
    assert d.added == ["Anthropic may not train models on Customer Content from Services."]
    assert d.removed == ["Customer owns all Output."]
    assert d.modified == []


def test_rewritten_training_sentence_pairs_as_modified() -> None:
    """A sentence rewritten in place (one for one) still pairs as modified."""
    d = diff_sentences(
        "We do not train on your business data by default.",
        "We may use your business data to train our models, unless you opt out.",
    )
    assert [(m.before, m.after) for m in d.modified] == [
        (
            "We do not train on your business data by default.",
            "We may use your business data to train our models, unless you opt out.",
        )
    ]


def test_inserted_sentence_among_others_is_added() -> None:
    """A sentence inserted into a paragraph is added; its neighbours are untouched."""
    d = diff_sentences(
        "We keep logs. We delete them.",
        "We keep logs. We share them with subprocessors. We delete them.",
    )
    assert (d.added, d.removed, d.modified) == (["We share them with subprocessors."], [], [])


def test_cosmetic_sentence_change_is_not_modified() -> None:
    """A sentence differing only in quotes and case is not reported."""
    d = diff_sentences('You own the "Output". We keep logs.', "You own the “output”. We keep logs!")
    assert not d


def test_rewrapped_paragraph_reports_nothing() -> None:
    """Moving line breaks inside a paragraph reports no sentence change."""
    old = "We keep data for 30 days. After that,\nwe delete it."
    new = "We keep data for 30 days.\nAfter that, we delete it."
    assert not diff_sentences(old, new)


def test_modified_pairs_do_not_cross() -> None:
    """Pairs keep document order: the best pairs are kept when two would cross."""
    d = diff_sentences(
        "Retention is 30 days for logs. Deletion happens within 7 days of request.",
        "Deletion happens within 14 days of request. Retention is 60 days for logs.",
    )
    assert len(d.modified) == 1
    assert len(d.added) == 1 and len(d.removed) == 1


def test_moved_sentence_is_neither_removed_nor_added() -> None:
    """A sentence moved to another paragraph, next to a real edit, is not shown at all: only
    the edited sentence is reported."""
    old = "We keep logs for 30 days.\nWe never sell data.\nYou may contact us."
    new = "You may contact us.\nWe keep logs for 90 days.\nWe never sell data."
    d = diff_sentences(old, new)
    shown = [*d.added, *d.removed, *(m.before for m in d.modified), *(m.after for m in d.modified)]
    assert not any("contact" in s for s in shown)
    assert [(m.before, m.after) for m in d.modified] == [
        ("We keep logs for 30 days.", "We keep logs for 90 days.")
    ]


def test_unchanged_sentence_in_a_changed_line_is_paired_first() -> None:
    """Inside a rewritten line, a sentence kept word for word is paired with itself before
    any similarity pairing, so it is never reported removed and added."""
    old = "Customer owns Output. We retain Inputs for thirty days. Fees are due monthly."
    new = "Fees are due monthly. We delete Inputs at once. Customer owns Output."
    d = diff_sentences(old, new)
    assert "Fees are due monthly." not in d.added + d.removed
    assert "Customer owns Output." not in d.added + d.removed
    assert [*d.removed, *(m.before for m in d.modified)] == ["We retain Inputs for thirty days."]


def test_cancel_moved_drops_sentences_on_both_sides_once_each() -> None:
    """Stored lists with a sentence both removed and added lose it on both sides, as many
    times as it appears on both (a sentence added twice and removed once stays added once)."""
    removed, added = cancel_moved(["A b c.", "Old one."], ["A  b c!", "A b c.", "New one."])
    assert (removed, added) == (["Old one."], ["A b c.", "New one."])


def test_word_ops_treat_punctuation_and_case_as_equal() -> None:
    """Tokens equal up to punctuation and case are equal ops, taken from the new text."""
    assert word_ops("You own the Output.", "you own the output") == [
        ("equal", "you own the output")
    ]


# -- rendering -----------------------------------------------------------------------------


def test_render_word_diff_marks_deletions_and_insertions() -> None:
    """The plain rendering marks [-deleted-] and {+inserted+} words."""
    ops = word_ops("retain for 30 days", "retain for 90 days")
    assert render_word_diff(ops) == "retain for [-30-] {+90+} days"


def test_segments_carry_spaces_and_tags_for_colouring() -> None:
    """Segments give text and tag, spaces in between, for the CLI to colour."""
    assert word_diff_segments([("equal", "a"), ("insert", "b")]) == [
        ("a", "equal"),
        (" ", "equal"),
        ("b", "insert"),
    ]


# -- scale ---------------------------------------------------------------------------------


def _document(n: int) -> str:
    lines = []
    for i in range(n):
        lines.append(f"# Section {i}")
        lines.append(
            f"Clause {i} says the provider may keep record {i} for {i % 90} days. "
            f"Customer {i} may object in writing within {i % 30} days of notice {i}."
        )
    return "\n".join(lines)


def test_hundred_kilobyte_text_diffs_fast() -> None:
    """A 100 KB text with scattered edits diffs in well under a second."""
    old = _document(800)
    assert len(old) > 100_000
    new = old.replace("record 17 for 17 days", "record 17 for 99 days").replace(
        "# Section 400\n", "# Section 400\nA brand new sentence about training.\n"
    )
    start = time.perf_counter()
    d = diff_sentences(old, new)
    elapsed = time.perf_counter() - start
    assert len(d.modified) == 1 and d.added == ["A brand new sentence about training."]
    assert elapsed < 2.0
