"""Behaviour of monitor.summary: kind, severity, clause order, facts and the summary line."""

from __future__ import annotations

import json

from monitor.summary import COSMETIC_SUMMARY, summarize

TRAINING_OLD = "We do not train on your business data by default. Your data stays yours."
TRAINING_NEW = (
    "We may use your business data to train our models, unless you opt out. "
    "Your data stays yours and ours."
)
RETENTION_OLD = "OpenAI may securely retain API inputs and outputs for up to 30 days."
RETENTION_NEW = "OpenAI may securely retain API inputs and outputs for up to 90 days."
INTRO = "# Welcome\nThese terms govern your use of the Services."


def _doc(*clauses: str, intro: str = INTRO) -> str:
    return "\n".join([intro, *clauses])


def test_cosmetic_change_is_never_alerted() -> None:
    """Curly quotes and re-wrapping give kind cosmetic, no severity and nothing listed."""
    old = _doc('You own the "Output".')
    new = _doc("You own the “Output”.").replace("These terms govern", "These terms\ngovern")
    s = summarize(
        old, new, {"ownership": 'You own the "Output".'}, {"ownership": "You own the “Output”."}
    )
    assert s.as_dict() == {
        "kind": "cosmetic",
        "severity": None,
        "clauses": [],
        "summary": COSMETIC_SUMMARY,
        "added": [],
        "removed": [],
        "modified": [],
        "facts": [],
        "clause_diffs": {},
    }


def test_training_stance_change_is_high_with_pinned_wording() -> None:
    """A training stance change is high severity and named in the summary."""
    s = summarize(
        _doc(TRAINING_OLD),
        _doc(TRAINING_NEW),
        {"training": TRAINING_OLD},
        {"training": TRAINING_NEW},
    )
    assert s.severity == "high"
    assert s.summary == (
        "Training clause: stance changed from 'not used by default' to 'used unless you opt "
        "out'; consent changed from 'not stated' to 'opt-out'; 2 sentences modified."
    )
    assert {"clause": "training", "fact": "stance", "before": "not used by default",
            "after": "used unless you opt out"} in s.as_dict()["facts"]  # fmt: skip


def test_retention_duration_change_reads_as_arrow() -> None:
    """A changed retention period is high and shown as "(30 days → 90 days)"."""
    s = summarize(
        _doc(RETENTION_OLD),
        _doc(RETENTION_NEW),
        {"retention": RETENTION_OLD},
        {"retention": RETENTION_NEW},
    )
    assert s.severity == "high"
    assert s.summary == "Retention clause: 1 sentence modified (up to 30 days → up to 90 days)."
    [modified] = s.as_dict()["modified"]
    assert modified["ops"] == [
        ["equal", "OpenAI may securely retain API inputs and outputs for up to"],
        ["delete", "30"],
        ["insert", "90"],
        ["equal", "days."],
    ]


def test_clause_wording_change_without_fact_change_is_medium() -> None:
    """Rewording a clause without changing its facts is medium."""
    old = "Anthropic will provide reasonable notice of any new Subprocessor."
    new = "Anthropic will provide reasonable notice by email of any new Subprocessor."
    s = summarize(_doc(old), _doc(new), {"subprocessors": old}, {"subprocessors": new})
    assert (s.severity, s.clauses) == ("medium", ("subprocessors",))
    assert s.summary == "Subprocessors clause: 1 sentence modified."
    assert s.facts == ()


def test_change_notice_fact_is_medium() -> None:
    """A changed notice period for term changes is reported but not high."""
    old = "Updates become effective 30 days after notice is provided to Customer."
    new = "Updates become effective 14 days after notice is provided to Customer."
    s = summarize(_doc(old), _doc(new), {"changes": old}, {"changes": new})
    assert s.severity == "medium"
    assert s.summary == "Changes clause: 1 sentence modified (30 days' notice → 14 days' notice)."


