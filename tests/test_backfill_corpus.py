"""Backfilling the replay corpus (real archived captures, Open Terms Archive) end to end.

The local Wayback stand-in ``shared/tools/wayback_replay.py`` serves 1,200 captures of 8
documents; every capture says whether its wording really changed (``truth_changed``).
Skipped when ``../shared`` is absent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner

SHARED = Path(__file__).resolve().parents[2] / "shared"
BENCH = Path(__file__).resolve().parents[1] / "bench"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not (SHARED / "corpus" / "replay").is_dir(), reason="no ../shared corpus"),
]

if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import backfill_replay as replay  # noqa: E402
from histories import document_histories  # noqa: E402
from postgres import opened  # noqa: E402

from monitor import store  # noqa: E402
from monitor.backfill import BackfillReport, backfill  # noqa: E402
from monitor.cli import main  # noqa: E402
from monitor.config import Config, load_config  # noqa: E402
from monitor.db import open_database  # noqa: E402
from monitor.digest import preview  # noqa: E402


@dataclass(frozen=True)
class Run:
    report: BackfillReport
    again: BackfillReport
    scores: dict[str, replay.DocumentScore]
    config: Config


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One full backfill of the corpus, then a second run against the same database."""
    folder = tmp_path_factory.mktemp("corpus")
    with replay.replay_archive(SHARED) as base:
        config = load_config(replay.write_config(folder, base, replay.manifest(SHARED)))
        sessions = open_database(config.database)
        report = asyncio.run(backfill(config, sessions, config.documents()))
        again = asyncio.run(backfill(config, sessions, config.documents()))
    scores = {s.slug: s for s in replay.score(SHARED, config, sessions)}
    yield Run(report, again, scores, config)


PYWB_DOC = "xai-privacy"  # 150 captures, 14 real wording changes: the most of the corpus


@pytest.fixture(scope="module")
def pywb_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, BackfillReport]]:
    """The captures of PYWB_DOC written to a WARC, served by a stock pywb, backfilled."""
    folder = tmp_path_factory.mktemp("pywb-corpus")
    docs = [d for d in replay.manifest(SHARED) if d["slug"] == PYWB_DOC]
    with replay.pywb_archive(SHARED, folder / "archive", docs) as base:
        config = load_config(replay.write_config(folder, base, docs, kind="pywb"))
        with opened(config.database) as sessions:
            report = asyncio.run(backfill(config, sessions, config.documents()))
    yield config, report


def test_a_stock_pywb_gives_the_same_history_as_the_stand_in(
    corpus_run: Run, pywb_run: tuple[Config, BackfillReport]
) -> None:
    """Backfilled through pywb 2.10 (NDJSON listing, no server-side collapse, collection
    paths), a document gets exactly the versions, changes and severities it gets through
    the Internet Archive stand-in: 0 false and 0 missed changes."""
    config, report = pywb_run
    summary = report.as_dict()
    assert summary["listed"] == corpus_run.scores[PYWB_DOC].captures
    assert summary["warnings"] == [] and summary["substantive_changes"] > 10
    via_pywb = document_histories(config.database)[PYWB_DOC]
    assert via_pywb == document_histories(corpus_run.config.database)[PYWB_DOC]
    with opened(config.database) as sessions:
        [score] = [s for s in replay.score(SHARED, config, sessions) if s.slug == PYWB_DOC]
    assert (score.false, score.missed) == ([], []) and score.truth


def test_every_listed_capture_is_fetched_and_processed(corpus_run: Run) -> None:
    """All captures are listed and fetched; the only problems reported are older layouts."""
    summary = corpus_run.report.as_dict()
    assert summary["documents"] == 8
    assert summary["listed"] == summary["captures"] > 1000
    assert {e["kind"] for e in summary["errors"]} <= {"selector", "collapsed"}


def test_a_second_run_fetches_nothing(corpus_run: Run) -> None:
    """The second backfill of the whole corpus lists again and skips every capture."""
    summary = corpus_run.again.as_dict()
    assert summary["captures"] == 0 and summary["versions"] == 0
    assert summary["skipped"] == corpus_run.report.as_dict()["listed"]


