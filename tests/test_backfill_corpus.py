"""Backfilling the replay corpus (real archived captures, Open Terms Archive) end to end.

The local Wayback stand-in ``shared/tools/wayback_replay.py`` serves 1,200 captures of 8
documents; every capture says whether its wording really changed (``truth_changed``).
Skipped when ``../shared`` is absent.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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

from monitor.backfill import BackfillReport, backfill  # noqa: E402
from monitor.config import load_config  # noqa: E402
from monitor.db import open_database  # noqa: E402


@dataclass(frozen=True)
class Run:
    report: BackfillReport
    again: BackfillReport
    scores: dict[str, replay.DocumentScore]


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
    yield Run(report, again, scores)


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
