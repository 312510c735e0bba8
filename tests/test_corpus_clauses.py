"""Clauses on real captures of the watched pages (../shared/corpus; skipped when absent).

Every page of the corpus is extracted with the shipped sources.toml (matched by URL), then
the clause finder runs twice: with the document's clause rules, and with the default rules
alone (no clause configuration), which must hold up on documents they have never seen.
Expectations are short distinctive substrings of the sentence a reviewer would point at.
"""

from __future__ import annotations

import json
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

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not PAGES.is_dir(), reason="corpus not available (../shared/corpus)"),
]

# Clause → sentences it must contain, with the shipped configuration.
EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    "openai-services-agreement": {
        "training": ("OpenAI will not use Customer Content to develop or improve the Services",),
        "retention": (
            "OpenAI will delete all Customer Content from its systems within thirty days",
        ),
        "ownership": ("(b) owns all Output", "hereby assigns to Customer all OpenAI"),
        "audit": ("completed audits, conducted by an independent auditor",),
        "subprocessors": ("extends to subcontractors or sub-processors",),
        "changes": ("OpenAI may update this Agreement, or OpenAI Policies",),
    },
    "openai-enterprise-privacy": {
        "training": ("we do not use your business data for training our models",),
        "retention": (
            "Any deleted conversations are removed from our systems within 30 days",
            "may securely retain API inputs and outputs for up to 30 days",
        ),
        "ownership": ("you own any output you rightfully receive",),
        "audit": ("SOC 2 Type 2",),
    },
    "openai-dpa": {
        "retention": ("return or delete Customer Data",),
        "audit": ("Assessing Compliance",),
        "subprocessors": ("Sub-processor obligations", "Sub-Processor List"),
    },
    "openai-data-usage": {
        "training": (
            "we may use your content to train our models",
            "You can opt out of training through our privacy portal",
            "we do not train on any inputs or outputs from our products for business users",
        ),
    },
    "openai-eu-terms": {
        "training": ("If you do not want us to use your Content to train our models",),
        "ownership": ("retain your ownership rights in Input and (b) own the Output",),
        "changes": ("We may update these Terms or our Services accordingly",),
    },
    "openai-eu-privacy": {
        "training": ("we may use Content you provide us to improve our Services",),
        "retention": (
            "retain your Personal Data for only as long as we need",
            "will be automatically deleted within 30 days",
        ),
        "subprocessors": ("Vendors and Service Providers",),
        "changes": ("We may update this policy from time to time",),
    },
    "anthropic-commercial-terms": {
        "training": ("Anthropic may not train models on Customer Content from Services",),
        "ownership": ("(b) owns its Outputs",),
        "changes": ("Anthropic may update these Terms at any time",),
    },
    "anthropic-consumer-terms": {
        "training": ("including training our models, unless you opt out of training",),
        "changes": ("We may revise and update these Terms",),
    },
    "anthropic-privacy": {
        "training": (
            "We may use your Inputs and Outputs to train and improve Anthropic AI models",
        ),
        "retention": ("Anthropic retains your personal data for as long as reasonably necessary",),
        "subprocessors": ("third parties Anthropic engages to help us process personal data",),
        "changes": ("Anthropic may update this Privacy Policy from time to time",),
    },
    "anthropic-dpa": {
        "retention": ("delete all copies of Customer Data",),
        "audit": ("Anthropic is audited annually", "to audit Anthropic"),
        "subprocessors": (
            "general authorization to engage the Subprocessors listed in Schedule 4",
            "list of subprocessors is available at",
        ),
    },
    "google-terms": {
        "ownership": ("Your content remains yours", "This licence allows Google to:"),
        "changes": ("We may update these terms and service-specific additional terms",),
    },
    "mistral-commercial-terms": {
        "training": ("Mistral AI will not use Customer Data or Outputs to train",),
        "ownership": ("(ii) owns all Output", "Mistral AI owns all right, title, and interest"),
        "changes": ("Mistral AI may update these Terms",),
    },
    "mistral-privacy": {
        "training": ("To train our artificial intelligence models",),
        "retention": ("we keep your Input and Output until you delete your account",),
        "changes": ("We may amend this Privacy Policy from time to time",),
    },
    "mistral-dpa": {
        "training": ("Training its artificial intelligence models in accordance with",),
        "retention": ("Mistral AI will delete or return to Customer all Personal Data",),
        "audit": ("Document audit", "Onsite audit"),
        "subprocessors": ("up-to-date list of its Subprocessors",),
    },
}

