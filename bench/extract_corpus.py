#!/usr/bin/env python3
"""Extract every page and replay capture of the corpus: outputs, digests and CPU per page.

    python bench/extract_corpus.py [CORPUS_DIR] [--save FILE] [--compare FILE] [--json]

Each *case* is one input of ``CORPUS_DIR``: a page of ``pages/`` (with the document of its
URL in the shipped catalogue ``monitor/catalogue.toml``, clause selectors included) or a
capture of ``replay/`` (with the manifest's select/remove). Each is extracted by
``monitor.extract.extract``; its *outcome* is what a user would see of it: the normalized
text, the blocks of each clause selector, the clause misses and the truncation sign, or the
error (kind and message) when the capture is refused.

``--save FILE`` writes every outcome (full texts) to FILE, which must lie outside the
repository (the corpus is never copied into the project); ``--compare FILE`` lists the
cases whose outcome differs from a saved one, with the first differing line. Always printed:
extraction CPU time per case (``time.process_time``), p50 / p95 / max.

The corpus equality test (``tests/test_extract_corpus.py``) uses ``cases`` and ``outcome``.

Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monitor.config import DocumentConfig, load_config
from monitor.errors import ExtractError
from monitor.extract import extract

CREDIT = "Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0."
REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


@dataclass(frozen=True)
class Case:
    """One input of the corpus: ``name`` is ``pages/SLUG`` or ``replay/SLUG@CAPTURED_AT``."""

    name: str
    slug: str
    content: bytes
    content_type: str
    doc: DocumentConfig


def _manifest(corpus: Path, part: str) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(
        (corpus / part / "manifest.json").read_text(encoding="utf-8")
    )
    return data


def page_cases(corpus: Path) -> Iterator[Case]:
    """The pages, each with the shipped catalogue document of its URL (PDF: no region)."""
    shipped = {d.url: d for d in load_config(REPO / "monitor" / "catalogue.toml").documents()}
    for e in _manifest(corpus, "pages"):
        slug, file, url = str(e["slug"]), str(e["file"]), str(e["url"])
        pdf = file.endswith(".pdf")
        doc = shipped.get(url) or DocumentConfig("corpus", slug, slug, "corpus", url, select=())
        content = (corpus / "pages" / file).read_bytes()
        yield Case(f"pages/{slug}", slug, content, "application/pdf" if pdf else "text/html", doc)


def replay_cases(corpus: Path) -> Iterator[Case]:
    """The replay captures, oldest first per document, with the manifest's select/remove."""
    for e in _manifest(corpus, "replay"):
        slug = str(e["slug"])
        select, remove = e["select"], e["remove"]
        assert isinstance(select, list) and isinstance(remove, list)
        doc = DocumentConfig(
            "replay", slug, slug, str(e["provider"]), str(e["url"]), tuple(select), tuple(remove)
        )
        with lzma.open(corpus / "replay" / str(e["file"]), "rt", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        for row in sorted(rows, key=lambda r: str(r["captured_at"])):
            content = str(row["html"]).encode("utf-8")
            name = f"replay/{slug}@{row['captured_at']}"
            yield Case(name, slug, content, "text/html; charset=utf-8", doc)


def cases(corpus: Path = DEFAULT_CORPUS) -> Iterator[Case]:
    yield from page_cases(corpus)
    yield from replay_cases(corpus)


def outcome(case: Case) -> dict[str, object]:
    """What a user sees of one case's extraction (plain JSON data)."""
    try:
        ex = extract(case.content, case.content_type, case.doc)
    except ExtractError as exc:
        return {"error": exc.kind, "message": str(exc)}
    return {
        "text": ex.text,
        "clauses": {k: [b.line() for b in v] for k, v in sorted(ex.clause_blocks.items())},
        "misses": list(ex.clause_misses),
        "unclosed": ex.unclosed,
    }


def digest(result: dict[str, object]) -> str:
    """A short fingerprint of an outcome (what the equality test stores, never the text)."""
    data = json.dumps(result, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:20]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run(corpus: Path) -> tuple[dict[str, dict[str, object]], dict[str, float]]:
    """Every case's outcome and its extraction CPU seconds."""
    results: dict[str, dict[str, object]] = {}
    cpu: dict[str, float] = {}
    for case in cases(corpus):
        start = time.process_time()
        results[case.name] = outcome(case)
        cpu[case.name] = time.process_time() - start
    return results, cpu


def first_difference(old: dict[str, object], new: dict[str, object]) -> str:
    """The first line of ``old``'s text that ``new`` lacks, or the field that differs."""
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        a, b = old.get(key), new.get(key)
        if isinstance(a, str) and isinstance(b, str):
            for la, lb in zip(a.split("\n"), b.split("\n"), strict=False):
                if la != lb:
                    return f"{key}: {la[:300]!r}\n      -> {lb[:300]!r}"
        return f"{key}: {str(a)[:300]!r}\n      -> {str(b)[:300]!r}"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--save", type=Path, help="write every outcome (outside the repo)")
    parser.add_argument("--compare", type=Path, help="list outcomes differing from a saved run")
    parser.add_argument("--json", action="store_true", help="CPU figures as JSON")
    parser.add_argument("--by-slug", action="store_true", help="CPU p50/max per document too")
    args = parser.parse_args(argv)
    results, cpu = run(args.corpus)
    if args.save:
        if args.save.resolve().is_relative_to(REPO):
            parser.error("--save must be outside the repository (the corpus is not copied in)")
        args.save.write_text(json.dumps(results, ensure_ascii=False), encoding="utf-8")
    differing = 0
    if args.compare:
        saved = json.loads(args.compare.read_text(encoding="utf-8"))
        for name, result in results.items():
            if saved.get(name) != result:
                differing += 1
                print(f"{name}\n      {first_difference(saved.get(name, {}), result)}")
    ms = [v * 1000 for v in cpu.values()]
    figures = {
        "cases": len(ms),
        "p50_ms": round(percentile(ms, 0.5), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "max_ms": round(max(ms, default=0.0), 2),
        "differing": differing,
    }
    if args.by_slug:
        slugs: dict[str, list[float]] = {}
        for name, seconds in cpu.items():
            slugs.setdefault(name.split("@")[0], []).append(seconds * 1000)
        for slug, values in sorted(slugs.items(), key=lambda kv: -percentile(kv[1], 0.5)):
            print(f"{slug:45} p50 {percentile(values, 0.5):7.1f} ms  max {max(values):7.1f} ms")
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{figures['cases']} cases: extraction CPU p50 {figures['p50_ms']} ms, "
            f"p95 {figures['p95_ms']} ms, max {figures['max_ms']} ms; "
            f"{differing} differ\n{CREDIT}"
        )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