def test_text_outside_clauses_is_low() -> None:
    """A change outside every clause is low and described as such."""
    clause = {"retention": RETENTION_OLD}
    s = summarize(
        _doc(RETENTION_OLD),
        _doc(RETENTION_OLD, "Contact us at legal@example.com."),
        clause,
        clause,
    )
    assert (s.kind, s.severity, s.clauses) == ("substantive", "low", ())
    assert s.summary == "Text outside tracked clauses changed: 1 sentence added."
    assert s.as_dict()["added"] == ["Contact us at legal@example.com."]


def test_clauses_listed_builtin_order_first_then_custom() -> None:
    """Changed clauses come in built-in order, then custom keys alphabetically."""
    old = {"zeta": "Old z.", "audit": "Old audit.", "training": "Old t.", "alpha": "Old a."}
    new = {"zeta": "New z.", "audit": "New audit.", "training": "New t.", "alpha": "New a."}
    s = summarize("Old.", "New.", old, new)
    assert s.clauses == ("training", "audit", "alpha", "zeta")
    assert list(s.as_dict()["clause_diffs"]) == ["training", "audit", "alpha", "zeta"]


def test_vanished_clause_is_reported_removed_with_its_facts() -> None:
    """A clause that disappears is 'removed' and its facts change to not stated."""
    audit = (
        "Customer may conduct up to one (1) on-site audit per year to verify compliance with "
        "this DPA."
    )
    s = summarize(_doc(audit), _doc(), {"audit": audit}, {})
    assert s.severity == "high"
    assert s.summary == (
        "Audit clause removed: audit right changed from 'yes' to 'not stated'; 1 sentence removed."
    )
    assert s.as_dict()["clause_diffs"]["audit"]["removed"] == [audit]


def test_several_clauses_and_outside_text_make_one_line() -> None:
    """Several changes join into one line in clause order, outside text last."""
    old = _doc(TRAINING_OLD, RETENTION_OLD, intro="Intro.")
    new = _doc(TRAINING_OLD, RETENTION_NEW, "Brand new closing words.", intro="Intro.")
    s = summarize(
        old,
        new,
        {"training": TRAINING_OLD, "retention": RETENTION_OLD},
        {"training": TRAINING_OLD, "retention": RETENTION_NEW},
    )
    assert "\n" not in s.summary
    assert s.summary == (
        "Retention clause: 1 sentence modified (up to 30 days → up to 90 days). "
        "Text outside tracked clauses changed: 1 sentence added."
    )
    assert s.clauses == ("retention",)


def test_clause_boundary_move_alone_is_cosmetic() -> None:
    """Clause texts changing while the document's words do not is not a change."""
    text = _doc(RETENTION_OLD)
    s = summarize(text, text + " ", {"retention": RETENTION_OLD}, {"retention": INTRO})
    assert (s.kind, s.severity) == ("cosmetic", None)


def test_as_dict_is_json_serialisable_with_the_contract_keys() -> None:
    """as_dict() has exactly the contract keys and survives a JSON round trip."""
    d = summarize(
        _doc(RETENTION_OLD),
        _doc(RETENTION_NEW),
        {"retention": RETENTION_OLD},
        {"retention": RETENTION_NEW},
    ).as_dict()
    assert set(d) == {
        "kind", "severity", "clauses", "summary", "added", "removed", "modified", "facts",
        "clause_diffs",
    }  # fmt: skip
    assert set(d["clause_diffs"]["retention"]) == {"added", "removed", "modified"}
    assert json.loads(json.dumps(d)) == d


def test_summary_is_deterministic() -> None:
    """The same inputs always give the same summary."""
    args = (_doc(TRAINING_OLD), _doc(TRAINING_NEW), {"training": TRAINING_OLD},
            {"training": TRAINING_NEW})  # fmt: skip
    assert summarize(*args).as_dict() == summarize(*args).as_dict()


def test_output_ownership_change_is_high() -> None:
    """Outputs moving from customer ownership to a licence is high and worded plainly."""
    lead = "As between you and OpenAI, you (a) retain your ownership rights in Input and (b) "
    old = lead + "own the Output."
    new = lead + "receive a licence to use the Output."
    s = summarize(_doc(old), _doc(new), {"ownership": old}, {"ownership": new})
    assert s.severity == "high"
    assert s.summary == (
        "Ownership clause: output ownership changed from 'customer' to 'licence'; "
        "1 sentence modified."
    )
