"""Behaviour of monitor.summary: kind, severity, clause order, facts, positions and the
summary line. Positions are given explicitly (the rules reading them are tested in
test_positions), so these tests pin how position changes are graded and worded."""

from __future__ import annotations

import json

from monitor.positions import POSITION_KEYS, Position, PositionKey, PositionValue
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


def _pos(
    scopes: dict[str, tuple[str, ...]] | None = None, **values: PositionValue
) -> dict[PositionKey, Position]:
    """All 11 positions: ``values`` stated (evidence: a sentence naming the value), the
    others null; ``scopes`` limits some of them."""
    out: dict[PositionKey, Position] = {}
    for key in POSITION_KEYS:
        value = values.get(key)
        evidence = (f"The {key} is {value}.",) if value is not None else ()
        out[key] = Position(key, value, evidence, (scopes or {}).get(key))
    return out


NONE = _pos()


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
        "positions": [],
        "subprocessors": {"added": [], "removed": []},
    }


def test_training_stance_change_is_high_with_pinned_wording() -> None:
    """A training stance change is high severity and named in the summary."""
    s = summarize(
        _doc(TRAINING_OLD),
        _doc(TRAINING_NEW),
        {"training": TRAINING_OLD},
        {"training": TRAINING_NEW},
        _pos(training_use=("not_used",)),
        _pos(training_use=("opt_out", "used")),
    )
    assert s.severity == "high"
    assert s.summary == (
        "Positions: training use not used → opt-out, used. "
        "Training clause: stance changed from 'not used by default' to 'used unless you opt "
        "out'; consent changed from 'not stated' to 'opt-out'; 2 sentences modified."
    )
    assert {"clause": "training", "fact": "stance", "before": "not used by default",
            "after": "used unless you opt out"} in s.as_dict()["facts"]  # fmt: skip


def test_retention_duration_change_reads_as_arrow() -> None:
    """A changed retention period is high, listed first, and shown as "30 → 90"."""
    s = summarize(
        _doc(RETENTION_OLD),
        _doc(RETENTION_NEW),
        {"retention": RETENTION_OLD},
        {"retention": RETENTION_NEW},
        _pos(retention_days=(30,)),
        _pos(retention_days=(90,)),
    )
    assert s.severity == "high"
    assert s.summary == (
        "Positions: retention 30 days → 90 days. "
        "Retention clause: 1 sentence modified (up to 30 days → up to 90 days)."
    )
    assert s.as_dict()["positions"] == [
        {
            "key": "retention_days",
            "before": [30],
            "after": [90],
            "scope_before": None,
            "scope_after": None,
            "evidence_before": ["The retention_days is (30,)."],
            "evidence_after": ["The retention_days is (90,)."],
        }
    ]
    [modified] = s.as_dict()["modified"]
    assert modified["ops"] == [
        ["equal", "OpenAI may securely retain API inputs and outputs for up to"],
        ["delete", "30"],
        ["insert", "90"],
        ["equal", "days."],
    ]


def test_clause_wording_change_without_fact_change_is_medium() -> None:
    """Rewording a clause without changing a position is medium."""
    old = "Anthropic will provide reasonable notice of any new Subprocessor."
    new = "Anthropic will provide reasonable notice by email of any new Subprocessor."
    same = _pos(subprocessor_objection=True)
    s = summarize(_doc(old), _doc(new), {"subprocessors": old}, {"subprocessors": new}, same, same)
    assert (s.severity, s.clauses) == ("medium", ("subprocessors",))
    assert s.summary == "Subprocessors clause: 1 sentence modified."
    assert s.facts == ()


def test_change_notice_position_is_high() -> None:
    """A changed notice period for term changes is a position change: high."""
    old = "Updates become effective 30 days after notice is provided to Customer."
    new = "Updates become effective 14 days after notice is provided to Customer."
    s = summarize(
        _doc(old),
        _doc(new),
        {"changes": old},
        {"changes": new},
        _pos(change_notice_days=30),
        _pos(change_notice_days=14),
    )
    assert s.severity == "high"
    assert s.summary == (
        "Positions: change notice 30 days → 14 days. "
        "Changes clause: 1 sentence modified (30 days' notice → 14 days' notice)."
    )


def test_text_outside_clauses_is_low() -> None:
    """A change outside every clause is low and described as such."""
    clause = {"retention": RETENTION_OLD}
    s = summarize(
        _doc(RETENTION_OLD),
        _doc(RETENTION_OLD, "Contact us at legal@example.com."),
        clause,
        clause,
        NONE,
        NONE,
    )
    assert (s.kind, s.severity, s.clauses) == ("substantive", "low", ())
    assert s.summary == "Text outside tracked clauses changed: 1 sentence added."
    assert s.as_dict()["added"] == ["Contact us at legal@example.com."]


def test_clauses_listed_builtin_order_first_then_custom() -> None:
    """Changed clauses come in built-in order, then custom keys alphabetically."""
    old = {"zeta": "Old z.", "audit": "Old audit.", "training": "Old t.", "alpha": "Old a."}
    new = {"zeta": "New z.", "audit": "New audit.", "training": "New t.", "alpha": "New a."}
    s = summarize("Old.", "New.", old, new, NONE, NONE)
    assert s.clauses == ("training", "audit", "alpha", "zeta")
    assert list(s.as_dict()["clause_diffs"]) == ["training", "audit", "alpha", "zeta"]


