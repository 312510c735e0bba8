#!/usr/bin/env python3
"""Replay real archived captures through the real check pipeline and score every alert.

    python bench/replay_eval.py [CORPUS_DIR] [--json] [--jobs N] [--only SLUG ...]

The replay corpus (``corpus/replay``: ``manifest.json`` plus one ``SLUG.jsonl.xz`` per
document) holds real captures of provider legal pages, each marked ``truth_changed`` when the
words of the tracked region changed since the previous capture. For every document this
writes a ``sources.toml`` from the manifest (url, select, remove) into a temporary folder,
opens a fresh SQLite database there, and feeds the captures in chronological order to
``capture.process_capture`` as live checks, one transaction per capture, exactly as
``tosmon check`` records a fetched page. Then, per document:

* false alert: a substantive change was recorded but truth reports no change since the last
  capture that was recorded;
* missed: truth reports a change since the last recorded capture but no substantive change
  was recorded;
* refused: the pipeline reported an error (selector miss, collapsed page); the next good
  capture is compared with the last good one, as ``bench/extract_noise.py`` does (a truth
  change followed only by refused captures is *unscored*, reported separately).

Exits 1 when any document has a false alert or a missed change. ``--jobs`` replays
documents in parallel processes (each with its own database); figures are the same.

Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0.
"""

from __future__ import annotations

import argparse
import json
import lzma
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from monitor import store
from monitor.capture import Attempt, Capture, DocumentReport, process_capture
from monitor.config import DocumentConfig, load_config
from monitor.db import SessionFactory, open_database
from monitor.models import Change

CREDIT = "Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0."
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CONTENT_TYPE = "text/html; charset=utf-8"
# A return to an earlier text (revert) changes the words too: it is scored like a change.
WORD_CHANGES = ("substantive", "revert")


@dataclass
class DocumentResult:
    """How the pipeline's record of one document compares with the corpus truth."""

    slug: str
    captures: int = 0
    truth_changes: int = 0
    substantive: int = 0  # substantive changes recorded
    alerts: int = 0  # of which left pending for alerting (live origin)
    cosmetic: int = 0  # cosmetic versions recorded (stored, never alerted)
    reverts: int = 0  # returns to a recent text (stored, never alerted)
    false_alerts: list[str] = field(default_factory=list)  # captured_at of each
    missed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "captured_at: error kind"
    unscored: int = 0  # truth changes after the last good capture (refused to the end)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.false_alerts and not self.missed


def load_manifest(corpus: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        (corpus / "replay" / "manifest.json").read_text(encoding="utf-8")
    )
    return data


