#!/usr/bin/env python3
"""Backfill every document of the replay corpus from a local Wayback stand-in, and score it.

    python bench/backfill_replay.py [--shared ../shared] [--keep DIR] [--pywb]

Starts ``shared/tools/wayback_replay.py`` on 127.0.0.1, writes a sources.toml with the
corpus documents (selectors from ``corpus/replay/manifest.json``), runs a full backfill
into a fresh SQLite database, and prints captures/second and, per document, the
substantive changes found against the captures marked ``truth_changed``:
*false* (a substantive change where there is none) and *missed* (none where there is one).
With ``--pywb`` the same captures are written to a WARC and served by a stock pywb
(``kind = "pywb"``; needs the test extra: pywb, warcio).

Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import lzma
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor import store
from monitor.archive import format_timestamp
from monitor.backfill import BackfillReport, backfill
from monitor.config import Config, load_config
from monitor.db import SessionFactory, open_database

CREDIT = "Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0."
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"


@dataclass(frozen=True)
class DocumentScore:
    slug: str
    captures: int  # captures in the corpus file
    truth: frozenset[str]  # timestamps of captures with truth_changed
    found: frozenset[str]  # timestamps of recorded substantive changes

    @property
    def false(self) -> list[str]:
        return sorted(self.found - self.truth)

    @property
    def missed(self) -> list[str]:
        return sorted(self.truth - self.found)


@contextmanager
def replay_archive(shared: Path) -> Iterator[str]:
    """Run the replay tool on a free port; yield its base URL."""
    tool = shared / "tools" / "wayback_replay.py"
    corpus = shared / "corpus" / "replay"
    proc = subprocess.Popen(
        [sys.executable, str(tool), "--port", "0", "--corpus", str(corpus)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match is None:
            raise RuntimeError(f"wayback_replay did not start: {line!r}")
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@contextmanager
def pywb_archive(shared: Path, folder: Path, docs: list[dict[str, Any]]) -> Iterator[str]:
    """A stock pywb serving ``docs``' captures from a WARC written here; yield its collection.

    Uses the test suite's pywb helper (``tests/pywb.py``: ``wb-manager``, ``wayback``).
    """
    tests = Path(__file__).resolve().parents[1] / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    from pywb import Pywb, write_warc

    def records() -> Iterator[tuple[str, str, bytes, str]]:
        for doc in docs:
            path = shared / "corpus" / "replay" / doc["file"]
            with lzma.open(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        cap = json.loads(line)
                        when = re.sub(r"\D", "", cap["captured_at"])[:14]
                        yield cap["url"], when, cap["html"].encode("utf-8"), "200 OK"

    folder.mkdir(parents=True, exist_ok=True)
    write_warc(folder / "corpus.warc.gz", records())
    archive = Pywb(folder / "pywb")
    archive.add_warc(folder / "corpus.warc.gz")
    with archive:
        yield archive.base


def manifest(shared: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(
        (shared / "corpus" / "replay" / "manifest.json").read_text(encoding="utf-8")
    )
    return data


def provider_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def write_config(
    folder: Path, base: str, docs: list[dict[str, Any]], rate: float = 1_000, kind: str = "wayback"
) -> Path:
    """A sources.toml for the corpus documents, reading the archive (of ``kind``) at ``base``."""
    lines = [
        "[monitor]",
        f'database = "sqlite:///{folder / "tosmon.db"}"',
        "backoff = 0.1",
        "",
        "[archive]",
        f'kind = "{kind}"',
        f'wayback_url = "{base}"',
        f"rate = {rate}",
        "retries = 2",
        "timeout = 30",
    ]
    providers: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        providers.setdefault(doc["provider"], []).append(doc)
    for name, entries in providers.items():
        pid = provider_id(name)
        lines += ["", f"[providers.{pid}]", f"name = {json.dumps(name)}"]
        for doc in entries:
            lines += [
                "",
                f"[providers.{pid}.documents.{doc['slug']}]",
                f"name = {json.dumps(doc['document'])}",
                f"url = {json.dumps(doc['url'])}",
                f"select = {json.dumps(doc['select'])}",
                f"remove = {json.dumps(doc['remove'])}",
            ]
    path = folder / "sources.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def truth(shared: Path, doc: dict[str, Any]) -> tuple[int, frozenset[str]]:
    """Number of captures, and timestamps of those with a real wording change."""
    path = shared / "corpus" / "replay" / doc["file"]
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        caps = [json.loads(line) for line in fh if line.strip()]
    changed = {re.sub(r"\D", "", c["captured_at"])[:14] for c in caps if c.get("truth_changed")}
    return len(caps), frozenset(changed)


def found(sessions: SessionFactory, provider: str, slug: str) -> frozenset[str]:
    """Timestamps of the substantive changes recorded for one document."""
    with sessions() as s:
        row = store.find_document(s, provider, slug)
        if row is None:
            return frozenset()
        changes = store.changes_by_version(s, row.id).values()
        return frozenset(
            format_timestamp(c.captured_at)
            for c in changes
            if c.kind in ("substantive", "revert")  # a return changes the words too
        )


def score(shared: Path, config: Config, sessions: SessionFactory) -> list[DocumentScore]:
    out = []
    for doc in manifest(shared):
        count, changed = truth(shared, doc)
        hits = found(sessions, provider_id(doc["provider"]), doc["slug"])
        out.append(DocumentScore(doc["slug"], count, changed, hits))
    return out


@dataclass(frozen=True)
class Timed:
    """A full backfill: its report, wall seconds, CPU seconds and scores per document."""

    report: BackfillReport
    seconds: float
    cpu: float  # user + system of this process and of the children it reaped meanwhile
    scores: list[DocumentScore]


def cpu_seconds() -> float:
    """User + system CPU of this process and of its reaped children (worker processes)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(shared: Path, folder: Path, pywb: bool = False, rate: float = 1_000) -> Timed:
    """Full backfill of the corpus into ``folder`` (from the stand-in, or from a stock pywb
    holding the same captures) at ``rate`` requests/s. The archive server is still running
    when the CPU is read, so its own CPU is not counted."""
    docs = manifest(shared)
    archive = pywb_archive(shared, folder / "archive", docs) if pywb else replay_archive(shared)
    with archive as base:
        path = write_config(folder, base, docs, rate=rate, kind="pywb" if pywb else "wayback")
        config = load_config(path)
        sessions = open_database(config.database)
        start, cpu = time.perf_counter(), cpu_seconds()
        report = asyncio.run(backfill(config, sessions, config.documents()))
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return Timed(report, elapsed, cpu, score(shared, config, sessions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--keep", type=Path, help="write the database here (else a temp dir)")
    parser.add_argument("--pywb", action="store_true", help="backfill from a stock pywb instead")
    parser.add_argument(
        "--rate", type=float, default=1_000, help="[archive] rate, requests/s (default 1000)"
    )
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        timed = run(args.shared, args.keep, args.pywb, args.rate)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            timed = run(args.shared, Path(tmp), args.pywb, args.rate)
    summary, elapsed, scores = timed.report.as_dict(), timed.seconds, timed.scores
    rate = summary["captures"] / elapsed if elapsed else 0.0
    print(
        f"backfill: {summary['captures']} captures of {summary['documents']} documents in "
        f"{elapsed:.1f} s = {rate:.1f} captures/s, {timed.cpu:.1f} s CPU "
        f"({timed.cpu / elapsed if elapsed else 0:.2f} cores busy); {summary['versions']} "
        f"versions, {summary['substantive_changes']} substantive changes, "
        f"{len(summary['errors'])} errors"
    )
    print(f"{'document':26} {'captures':>8} {'truth':>5} {'found':>5} {'false':>5} {'missed':>6}")
    for sc in scores:
        print(
            f"{sc.slug:26} {sc.captures:8} {len(sc.truth):5} {len(sc.found):5} "
            f"{len(sc.false):5} {len(sc.missed):6}"
        )
    kinds: dict[str, int] = {}
    for error in summary["errors"]:
        kinds[error["kind"]] = kinds.get(error["kind"], 0) + 1
    if kinds:
        print("errors by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print(CREDIT)


if __name__ == "__main__":
    main()