# With no clause configuration at all: the key sentences the default rules must still find.
DEFAULT_EXPECTED: dict[str, dict[str, tuple[str, ...]]] = {
    slug: {k: v for k, v in keys.items()} for slug, keys in EXPECTED.items()
}
DEFAULT_EXPECTED["google-terms"] = {
    "ownership": ("Your content remains yours",),
    "changes": ("We may update these terms and service-specific additional terms",),
}
DEFAULT_EXPECTED["mistral-commercial-terms"] = {
    **EXPECTED["mistral-commercial-terms"],
    "ownership": ("(ii) owns all Output",),
}

# Clauses a page does not address: they must stay absent (with defaults and configured).
NOT_TERMS_OF_DATA = ("training", "retention", "ownership", "audit", "subprocessors")
ABSENT: dict[str, tuple[str, ...]] = {
    "google-genai-terms": NOT_TERMS_OF_DATA,
    "google-genai-use-policy": NOT_TERMS_OF_DATA,
    "openai-usage-policies": NOT_TERMS_OF_DATA,
    "openai-data-usage": ("ownership", "audit", "subprocessors", "changes"),
    "anthropic-commercial-terms": ("audit", "subprocessors"),
}

# Payment, governing law, age limits, export controls: in no clause of their page.
UNRELATED: dict[str, tuple[str, ...]] = {
    "openai-services-agreement": (
        "Customer will pay OpenAI or Customer",
        "This Agreement will be governed by the Governing Laws",
        "Mandatory Arbitration",
    ),
    "anthropic-consumer-terms": ("You must be at least 18 years old", "governed by Irish law"),
    "anthropic-privacy": ("a child under the age of 18 has provided any personal data",),
    "google-terms": ("are governed by the laws of your country of residence",),
    "google-genai-terms": ("further age restrictions",),
    "mistral-commercial-terms": (
        "within thirty (30) days from the date of the invoice",
        "Fees are exclusive of all Taxes",
    ),
}


@cache
def manifest() -> dict[str, dict[str, Any]]:
    entries = json.loads((PAGES / "manifest.json").read_text(encoding="utf-8"))
    return {e["slug"]: e for e in entries}


@cache
def documents() -> dict[str, DocumentConfig]:
    """The shipped sources.toml's documents, by URL."""
    return {d.url: d for d in load_config(REPO / "sources.toml").documents()}


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
def test_clauses_hold_the_sentences_a_reviewer_expects(slug: str) -> None:
    """With the shipped config, each clause the page addresses holds its key sentences."""
    assert_expected(slug, configured(slug), EXPECTED.get(slug, {}))


@pytest.mark.parametrize("slug", html_slugs())
def test_default_rules_alone_find_the_key_sentences(slug: str) -> None:
    """With no clause configuration, the default rules still find the key sentences."""
    assert_expected(slug, defaults_only(slug), DEFAULT_EXPECTED.get(slug, {}))


@pytest.mark.parametrize("slug", html_slugs())
def test_clauses_not_addressed_stay_absent(slug: str) -> None:
    """A clause the page does not address is absent, with or without configuration."""
    for result in (configured(slug), defaults_only(slug)):
        found = set(result.clauses) & set(ABSENT.get(slug, ()))
        assert not found, f"{slug}: unexpected clauses {sorted(found)}"


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


@pytest.mark.parametrize("slug", html_slugs())
def test_unrelated_sentences_land_in_no_clause(slug: str) -> None:
    """Payment, governing law, arbitration and age sentences are in no clause of the page."""
    _, ex = extraction(slug)
    for sentence in UNRELATED.get(slug, ()):
        assert sentence in ex.text, f"{slug}: expectation out of date: {sentence!r}"
        for result in (configured(slug), defaults_only(slug)):
            holders = [k for k, c in result.clauses.items() if sentence in c.text]
            assert not holders, f"{slug}: {sentence!r} is in {holders}"


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


def assert_expected(slug: str, result: ClauseResult, expected: dict[str, tuple[str, ...]]) -> None:
    for key, sentences in expected.items():
        assert key in result.clauses, f"{slug}: no {key} clause"
        for sentence in sentences:
            assert sentence in result.clauses[key].text, f"{slug}/{key}: missing {sentence!r}"
