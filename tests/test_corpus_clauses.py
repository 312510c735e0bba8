"""Clauses on real captures of the watched pages (../shared/corpus; skipped when absent).

Every page of the corpus is extracted with the shipped sources.toml (matched by URL), then
the clause finder runs with the document's clause rules and with the default rules alone
(no clause configuration). What the clauses must hold is the hand-labelled gold
(``../shared/corpus/gold/dev.json``), scored by ``bench/gold_eval.py``.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from monitor.clause_rules import LARGE_DOCUMENT, MAX_CLAUSE_SHARE
from monitor.clauses import ClauseResult, find_clauses
from monitor.config import DocumentConfig, load_config
from monitor.extract import Extraction, extract

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PAGES = CORPUS / "pages"
GOLD = CORPUS / "gold" / "dev.json"
BENCH = REPO / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import gold_eval  # noqa: E402

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not PAGES.is_dir(), reason="corpus not available (../shared/corpus)"),
]

# Floors reached by the default rules on the dev gold (bench/gold_eval.py): per clause key,
# key sentences found (of how many), unrelated labelled sentences inside the clause, and
# clauses reported for documents the gold says do not address the topic. Raise them when
# the rules improve; a change that lowers recall or adds a leak fails here.
GOLD_FLOORS: dict[str, tuple[int, int, int, int]] = {
    # key: (found, of, unrelated at most, invented at most)
    "training": (61, 64, 0, 0),
    "retention": (70, 74, 0, 0),
    "ownership": (52, 54, 0, 0),
    "audit": (22, 22, 0, 0),
    "subprocessors": (41, 45, 0, 0),
    # mistral-privacy has a "Changes to this Privacy Policy" section the gold marks absent
    "changes": (41, 42, 0, 1),
}


@cache
def manifest() -> dict[str, dict[str, Any]]:
    entries = json.loads((PAGES / "manifest.json").read_text(encoding="utf-8"))
    return {e["slug"]: e for e in entries}


@cache
def documents() -> dict[str, DocumentConfig]:
    """The shipped sources.toml's documents, by URL."""
    return {d.url: d for d in load_config(REPO / "monitor" / "catalogue.toml").documents()}


def html_slugs() -> list[str]:
    if not PAGES.is_dir():
        return []
    return sorted(s for s, e in manifest().items() if e["file"].endswith(".html"))


@cache
def extraction(slug: str) -> tuple[DocumentConfig, Extraction]:
    entry = manifest()[slug]
    doc = documents().get(entry["url"])
    assert doc is not None, f"{slug}: {entry['url']} is not in the shipped sources.toml"
    content = (PAGES / entry["file"]).read_bytes()
    return doc, extract(content, "text/html", doc)


def configured(slug: str) -> ClauseResult:
    doc, ex = extraction(slug)
    return find_clauses(ex, doc.clauses)


def defaults_only(slug: str) -> ClauseResult:
    _, ex = extraction(slug)
    return find_clauses(Extraction(ex.blocks))


def test_every_html_page_is_a_shipped_document_with_the_manifest_region() -> None:
    """Each corpus page is watched by sources.toml with the region selectors that work on it."""
    for slug in html_slugs():
        entry = manifest()[slug]
        doc = documents()[entry["url"]]
        assert list(doc.select) == entry["select"], slug
        assert list(doc.remove) == entry["remove"], slug


@pytest.mark.parametrize("slug", html_slugs())
def test_configured_clause_selectors_match(slug: str) -> None:
    """Every clause selector and heading the shipped config gives for the page matches."""
    doc, ex = extraction(slug)
    result = find_clauses(ex, doc.clauses)
    assert ex.clause_misses == ()
    assert result.misses == ()
    for rule in doc.clauses:
        assert result.clauses[rule.key].source == ("select" if rule.select else "heading")


@pytest.mark.parametrize("slug", html_slugs())
def test_no_clause_swallows_most_of_the_document(slug: str) -> None:
    """No clause takes more than 40% of a document's text (short single-topic pages aside)."""
    _, ex = extraction(slug)
    if len(ex.text) <= LARGE_DOCUMENT:
        pytest.skip("short single-topic page: one clause may be most of it")
    for result in (configured(slug), defaults_only(slug)):
        for key, clause in result.clauses.items():
            share = len(clause.text) / len(ex.text)
            assert share <= MAX_CLAUSE_SHARE, f"{slug}/{key} takes {share:.0%}"


def test_pdf_page_retention_found_by_default_rules() -> None:
    """The law-enforcement PDF: the preservation period is retention; no training clause."""
    entry = next(e for e in manifest().values() if e["file"].endswith(".pdf"))
    doc = DocumentConfig(
        "openai", "law-enforcement", "Law Enforcement Policy", "OpenAI", entry["url"], select=()
    )
    ex = extract((PAGES / entry["file"]).read_bytes(), "application/pdf", doc)
    result = find_clauses(ex)
    assert "will preserve user data for up to 90 days" in result.clauses["retention"].text
    assert "training" not in result.clauses


@cache
def gold_scores() -> list[Any]:
    """bench/gold_eval.py's scores of the default rules on every dev gold document."""
    return list(gold_eval.evaluate(CORPUS))


@pytest.mark.skipif(not GOLD.is_file(), reason="gold not available (../shared/corpus/gold)")
@pytest.mark.parametrize("key", sorted(GOLD_FLOORS))
def test_default_rules_keep_their_gold_recall_and_precision(key: str) -> None:
    """On the labelled dev documents, each clause finds at least the key sentences it found
    when last measured, takes in no more unrelated sentences, and invents no more clauses."""
    found, of, unrelated, invented = GOLD_FLOORS[key]
    totals = gold_eval.clause_totals(gold_scores(), key)
    missed = [f"{s.slug}: {m}" for s in gold_scores() for m in s.clauses[key].missed]
    assert totals.must == of, "the gold changed: re-measure with bench/gold_eval.py"
    assert totals.hit >= found, f"{key}: {totals.hit}/{of} found; missed: {missed}"
    leaked = [f"{s.slug}: {u}" for s in gold_scores() for k, u in s.unrelated if k == key]
    assert totals.unrelated <= unrelated, f"{key} holds unrelated sentences: {leaked}"
    invented_in = [s.slug for s in gold_scores() if key in s.invented]
    assert totals.invented <= invented, f"{key} reported for {invented_in}"


# With the shipped per-document settings (select / heading), over the clauses they configure:
# gold key sentences found (of how many) and unrelated labelled sentences taken in, at most.
SHIPPED_FLOORS = (89, 105, 1)


@pytest.mark.skipif(not GOLD.is_file(), reason="gold not available (../shared/corpus/gold)")
def test_shipped_clause_settings_keep_their_gold_recall() -> None:
    """The clauses the shipped sources.toml configures per document hold at least the gold
    key sentences they held when last measured, and take in no more unrelated sentences."""
    gold = gold_eval.load_gold(CORPUS)
    found = of = unrelated = 0
    for slug in html_slugs():
        doc, _ = extraction(slug)
        texts = {k: c.text for k, c in configured(slug).clauses.items()}
        keys = {rule.key for rule in doc.clauses}
        scores = gold_eval.score_clauses(gold[slug], texts)
        found += sum(scores[k].hit for k in keys if k in scores)
        of += sum(scores[k].must for k in keys if k in scores)
        unrelated += sum(1 for k, _ in gold_eval.score_unrelated(gold[slug], texts) if k in keys)
    least_found, total, most_unrelated = SHIPPED_FLOORS
    assert of == total, "the gold or the shipped settings changed: re-measure"
    assert found >= least_found
    assert unrelated <= most_unrelated