def provider_id(name: str) -> str:
    """``Mistral AI`` → ``mistral-ai`` (a valid sources.toml id)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def write_sources(folder: Path, entry: dict[str, Any]) -> Path:
    """A sources.toml watching one manifest document, with its own SQLite database."""
    pid = provider_id(str(entry["provider"]))
    lines = [
        "[monitor]",
        f"database = {json.dumps('sqlite:///' + str(folder / 'tosmon.db'))}",
        "",
        f"[providers.{pid}]",
        f"name = {json.dumps(entry['provider'])}",
        "",
        f"[providers.{pid}.documents.{entry['slug']}]",
        f"name = {json.dumps(entry['document'])}",
        f"url = {json.dumps(entry['url'])}",
        f"select = {json.dumps(entry['select'])}",
        f"remove = {json.dumps(entry['remove'])}",
    ]
    path = folder / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def captures(corpus: Path, entry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The document's captures, oldest first."""
    with lzma.open(corpus / "replay" / str(entry["file"]), "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    yield from sorted(rows, key=lambda c: str(c["captured_at"]))


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_one(sessions: SessionFactory, doc: DocumentConfig, cap: dict[str, Any]) -> DocumentReport:
    """One capture recorded as a live check would record it: one transaction."""
    at = parse_time(str(cap["captured_at"]))
    content = str(cap["html"]).encode("utf-8")
    url = str(cap.get("url") or doc.url)
    attempt = Attempt(at, url, final_url=url, status=200)
    with sessions.begin() as s:
        return process_capture(s, doc, Capture(content, CONTENT_TYPE, at, "live"), attempt)


def replay_document(corpus: Path, entry: dict[str, Any], folder: Path) -> DocumentResult:
    """Replay one document's captures into a fresh database in ``folder`` and score them."""
    config = load_config(write_sources(folder, entry))
    [doc] = config.documents()
    sessions = open_database(config.database)
    result = DocumentResult(str(entry["slug"]))
    pending = False  # truth reported a change since the last recorded capture
    baseline = False  # a first good capture has been recorded
    for cap in captures(corpus, entry):
        result.captures += 1
        result.truth_changes += bool(cap["truth_changed"])
        pending = pending or bool(cap["truth_changed"])
        started = time.perf_counter()
        report = check_one(sessions, doc, cap)
        result.seconds += time.perf_counter() - started
        when = str(cap["captured_at"])
        if report.outcome in ("error", "suspect"):  # a held suspect defers like a refusal
            result.refused.append(f"{when}: {report.error_kind or report.outcome}")
            continue
        kind = (report.change or {}).get("kind")
        result.cosmetic += kind == "cosmetic"
        result.reverts += kind == "revert"
        worded = kind in WORD_CHANGES
        if baseline and worded and not pending:
            result.false_alerts.append(when)
        elif baseline and pending and not worded:
            result.missed.append(when)
        baseline, pending = True, False
    result.unscored = int(pending)
    result.substantive, result.alerts = stored_counts(sessions, doc)
    sessions.kw["bind"].dispose()
    return result


def stored_counts(sessions: SessionFactory, doc: DocumentConfig) -> tuple[int, int]:
    """(substantive changes, of which pending alerts) as stored in the database."""
    with sessions() as s:
        row = store.find_document(s, doc.provider, doc.id)
        assert row is not None
        base = (
            select(func.count())
            .select_from(Change)
            .where(Change.document_id == row.id, Change.kind == "substantive")
        )
        total = s.scalar(base) or 0
        alerts = s.scalar(base.where(Change.alert == "pending")) or 0
    return total, alerts


def _replay_in_temp(corpus: Path, entry: dict[str, Any]) -> DocumentResult:
    with tempfile.TemporaryDirectory(prefix="replay-eval-") as tmp:
        return replay_document(corpus, entry, Path(tmp))


def run(corpus: Path, only: list[str] | None = None, jobs: int = 1) -> list[DocumentResult]:
    """Replay every manifest document (or those in ``only``); results in manifest order."""
    entries = [e for e in load_manifest(corpus) if not only or e["slug"] in only]
    if jobs <= 1:
        return [_replay_in_temp(corpus, e) for e in entries]
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited engines
    with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
        return list(pool.map(_replay_in_temp, [corpus] * len(entries), entries))


# -- output --------------------------------------------------------------------------------

COLUMNS = (
    "document",
    "captures",
    "truth changes",
    "substantive",
    "false alerts",
    "missed",
    "cosmetic",
    "reverts",
    "refused",
    "seconds",
)


def _counts(r: DocumentResult) -> list[int]:
    """The integer columns of one row, in ``COLUMNS`` order."""
    return [
        r.captures,
        r.truth_changes,
        r.substantive,
        len(r.false_alerts),
        len(r.missed),
        r.cosmetic,
        r.reverts,
        len(r.refused),
    ]


def markdown(results: list[DocumentResult], wall: float) -> str:
    """The results as a Markdown table, with totals, wall time and the data credit."""
    rows = [[r.slug, *map(str, _counts(r)), f"{r.seconds:.1f}"] for r in results]
    totals = [sum(col) for col in zip(*(_counts(r) for r in results), strict=True)]
    seconds = sum(r.seconds for r in results)
    rows.append(["**total**", *map(str, totals), f"{seconds:.1f}"])
    lines = [
        "| " + " | ".join(COLUMNS) + " |",
        "| --- |" + " ---: |" * (len(COLUMNS) - 1),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        f"Wall time: {wall:.1f} s for {totals[0] if totals else 0} captures through "
        "`capture.process_capture` (live checks, temporary SQLite).",
    ]
    for r in results:
        if r.unscored:
            lines.append(f"- {r.slug}: a truth change after the last good capture is unscored")
        if not r.ok:
            lines.append(f"- {r.slug}: false alerts at {r.false_alerts}, missed at {r.missed}")
    lines.append(CREDIT)
    return "\n".join(lines)


def as_json(results: list[DocumentResult], wall: float) -> dict[str, Any]:
    return {
        "documents": [{**asdict(r), "ok": r.ok} for r in results],
        "ok": all(r.ok for r in results),
        "wall_seconds": round(wall, 2),
        "credit": CREDIT,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--jobs", type=int, default=1, help=f"processes (CPUs: {os.cpu_count()})")
    parser.add_argument("--only", nargs="+", metavar="SLUG", help="only these documents")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = run(args.corpus, args.only, args.jobs)
    wall = time.perf_counter() - start
    if args.json:
        print(json.dumps(as_json(results, wall), indent=2))
    else:
        print(markdown(results, wall))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