@pytest.mark.parametrize(
    "slug", [d["slug"] for d in replay.manifest(SHARED)] if SHARED.is_dir() else []
)
def test_substantive_changes_are_found_where_the_wording_changed(
    corpus_run: Run, slug: str
) -> None:
    """Each document's substantive changes sit exactly at the captures marked truth_changed."""
    score = corpus_run.scores[slug]
    assert (score.false, score.missed) == ([], []), (
        f"{slug}: false changes at {score.false}, missed changes at {score.missed}"
    )


# -- reports on the backfilled corpus (compare, export, site) ------------------------------


def cli_json(config: Config, *args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--json", "--config", str(config.path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_compare_json_on_the_corpus_dates_every_stated_position(corpus_run: Run) -> None:
    """`compare --json` has every corpus document at its latest version; each stated value
    has evidence and a `since` that is the capture time of one of the document's versions,
    at or before the version shown."""
    matrix = cli_json(corpus_run.config, "compare")
    assert len(matrix["documents"]) == 8
    stated = 0
    for doc in matrix["documents"]:
        history = cli_json(corpus_run.config, "history", doc["provider"], doc["document"])
        times = [v["captured_at"] for v in history["versions"]]
        assert doc["version"] == len(times) and doc["captured_at"] == times[-1]
        for key, cell in doc["positions"].items():
            assert cell["since"] in times and cell["since"] <= doc["captured_at"], key
            if cell["value"] is not None:
                stated += 1
                assert cell["evidence"], (doc["document"], key)
    assert stated >= 20


def test_exports_of_the_corpus_carry_verifiable_provenance(corpus_run: Run, tmp_path: Path) -> None:
    """`export --all --format json` writes every document; each snapshot hash is that of the
    stored capture bytes and the archive URL names that capture."""
    out = tmp_path / "export"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "--all",
            "--format",
            "json",
            "--output",
            str(out),
            "--config",
            str(corpus_run.config.path),
        ],
    )
    assert result.exit_code == 0, result.output
    sessions = open_database(corpus_run.config.database)
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))["documents"]
    assert len(index) == 8
    with sessions() as s:
        for entry in index:
            data = json.loads((out / entry["file"]).read_text(encoding="utf-8"))
            raw = store.load_snapshot(s, data["snapshot_sha256"])
            assert hashlib.sha256(raw).hexdigest() == data["snapshot_sha256"]
            stamp = data["captured_at"].replace("-", "").replace(":", "").replace("T", "")[:14]
            assert data["origin"] == "archive" and f"/web/{stamp}/" in data["archive_url"]
            assert data["archive_url"].endswith(data["url"])


def test_site_of_the_corpus_has_a_feed_entry_per_substantive_change(
    corpus_run: Run, tmp_path: Path
) -> None:
    """The site of the corpus builds; its global feed parses and holds one entry per
    substantive change of the history, each with a distinct id."""
    result = CliRunner().invoke(
        main, ["site", str(tmp_path / "site"), "--config", str(corpus_run.config.path)]
    )
    assert result.exit_code == 0, result.output
    total = 0
    for doc in corpus_run.config.documents():
        history = cli_json(corpus_run.config, "history", doc.provider, doc.id)
        total += sum(
            1 for v in history["versions"] if v["change"] and v["change"]["kind"] == "substantive"
        )
        assert (tmp_path / "site" / doc.provider / doc.id / "index.html").is_file()
    parsed = feedparser.parse((tmp_path / "site" / "feed.atom").read_bytes())
    assert not parsed.bozo and len(parsed.entries) == total > 50
    assert len({e.id for e in parsed.entries}) == total


def test_digest_of_the_corpus_history_reads_top_down(corpus_run: Run) -> None:
    """The digest of the whole backfilled history opens with the counts, then the table of
    position changes, then the next sections; it counts every substantive change (as a
    change or as a return to an earlier text)."""
    sessions = open_database(corpus_run.config.database)
    message = preview(corpus_run.config, sessions, since=datetime(2000, 1, 1, tzinfo=UTC))
    text = message.text
    overview = text.index("Overview: ")
    table = text.index("######## Position changes ########")
    assert overview < table < text.index("######## ", table + 10)
    shown = re.search(r"Overview: (\d+) substantive changes? \(", text)
    returns = re.search(r"(\d+) returns? to earlier text", message.subject)
    total = sum(len(s.found) for s in corpus_run.scores.values())
    assert shown is not None
    assert int(shown.group(1)) + (int(returns.group(1)) if returns else 0) == total
