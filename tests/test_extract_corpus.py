"""Extraction reads every real page and capture of ../shared/corpus as the original
BeautifulSoup extractor did, except the listed fixes (skipped when the corpus is absent).

The fast path (lxml tree, selectors translated to XPath) must not change a single reading;
the fixes are those of issue 16: words glued across adjacent boxes ("UpdatedMarch 14, 2023",
"Effective June 17, 2025Previous Version") now read apart.

``tests/fixtures/corpus_extract_digests.json`` holds, per corpus page and replay capture, a
fingerprint of what the BeautifulSoup/soupsieve extractor gave before the lxml fast path:
its normalized text, clause blocks, clause misses and truncation sign, or its error. Only
fingerprints are stored, never corpus text. A changed reading is allowed only where it
fixes a documented extraction defect, and each such text is listed in ``FIXES``.

Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from monitor.extract import decode
from monitor.html_tree import LxmlTree, SoupTree, parse_html

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
DIGESTS = REPO / "tests" / "fixtures" / "corpus_extract_digests.json"
if str(REPO / "bench") not in sys.path:
    sys.path.insert(0, str(REPO / "bench"))

import extract_corpus  # noqa: E402

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(
        not (CORPUS / "pages").is_dir() or not (CORPUS / "replay").is_dir(),
        reason="corpus not available (../shared/corpus)",
    ),
]


@dataclass(frozen=True)
class Fix:
    """A reading that changed on purpose: in the cases of ``document`` (``pages/SLUG`` or
    ``replay/SLUG``), ``before`` now reads ``after`` (a fragment with enough context)."""

    document: str
    before: str
    after: str


# Words glued across adjacent inline elements that a reader sees apart (issue 16): the
# corpus texts that change, each once per document (most repeat in many captures).
FIXES: tuple[Fix, ...] = (
    Fix(
        "pages/anthropic-aup",
        "September 15, 2025Previous Version",
        "September 15, 2025 Previous Version",
    ),
    Fix(
        "pages/anthropic-commercial-terms",
        "June 17, 2025Previous Version",
        "June 17, 2025 Previous Version",
    ),
    Fix(
        "pages/anthropic-consumer-terms",
        "October 8, 2025Previous Version",
        "October 8, 2025 Previous Version",
    ),
    Fix("pages/anthropic-privacy", "July 8, 2026Previous Version", "July 8, 2026 Previous Version"),
    Fix(
        "pages/openai-services-agreement", "Download PDFView previous", "Download PDF View previous"
    ),
    Fix("replay/openai-privacy", "UpdatedJune 23, 2023", "Updated June 23, 2023"),
    Fix("replay/openai-privacy", "UpdatedNovember 13, 2023", "Updated November 13, 2023"),
    Fix("replay/openai-privacy", "UpdatedNovember 14, 2023", "Updated November 14, 2023"),
    Fix("replay/openai-terms", "UpdatedMarch 14, 2023", "Updated March 14, 2023"),
    Fix("replay/openai-terms", "UpdatedNovember 14, 2023", "Updated November 14, 2023"),
)


def document_of(name: str) -> str:
    """``replay/SLUG@CAPTURED_AT`` → ``replay/SLUG``; ``pages/SLUG`` stays."""
    return name.split("@")[0]


def undo_fixes(name: str, result: dict[str, object]) -> tuple[dict[str, object], set[Fix]]:
    """``result`` with each listed fix of its document reverted, and the fixes that applied."""
    used: set[Fix] = set()

    def revert(text: str) -> str:
        for fix in FIXES:
            if fix.document == document_of(name) and fix.after in text:
                used.add(fix)
                text = text.replace(fix.after, fix.before)
        return text

    undone = dict(result)
    if isinstance(result.get("text"), str):
        undone["text"] = revert(str(result["text"]))
    clauses = result.get("clauses")
    if isinstance(clauses, dict):
        undone["clauses"] = {k: [revert(line) for line in v] for k, v in clauses.items()}
    return undone, used


@cache
def readings() -> tuple[dict[str, str], set[Fix], dict[str, dict[str, object]]]:
    """Fingerprint per case (fixes undone), the fixes seen, and every case's outcome."""
    digests: dict[str, str] = {}
    seen: set[Fix] = set()
    outcomes: dict[str, dict[str, object]] = {}
    for case in extract_corpus.cases(CORPUS):
        result = extract_corpus.outcome(case)
        outcomes[case.name] = result
        undone, used = undo_fixes(case.name, result)
        seen |= used
        digests[case.name] = extract_corpus.digest(undone)
    return digests, seen, outcomes


def test_every_page_and_capture_reads_as_before_except_the_listed_fixes() -> None:
    """All 20 pages and 1,200 replay captures give the text, clauses, misses, truncation
    sign or error the BeautifulSoup extractor gave; differences are only the listed fixes."""
    expected: dict[str, str] = json.loads(DIGESTS.read_text(encoding="utf-8"))
    digests, _, _ = readings()
    assert sorted(digests) == sorted(expected)
    assert len(digests) == 1220
    differing = [name for name, d in digests.items() if d != expected[name]]
    assert differing == []


def test_every_listed_fix_is_seen_in_the_corpus_and_the_old_reading_is_gone() -> None:
    """Each listed fix changes at least one reading, and no reading keeps the glued text."""
    _, seen, outcomes = readings()
    assert set(FIXES) == seen
    for fix in FIXES:
        texts = [
            str(r.get("text", "")) for n, r in outcomes.items() if document_of(n) == fix.document
        ]
        assert any(fix.after in t for t in texts), fix
        assert not any(fix.before in t for t in texts), fix


def html_pages() -> list[extract_corpus.Case]:
    if not (CORPUS / "pages").is_dir():
        return []
    return [c for c in extract_corpus.page_cases(CORPUS) if c.content_type == "text/html"]


@pytest.mark.parametrize("case", html_pages(), ids=lambda c: c.slug)
def test_lxml_and_soupsieve_trees_give_the_same_region_blocks(case: extract_corpus.Case) -> None:
    """On each corpus page, the lxml tree with translated selectors and the BeautifulSoup
    tree with soupsieve remove the same elements and read the same tracked region."""
    html = decode(case.content, case.content_type)
    fast = parse_html(html, [case.doc.remove, case.doc.select])
    assert isinstance(fast, LxmlTree)  # the page's region selectors are simple ones
    slow = SoupTree(html)
    readings_ = []
    for tree in (fast, slow):
        if case.doc.remove:
            tree.remove(case.doc.remove)
        regions = tree.select(case.doc.select)
        assert regions
        readings_.append([b.line() for b in tree.blocks(regions)])
    assert readings_[0] == readings_[1]
    assert len(readings_[0]) >= 10
