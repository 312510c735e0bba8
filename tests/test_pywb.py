"""Backfill through a real pywb 2.10 (WARCs written here, `wb-manager`, `wayback`).

pywb differs from the Internet Archive in every way the issue found: collection-root
paths, NDJSON listings with other field names, no `collapse=digest`, fuzzy fallbacks,
200 + Memento-Datetime for a nearby timestamp, and answers cut at its `query_limit`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pywb import Pywb
from test_backfill import OLD_LAYOUT, V1, V1_REDONE, V2, V3, history, page, run_json, write_config

from monitor.archive import ArchivedCapture, capture_url, format_timestamp, layout
from monitor.backfill import archive_fetch_settings, captured_timestamp
from monitor.config import load_config
from monitor.fetch import Fetcher

DOC_URL = "https://acme.example/terms"
GONE_URL = "https://acme.example/legal"
STEPS = [
    ("20230101000000", V1),
    ("20230102000000", V1),  # same bytes: one digest, collapsed by tos-monitor
    ("20230103000000", V1),
    ("20230104000000", V1_REDONE),  # other bytes, same wording: not a new version
    ("20230201000000", OLD_LAYOUT),  # the selectors match nothing: reported
    ("20230301000000", V2),
    ("20230401000000", V3),
]


@pytest.fixture(scope="module")
def pywb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pywb]:
    archive = Pywb(tmp_path_factory.mktemp("pywb"))
    for timestamp, html in STEPS:
        archive.add(DOC_URL, timestamp, html)
    archive.add(GONE_URL, "20230101000000", "<main>Not found</main>", "404 Not Found")
    with archive:
        yield archive


def test_backfill_through_pywb_records_the_exact_history(tmp_path: Path, pywb: Pywb) -> None:
    """Every distinct capture is fetched from the collection once; versions and changes
    land at the capture times; a second run fetches nothing."""
    config = write_config(tmp_path, pywb.base, kind="pywb")
    summary = run_json(config)
    assert summary["listed"] == 5  # 7 captures, 2 repeats of the first digest collapsed
    assert summary["captures"] == 5 and summary["warnings"] == []
    assert [e["kind"] for e in summary["errors"]] == ["selector"]
    assert history(config) == [
        ("20230101000000", "archive", None, None),
        ("20230301000000", "archive", "substantive", "none"),
        ("20230401000000", "archive", "substantive", "none"),
    ]
    again = run_json(config)
    assert again["captures"] == 0 and again["skipped"] == 5


def test_fuzzy_matches_are_not_taken_for_captures(tmp_path: Path, pywb: Pywb) -> None:
    """pywb answers a query nothing matches (only a 404 was archived) with fuzzy rows:
    nothing is recorded, and the report warns that the url has no successful capture."""
    config = write_config(tmp_path, pywb.base, doc_url=GONE_URL, kind="pywb")
    summary = run_json(config)
    assert summary["listed"] == 0 and summary["versions"] == 0 and summary["errors"] == []
    [warning] = summary["warnings"]
    assert warning.startswith("acme/terms: the archive has no successful capture of " + GONE_URL)
    assert "only 1 row(s) of fuzzy matches" in warning and "check the document's url" in warning
    assert history(config) == []


def test_a_nearby_timestamp_is_stored_at_the_time_pywb_says(tmp_path: Path, pywb: Pywb) -> None:
    """Asked for a time between captures, pywb answers 200 with Memento-Datetime; that time,
    not the one asked for, is the capture's."""
    config = load_config(write_config(tmp_path, pywb.base, kind="pywb"))
    asked = ArchivedCapture("20230302120000", DOC_URL)

    async def fetch() -> str:
        async with Fetcher(archive_fetch_settings(config)) as fetcher:
            result = await fetcher.fetch(capture_url(config.archive.layout, asked))
        assert result.status == 200 and result.content is not None
        assert b"unless you opt out" in result.content
        return captured_timestamp(result, asked)

    assert asyncio.run(fetch()) == "20230301000000"


def test_a_query_limit_does_not_cut_the_listing(tmp_path: Path) -> None:
    """pywb with `query_limit: 7` cuts every CDX answer at 7 rows without saying so; the
    backfill still lists and records all 40 captures."""
    archive = Pywb(tmp_path / "limited", query_limit=7)
    for n in range(40):
        wording = f"We keep your conversations for {30 + n // 4} days."
        when = format_timestamp(datetime(2023, 1, 1, tzinfo=UTC) + timedelta(hours=n))
        archive.add(DOC_URL, when, page(wording, noise=f"build {n}"))
    with archive:
        config = write_config(tmp_path, archive.base, kind="pywb")
        summary = run_json(config)
    assert summary["listed"] == summary["captures"] == 40 and summary["warnings"] == []
    changes = [row for row in history(config) if row[2] == "substantive"]
    assert len(changes) == 9  # the wording changes every 4 captures (other bytes each time)


def test_pywb_paths_are_the_collection_root() -> None:
    """kind = "pywb": the CDX endpoint and raw captures sit right under the collection."""
    where = layout("pywb", "http://h:8080/my-coll/")
    capture = ArchivedCapture("20230105120000", DOC_URL)
    assert capture_url(where, capture) == f"http://h:8080/my-coll/20230105120000id_/{DOC_URL}"
    assert where.cdx == "http://h:8080/my-coll/cdx"
