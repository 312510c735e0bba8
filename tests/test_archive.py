"""Reading Wayback-compatible archives: both CDX forms, paging, templates (stand-in server)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from test_backfill import DOC_URL, V1, V2, V3, history, page, run_json, serve, write_config
from wayback import FakeWayback

from monitor.archive import (
    ArchivedCapture,
    capture_url,
    cdx_url,
    collapse_digests,
    layout,
    read_cdx,
)
from monitor.backfill import backfill
from monitor.config import load_config
from monitor.db import open_database

ROW = {"urlkey": "k", "mime": "text/html", "status": "200", "length": "9"}


def ndjson(*records: dict[str, str]) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


def test_ndjson_answers_with_pywb_field_names_are_read() -> None:
    """pywb's NDJSON (`url`, `status`, `mime`) gives the same captures as the JSON array."""
    body = ndjson(
        ROW | {"timestamp": "20230102000000", "url": DOC_URL, "digest": "B"},
        ROW | {"timestamp": "20230101000000", "url": DOC_URL, "digest": "A"},
        ROW | {"timestamp": "20230103000000", "url": DOC_URL, "digest": "C", "status": "301"},
    )
    answer = read_cdx(body)
    assert [(c.timestamp, c.original, c.digest, c.mimetype) for c in answer.captures] == [
        ("20230101000000", DOC_URL, "A", "text/html"),
        ("20230102000000", DOC_URL, "B", "text/html"),
    ]
    assert answer.rows == 3 and answer.resume_key is None


def test_fuzzy_rows_are_dropped_in_either_form() -> None:
    """Rows marked is_fuzzy (pywb's fallback when nothing matched) are not captures."""
    fuzzy = ROW | {"timestamp": "20230101000000", "url": DOC_URL, "is_fuzzy": "1"}
    assert read_cdx(ndjson(fuzzy)).captures == [] and read_cdx(ndjson(fuzzy)).fuzzy == 1
    table = [
        ["timestamp", "original", "statuscode", "is_fuzzy"],
        ["20230101000000", DOC_URL, "200", "1"],
    ]
    assert read_cdx(json.dumps(table)).captures == []


def test_a_resume_key_and_a_page_count_are_read() -> None:
    """The Internet Archive's trailing `[]`, `[key]` and pywb's page count are paging, not rows."""
    table = [["timestamp", "original"], ["20230101000000", DOC_URL], [], ["next-key"]]
    answer = read_cdx(json.dumps(table))
    assert answer.resume_key == "next-key" and len(answer.captures) == 1
    assert read_cdx(b'{"blocks": 3, "pages": 2, "pageSize": 5}').pages == 2


def test_equal_adjacent_digests_collapse_to_the_first_capture() -> None:
    """pywb ignores collapse=digest: runs of one digest keep their first capture only."""
    caps = [ArchivedCapture(f"2023010{d}000000", DOC_URL, dig) for d, dig in enumerate("AABAC", 1)]
    kept = collapse_digests(reversed(caps))
    assert [(c.timestamp[:8], c.digest) for c in kept] == [
        ("20230101", "A"),
        ("20230103", "B"),
        ("20230104", "A"),
        ("20230105", "C"),
    ]


def test_templates_override_the_layout() -> None:
    """cdx_url / capture_url templates place {url} and {timestamp} where another server wants."""
    where = layout(
        "pywb",
        "http://h/coll",
        cdx="http://h/index?q={url}",
        capture="http://h/raw/{timestamp}/{url}",
    )
    capture = ArchivedCapture("20230105120000", DOC_URL)
    assert capture_url(where, capture) == f"http://h/raw/20230105120000/{DOC_URL}"
    query = cdx_url(where, DOC_URL)
    assert query.startswith("http://h/index?q=https%3A%2F%2Facme.example%2Fterms&output=json")
    assert "url=" not in query


def test_resume_keys_are_followed_until_the_listing_ends(tmp_path: Path) -> None:
    """An archive answering 3 rows at a time with resume keys: all 8 captures are listed."""
    with FakeWayback() as archive:
        archive.max_rows = 3
        for day in range(8):
            archive.add(DOC_URL, f"2023010{day + 1}000000", page(f"Rule number {day}."))
        config = write_config(tmp_path, archive.base)
        summary = run_json(config)
        keys = [q.get("resumeKey") for q in archive.cdx_requests()]
    assert summary["listed"] == summary["captures"] == 8 and summary["warnings"] == []
    assert keys == [None, "3", "6"]


def test_a_server_limit_without_resume_key_is_continued_from_the_last_capture(
    tmp_path: Path,
) -> None:
    """Answers cut silently at a full page are continued with from=<last timestamp>."""
    with FakeWayback() as archive:
        serve(archive, ("20230101000000", V1), ("20230102000000", V2), ("20230103000000", V3))
        archive.max_rows = 2
        archive.ignore_keys = ["showResumeKey"]  # an archive that never sends resume keys
        config = load_config(write_config(tmp_path, archive.base))
        report = asyncio.run(
            backfill(config, open_database(config.database), config.documents(), page_rows=2)
        )
        starts = [q.get("from") for q in archive.cdx_requests()]
    [entry] = report.documents
    assert entry.listed == 3 and entry.warnings == []
    assert starts == [None, "20230102000000", "20230103000000"]
    assert [row[0] for row in history(tmp_path / "sources.toml")] == [
        "20230101000000",
        "20230102000000",
        "20230103000000",
    ]


def test_an_archive_ignoring_from_is_a_warning_not_a_silent_cut(tmp_path: Path) -> None:
    """Cut at its limit and deaf to from=: the report warns that the listing may be cut."""
    with FakeWayback() as archive:
        serve(archive, ("20230101000000", V1), ("20230102000000", V2), ("20230103000000", V3))
        archive.max_rows, archive.ignore_from = 2, True
        archive.ignore_keys = ["showResumeKey"]
        config = load_config(write_config(tmp_path, archive.base))
        report = asyncio.run(
            backfill(config, open_database(config.database), config.documents(), page_rows=2)
        )
    [entry] = report.documents
    assert entry.listed == 2
    [warning] = entry.warnings
    assert "ignores from=" in warning and "2 captures listed, the last at 20230102000000" in warning
