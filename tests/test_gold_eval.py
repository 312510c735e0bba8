"""bench/gold_eval.py: scoring clauses and positions against hand labels.

The scoring tests use small hand-written gold entries; the run over the real gold
(``../shared/corpus/gold``, Open Terms Archive data) is skipped when the corpus is absent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import gold_eval  # noqa: E402

HAS_GOLD = (CORPUS / "gold" / "dev.json").is_file()

ABSENT = {"present": False, "must": []}
GOLD: dict[str, Any] = {
    "training": {
        "present": True,
        "must": [
            "We will not use Customer Content to train our models.",
            "You may opt out of model improvement at any time.",
        ],
    },
    "retention": {"present": True, "must": ["We delete your inputs within 30 days."]},
    "ownership": ABSENT,
    "audit": ABSENT,
    "subprocessors": ABSENT,
    "changes": ABSENT,
    "unrelated": ["These terms are governed by the laws of Ireland."],
    "positions": {
        "training_use": {"value": ["not_used", "opt_out"], "evidence": []},
        "retention_days": {"value": [30], "evidence": []},
        "audit_right": {"value": None, "evidence": []},
    },
}


def test_sentences_match_word_by_word_ignoring_case_punctuation_and_invisible_marks() -> None:
    """A gold sentence is found however its quotes, case, spacing or word joiners differ."""
    text = "# Data\nWe WILL not use customer content to “train” our models; ever."
    assert gold_eval.contains("We will not use Customer Content to 'train' our models.", text)
    assert gold_eval.contains("our priva\u2060cy portal", "Use our privacy portal.")
    assert not gold_eval.contains("We will use Customer Content to train", text)
    assert not gold_eval.contains("not use customer content to train our model", text)


def test_a_document_scores_recall_unrelated_and_invented_clauses() -> None:
    """Found and missed key sentences, a leaked unrelated sentence and an invented clause count."""
    clauses = {
        "training": "We will not use Customer Content to train our models.",
        "retention": "We delete your inputs within 30 days. "
        "These terms are governed by the laws of Ireland.",
        "audit": "We hold a SOC 2 report.",
    }
    score = gold_eval.score_document("acme", GOLD, clauses)
    assert (score.hit, score.must) == (2, 3)
    assert score.clauses["training"].missed == ["You may opt out of model improvement at any time."]
    assert score.unrelated == [("retention", "These terms are governed by the laws of Ireland.")]
    assert score.invented == ["audit"]
    total = gold_eval.clause_totals([score])
    assert (total.must, total.hit, total.unrelated, total.invented) == (3, 2, 1, 1)
    assert gold_eval.clause_totals([score], "retention").unrelated == 1
    assert gold_eval.clause_totals([score], "training").unrelated == 0
    assert gold_eval.clause_totals([score], "training").recall == 0.5


def test_a_key_sentence_in_the_wrong_clause_is_not_recalled() -> None:
    """Recall counts a sentence only inside the clause of its own key."""
    clauses = {"retention": "We will not use Customer Content to train our models."}
    score = gold_eval.score_document("acme", GOLD, clauses)
    assert score.clauses["training"].hit == 0
    assert not score.clauses["training"].found


def test_positions_right_wrong_and_missed() -> None:
    """A differing non-null value is wrong (a false claim); a null where gold has one is missed."""
    read = {
        "training_use": ["not_used", "opt_out"],
        "retention_days": None,
        "audit_right": "on_site",
    }
    score = gold_eval.score_document("acme", GOLD, {}, read)
    totals = gold_eval.position_totals([score])
    assert (totals.pairs, totals.right, totals.wrong, totals.missed) == (3, 1, 1, 1)
    assert gold_eval.position_totals([score], "audit_right").wrong == 1
    assert gold_eval.position_totals([score], "retention_days").missed == 1


def test_set_valued_positions_compare_whatever_their_order() -> None:
    """A set read in another order than the gold lists it is right, a different set wrong."""
    score = gold_eval.score_document(
        "acme", GOLD, {}, {"training_use": ["opt_out", "not_used"], "retention_days": [30, 90]}
    )
    assert score.positions is not None
    assert score.positions["training_use"].right
    assert score.positions["retention_days"].wrong


def test_output_names_its_figures_escapes_page_text_and_credits_the_data() -> None:
    """The text report has per-document and per-clause figures, escaped sentences, the credit."""
    gold = {**GOLD, "training": {"present": True, "must": ["We train on \x1b[31mred text."]}}
    score = gold_eval.score_document(
        "acme", gold, {"retention": "We delete your inputs within 30 days."}
    )
    text = gold_eval.render_text([score])
    assert "acme" in text and "1/2" in text
    assert "\x1b" not in text and "\\x1b" in text
    assert "positions: unavailable" in text
    assert "Open Terms Archive" in text
    data = gold_eval.render_json([score])
    assert data["total"] == {"must": 2, "found": 1, "recall": 0.5, "unrelated": 0, "invented": 0}
    assert data["positions"] is None
    assert "Open Terms Archive" in str(data["credit"])


@pytest.mark.corpus
@pytest.mark.skipif(not HAS_GOLD, reason="corpus not available (../shared/corpus)")
def test_the_script_scores_every_gold_document(capsys: pytest.CaptureFixture[str]) -> None:
    """Run on the dev gold, the script reports each of its documents and the totals as JSON."""
    assert gold_eval.main([str(CORPUS), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    gold = json.loads((CORPUS / "gold" / "dev.json").read_text(encoding="utf-8"))
    assert [d["slug"] for d in data["documents"]] == sorted(gold)
    must = sum(len(g[k]["must"]) for g in gold.values() for k in gold_eval.CLAUSE_KEYS)
    assert data["total"]["must"] == must
    assert set(data["clauses"]) == set(gold_eval.CLAUSE_KEYS)
