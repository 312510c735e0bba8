#!/usr/bin/env python3
"""CPU time of a changed page's three stages, per corpus page: extract, clauses, positions.

    python bench/stages.py [--shared ../shared] [--repeat 5] [--warm] [--profile OUT.prof]

Each page of ``../shared/corpus/pages`` (its ``select``/``remove`` from the manifest) goes
through what a check does with a page whose words changed: ``extract.extract`` (bytes →
blocks), ``clauses.find_clauses`` (the document's rules, here none: the default rules) and
``positions.read_positions`` (blocks + clause texts). Each stage is timed with
``time.process_time`` (CPU of the process, so other work on the machine does not count),
the cheapest of ``--repeat`` runs per page; then p50 / p95 / max over the pages.

A run is the page's **first read** in its process, as in a check, whose workers read each
page once: ``--repeat`` fresh processes each read every page once, each starting at
another page of the corpus, so a page's runs come after different other documents (their
words and sentences remembered, as a worker's are) and the cheapest run is not the one
that compiled the rules. ``--warm`` repeats each page in one process instead: what a page
read again costs (its own sentences remembered), not a changed page.
``bench/run.py`` reports the same figures in its table. ``--profile`` writes a cProfile of
one pass over every page (the three stages) for ``python -m pstats``.

Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.clauses import find_clauses
from monitor.config import DocumentConfig
from monitor.extract import extract
from monitor.positions import read_positions

CREDIT = "Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0."
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
STAGES = ("extract", "clauses", "positions", "total")


@dataclass(frozen=True)
class Page:
    slug: str
    doc: DocumentConfig
    content: bytes
    content_type: str


@dataclass(frozen=True)
class PageTimes:
    """Milliseconds of CPU per stage for one page (the cheapest of the repeats)."""

    slug: str
    kilobytes: float
    extract: float
    clauses: float
    positions: float

    @property
    def total(self) -> float:
        return self.extract + self.clauses + self.positions

    def stage(self, name: str) -> float:
        value: float = getattr(self, name)
        return value


def pages(shared: Path) -> list[Page]:
    """Every page of the corpus manifest as the document a check would fetch."""
    folder = shared / "corpus" / "pages"
    manifest: list[dict[str, Any]] = json.loads((folder / "manifest.json").read_text("utf-8"))
    out = []
    for entry in manifest:
        doc = DocumentConfig(
            provider=str(entry["provider"]).lower(),
            id=str(entry["slug"]),
            name=str(entry["document"]),
            provider_name=str(entry["provider"]),
            url=str(entry["url"]),
            select=tuple(entry.get("select", ())),
            remove=tuple(entry.get("remove", ())),
        )
        pdf = str(entry["file"]).endswith(".pdf")
        kind = "application/pdf" if pdf else "text/html; charset=utf-8"
        out.append(Page(doc.id, doc, (folder / entry["file"]).read_bytes(), kind))
    return out


def _one_pass(page: Page) -> tuple[float, float, float]:
    """CPU milliseconds of extract, clauses and positions for one pass over ``page``."""
    clock = time.process_time
    t0 = clock()
    extraction = extract(page.content, page.content_type, page.doc)
    t1 = clock()
    found = find_clauses(extraction, page.doc.clauses, page.doc.custom_clauses)
    t2 = clock()
    read_positions(extraction.blocks, {k: c.text for k, c in found.clauses.items()})
    t3 = clock()
    return 1000 * (t1 - t0), 1000 * (t2 - t1), 1000 * (t3 - t2)


def _cheapest(page: Page, runs: Sequence[Sequence[float]]) -> PageTimes:
    best = [min(stage) for stage in zip(*runs, strict=True)]
    return PageTimes(page.slug, len(page.content) / 1000, *best)


def time_page(page: Page, repeat: int) -> PageTimes:
    """The cheapest of ``repeat`` runs of each stage on ``page`` in this process."""
    return _cheapest(page, [_one_pass(page) for _ in range(repeat)])


def first_reads(shared: Path, start: int) -> dict[str, tuple[float, float, float]]:
    """Each page's stages read once in this process, from the ``start``-th page on."""
    corpus = pages(shared)
    start %= len(corpus)
    return {page.slug: _one_pass(page) for page in corpus[start:] + corpus[:start]}


def _first_reads_apart(shared: Path, start: int) -> dict[str, list[float]]:
    """``first_reads`` in a fresh Python process (this file run with ``--first-reads``)."""
    command = [sys.executable, __file__, "--shared", str(shared), "--first-reads", str(start)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, list[float]] = json.loads(done.stdout)
    return result


def measure(shared: Path, repeat: int = 5, warm: bool = False) -> list[PageTimes]:
    """Per page, the cheapest of ``repeat`` first reads (``warm``: of repeats in this
    process)."""
    corpus = pages(shared)
    if warm:
        return [time_page(page, repeat) for page in corpus]
    step = max(1, len(corpus) // max(1, repeat))
    runs = [_first_reads_apart(shared, k * step) for k in range(repeat)]
    return [_cheapest(page, [run[page.slug] for run in runs]) for page in corpus]


def profile(shared: Path, out: Path) -> None:
    """A cProfile of one pass of the three stages over every page, written to ``out``."""
    corpus = pages(shared)
    profiler = cProfile.Profile()
    profiler.enable()
    for page in corpus:
        extraction = extract(page.content, page.content_type, page.doc)
        found = find_clauses(extraction, page.doc.clauses, page.doc.custom_clauses)
        read_positions(extraction.blocks, {k: c.text for k, c in found.clauses.items()})
    profiler.disable()
    profiler.dump_stats(out)


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50 (median), p95 (nearest rank) and max of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return {"p50": statistics.median(ordered), "p95": ordered[rank - 1], "max": ordered[-1]}


def summarize(times: Sequence[PageTimes]) -> dict[str, Any]:
    """Per stage: p50 / p95 / max in ms and the slowest page."""
    out: dict[str, Any] = {"pages": len(times)}
    for name in STAGES:
        slowest = max(times, key=lambda t: t.stage(name))
        out[name] = {**percentiles([t.stage(name) for t in times]), "slowest": slowest.slug}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--repeat", type=int, default=5, help="runs per page (the cheapest)")
    parser.add_argument(
        "--warm", action="store_true", help="repeat each page in one process (read again)"
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of one pass here")
    parser.add_argument("--first-reads", type=int, help=argparse.SUPPRESS)  # one child run
    args = parser.parse_args()
    if args.first_reads is not None:
        print(json.dumps(first_reads(args.shared, args.first_reads)))
        return
    if args.profile:
        profile(args.shared, args.profile)
        print(f"profile written to {args.profile} (python -m pstats {args.profile})")
        return
    times = measure(args.shared, args.repeat, args.warm)
    print(f"{'page':30} {'kB':>6} {'extract':>8} {'clauses':>8} {'positions':>9} {'total':>7}")
    for t in times:
        print(
            f"{t.slug:30} {t.kilobytes:6.0f} {t.extract:8.1f} {t.clauses:8.1f} "
            f"{t.positions:9.1f} {t.total:7.1f}"
        )
    summary = summarize(times)
    for name in STAGES:
        s = summary[name]
        print(
            f"{name:10} p50 {s['p50']:6.1f} ms  p95 {s['p95']:6.1f} ms  max {s['max']:6.1f} ms "
            f"({s['slowest']})"
        )
    how = "runs in one process (read again)" if args.warm else "first reads, one a process"
    print(f"CPU ms per page, cheapest of {args.repeat} {how}. {CREDIT}")


if __name__ == "__main__":
    main()