def test_vanished_clause_is_reported_removed_with_its_facts() -> None:
    """A clause that disappears is 'removed' and its positions change to not stated."""
    audit = (
        "Customer may conduct up to one (1) on-site audit per year to verify compliance with "
        "this DPA."
    )
    s = summarize(_doc(audit), _doc(), {"audit": audit}, {}, _pos(audit_right="on_site"), NONE)
    assert s.severity == "high"
    assert s.summary == (
        "Positions: audit right on-site → not stated. "
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
        _pos(retention_days=(30,), effective_date="2025-06-17"),
        _pos(retention_days=(90,), effective_date="2025-10-08"),
    )
    assert "\n" not in s.summary
    assert s.summary == (
        "Positions: retention 30 days → 90 days; effective date 2025-06-17 → 2025-10-08. "
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
        "clause_diffs", "positions", "subprocessors",
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
    s = summarize(
        _doc(old),
        _doc(new),
        {"ownership": old},
        {"ownership": new},
        _pos(input_ownership="customer", output_ownership="customer"),
        _pos(input_ownership="customer"),
    )
    assert s.severity == "high"
    assert s.summary == (
        "Positions: output ownership customer → not stated. "
        "Ownership clause: output ownership changed from 'customer' to 'licence'; "
        "1 sentence modified."
    )


def test_effective_date_alone_is_low_but_named() -> None:
    """A new effective date with no other position or clause change is low, and the
    one-line summary names both dates."""
    old, new = _doc("Effective date: June 17, 2025."), _doc("Effective date: October 8, 2025.")
    s = summarize(
        old, new, {}, {}, _pos(effective_date="2025-06-17"), _pos(effective_date="2025-10-08")
    )
    assert (s.kind, s.severity) == ("substantive", "low")
    assert "effective date 2025-06-17 → 2025-10-08" in s.summary
    assert [p["key"] for p in s.as_dict()["positions"]] == ["effective_date"]


def test_scope_narrowing_is_a_position_change() -> None:
    """The same value limited to fewer tiers ("only if you use the free services") is a
    change: high, with both scopes shown."""
    old = "We may use your content to train our models unless you opt out."
    new = "We may use your content to train our models if you use the free services."
    s = summarize(
        _doc(old),
        _doc(new),
        {"training": old},
        {"training": new},
        _pos(training_use=("used",)),
        _pos({"training_use": ("free services",)}, training_use=("used",)),
    )
    assert s.severity == "high"
    assert s.summary.startswith("Positions: training use used → used (free services).")
    [change] = s.as_dict()["positions"]
    assert (change["scope_before"], change["scope_after"]) == (None, ["free services"])


def test_reworded_evidence_alone_is_not_a_position_change() -> None:
    """The same position justified by a reworded sentence is medium, not high."""
    old, new = "We keep API inputs for 30 days.", "We store API inputs for 30 days."
    a = {**NONE, "retention_days": Position("retention_days", (30,), (old,))}
    b = {**NONE, "retention_days": Position("retention_days", (30,), (new,))}
    s = summarize(_doc(old), _doc(new), {"retention": old}, {"retention": new}, a, b)
    assert (s.severity, s.positions) == ("medium", ())


SUBPROCESSORS = "## Subprocessors\nAcme uses these subprocessors:\n- Northwind Ltd. (hosting)"


def test_subprocessor_added_to_the_list_is_high() -> None:
    """A provider added to the subprocessors clause's list is high and named, even when no
    position changed."""
    old = SUBPROCESSORS
    new = SUBPROCESSORS + "\n- Fabrikam GmbH (analytics, Germany)"
    s = summarize(_doc(old), _doc(new), {"subprocessors": old}, {"subprocessors": new}, NONE, NONE)
    assert s.severity == "high"
    assert s.summary.startswith("Subprocessors added: Fabrikam GmbH (analytics, Germany).")
    assert s.as_dict()["subprocessors"] == {
        "added": ["Fabrikam GmbH (analytics, Germany)"],
        "removed": [],
    }


def test_subprocessor_removed_from_a_table_is_high() -> None:
    """A row dropped from a subprocessors table is a removal: high."""
    old = SUBPROCESSORS + "\nContoso Inc. | email | United States"
    s = summarize(
        _doc(old), _doc(SUBPROCESSORS), {"subprocessors": old}, {"subprocessors": SUBPROCESSORS},
        NONE, NONE,
    )  # fmt: skip
    assert s.severity == "high"
    assert s.subprocessors.removed == ("Contoso Inc. | email | United States",)


def test_subprocessor_entry_reworded_is_not_an_addition() -> None:
    """A list entry edited in place (a location added) is a wording change: medium."""
    old = SUBPROCESSORS
    new = SUBPROCESSORS.replace("(hosting)", "(hosting, Ireland)")
    s = summarize(_doc(old), _doc(new), {"subprocessors": old}, {"subprocessors": new}, NONE, NONE)
    assert (s.severity, s.subprocessors.added, s.subprocessors.removed) == ("medium", (), ())
