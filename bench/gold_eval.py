#!/usr/bin/env python3
"""Score the clause finder and the position reader against the hand-labelled gold.

    python bench/gold_eval.py [CORPUS_DIR] [--json] [--only SLUG ...]

For each of the pages of ``CORPUS_DIR/pages`` (``manifest.json``: url, select, remove),
runs the real pipeline's stages with the **default rules only** (no per-document clause
settings): ``monitor.extract.extract`` with the page's region selectors, then
``monitor.clauses.find_clauses``, then ``monitor.positions.read_positions`` when that
module exists. Compares them with ``CORPUS_DIR/gold/dev.json`` (labelling rules in
``gold/README.md``):

* recall: gold ``must`` sentences found inside the clause of their key;
* unrelated: gold ``unrelated`` sentences found inside any clause (should be 0);
* invented: clauses reported for a key the gold marks ``present: false`` (should be 0);
* positions: (document, position) pairs whose value equals the gold's; *wrong* counts
  non-null values that differ from the gold (a false claim), *missed* nulls where the gold
  has a value.

Sentences are compared word by word, case and punctuation ignored (``monitor.diff.words``):
a sentence is inside a clause when its word sequence occurs in the clause's.

Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.config import BUILTIN_CLAUSES, DocumentConfig
from monitor.diff import words
from monitor.extract import Block, extract, normalize

CREDIT = "Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0."
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CLAUSE_KEYS: tuple[str, ...] = tuple(BUILTIN_CLAUSES)

PositionReader = Callable[[Sequence[Block], Mapping[str, str]], Mapping[str, object]]


# -- scoring (pure) ----------------------------------------------------------------------------


def word_key(text: str) -> str:
    """``text`` as its lower-cased words, space-separated and padded: the unit of comparison
    (invisible characters such as word joiners dropped first, as extraction does)."""
    return " " + " ".join(words(normalize(text))) + " "


def contains(sentence: str, text: str) -> bool:
    """Whether ``sentence``'s words occur, in order and adjacent, in ``text``'s words."""
    return word_key(sentence) in word_key(text)


@dataclass
class ClauseScore:
    """One clause key of one document against its gold label."""

    present: bool  # gold: the document addresses this topic
    found: bool  # the finder reported a clause for it
    must: int = 0
    hit: int = 0
    missed: list[str] = field(default_factory=list)  # gold must sentences not in the clause

    @property
    def invented(self) -> bool:
        return self.found and not self.present


@dataclass
class PositionScore:
    """One position of one document: gold and read values (JSON form: lists for sets)."""

    gold: object
    read: object

    @property
    def right(self) -> bool:
        return self.gold == self.read

    @property
    def wrong(self) -> bool:
        """A non-null value that is not the gold's: a false claim."""
        return self.read is not None and self.read != self.gold

    @property
    def missed(self) -> bool:
        return self.read is None and self.gold is not None


@dataclass
class DocumentScore:
    slug: str
    clauses: dict[str, ClauseScore]
    unrelated: list[tuple[str, str]]  # (clause key, gold unrelated sentence) found inside it
    positions: dict[str, PositionScore] | None  # None: position reader unavailable

    @property
    def must(self) -> int:
        return sum(c.must for c in self.clauses.values())

    @property
    def hit(self) -> int:
        return sum(c.hit for c in self.clauses.values())

    @property
    def invented(self) -> list[str]:
        return [k for k, c in self.clauses.items() if c.invented]


def score_clauses(gold: Mapping[str, Any], clauses: Mapping[str, str]) -> dict[str, ClauseScore]:
    """Each built-in clause key of one gold entry against the clause texts found."""
    out: dict[str, ClauseScore] = {}
    for key in CLAUSE_KEYS:
        label = gold.get(key, {"present": False, "must": []})
        text = clauses.get(key)
        score = ClauseScore(present=bool(label["present"]), found=text is not None)
        for sentence in label.get("must", []):
            score.must += 1
            if text is not None and contains(sentence, text):
                score.hit += 1
            else:
                score.missed.append(sentence)
        out[key] = score
    return out


def score_unrelated(gold: Mapping[str, Any], clauses: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, sentence) for every gold unrelated sentence that some clause includes."""
    return [
        (key, sentence)
        for sentence in gold.get("unrelated", [])
        for key, text in clauses.items()
        if contains(sentence, text)
    ]


def score_positions(
    gold: Mapping[str, Any], read: Mapping[str, object]
) -> dict[str, PositionScore]:
    """Every gold position against the value read (``position_to_json(...)["value"]``);
    lists (training_use, retention_days) are compared as sets."""
    labels: Mapping[str, Any] = gold.get("positions", {})
    return {
        key: PositionScore(gold=_as_set(label.get("value")), read=_as_set(read.get(key)))
        for key, label in labels.items()
    }


def _as_set(value: object) -> object:
    """Set-valued positions (lists) compare as sets: sorted, as the positions contract has."""
    return sorted(value, key=repr) if isinstance(value, list | tuple) else value


def score_document(
    slug: str,
    gold: Mapping[str, Any],
    clauses: Mapping[str, str],
    positions: Mapping[str, object] | None = None,
) -> DocumentScore:
    """All scores of one document: ``clauses`` key → text, ``positions`` key → JSON value."""
    return DocumentScore(
        slug=slug,
        clauses=score_clauses(gold, clauses),
        unrelated=score_unrelated(gold, clauses),
        positions=None if positions is None else score_positions(gold, positions),
    )


@dataclass(frozen=True)
class Totals:
    must: int
    hit: int
    unrelated: int
    invented: int

    @property
    def recall(self) -> float:
        return self.hit / self.must if self.must else 1.0


def clause_totals(scores: Sequence[DocumentScore], key: str | None = None) -> Totals:
    """Recall, unrelated and invented over ``scores``, for one clause key or all of them."""
    keys = CLAUSE_KEYS if key is None else (key,)
    picked = [s.clauses[k] for s in scores for k in keys]
    unrelated = sum(1 for s in scores for k, _ in s.unrelated if key is None or k == key)
    return Totals(
        must=sum(c.must for c in picked),
        hit=sum(c.hit for c in picked),
        unrelated=unrelated,
        invented=sum(1 for c in picked if c.invented),
    )


@dataclass(frozen=True)
class PositionTotals:
    pairs: int
    right: int
    wrong: int
    missed: int

    @property
    def accuracy(self) -> float:
        return self.right / self.pairs if self.pairs else 1.0


def position_totals(scores: Sequence[DocumentScore], key: str | None = None) -> PositionTotals:
    picked = [p for s in scores if s.positions for k, p in s.positions.items() if key in (None, k)]
    return PositionTotals(
        pairs=len(picked),
        right=sum(p.right for p in picked),
        wrong=sum(p.wrong for p in picked),
        missed=sum(p.missed for p in picked),
    )


# -- running the pipeline ----------------------------------------------------------------------


def load_gold(corpus: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((corpus / "gold" / "dev.json").read_text(encoding="utf-8"))
    return data


def load_manifest(corpus: Path) -> dict[str, dict[str, Any]]:
    entries = json.loads((corpus / "pages" / "manifest.json").read_text(encoding="utf-8"))
    return {str(e["slug"]): e for e in entries}


def position_reader() -> PositionReader | None:
    """``monitor.positions.read_positions`` turned into key → JSON value, None if absent."""
    try:
        positions = importlib.import_module("monitor.positions")
    except ImportError:
        return None

    def read(blocks: Sequence[Block], clauses: Mapping[str, str]) -> Mapping[str, object]:
        found = positions.read_positions(blocks, clauses)
        return {k: positions.position_to_json(p)["value"] for k, p in found.items()}

    return read


def run_page(entry: Mapping[str, Any], corpus: Path) -> tuple[tuple[Block, ...], dict[str, str]]:
    """Extract one manifest page with its region selectors; clauses by the default rules."""
    from monitor.clauses import find_clauses

    doc = DocumentConfig(
        provider="gold",
        id=str(entry["slug"]),
        name=str(entry.get("document", entry["slug"])),
        provider_name=str(entry.get("provider", "")),
        url=str(entry["url"]),
        select=tuple(entry.get("select", ())),
        remove=tuple(entry.get("remove", ())),
    )
    content = (corpus / "pages" / str(entry["file"])).read_bytes()
    kind = "application/pdf" if str(entry["file"]).endswith(".pdf") else "text/html"
    extraction = extract(content, kind, doc)
    result = find_clauses(extraction)  # no ClauseRule: the default rules only
    return extraction.blocks, {k: c.text for k, c in result.clauses.items()}


def evaluate(corpus: Path, only: Sequence[str] = ()) -> list[DocumentScore]:
    gold = load_gold(corpus)
    manifest = load_manifest(corpus)
    reader = position_reader()
    scores = []
    for slug in sorted(gold):
        if only and slug not in only:
            continue
        blocks, clauses = run_page(manifest[slug], corpus)
        read = reader(blocks, clauses) if reader is not None else None
        scores.append(score_document(slug, gold[slug], clauses, read))
    return scores


# -- output -----------------------------------------------------------------------------------


def _pos_cell(s: DocumentScore) -> str:
    if s.positions is None:
        return "n/a"
    t = position_totals([s])
    return f"{t.right}/{t.pairs} {t.wrong:>2} {t.missed:>2}"


def render_text(scores: Sequence[DocumentScore]) -> str:
    lines = [
        "Gold evaluation, default rules only (no per-document clause settings)",
        "",
        f"{'document':<28} {'recall':>9} {'unrel':>5}  {'pos ok/n wr mi':<14}  invented",
    ]
    for s in scores:
        recall = f"{s.hit}/{s.must}"
        lines.append(
            f"{s.slug[:28]:<28} {recall:>9} {len(s.unrelated):>5}  {_pos_cell(s):<14}  "
            + (",".join(s.invented) or "-")
        )
    lines += ["", f"{'clause':<14} {'recall':>14} {'unrelated':>10} {'invented':>9}"]
    for key in (*CLAUSE_KEYS, None):
        t = clause_totals(scores, key)
        cell = f"{t.hit}/{t.must} {t.recall:.1%}"
        lines.append(f"{key or 'total':<14} {cell:>14} {t.unrelated:>10} {t.invented:>9}")
    if scores and all(s.positions is None for s in scores):
        lines += ["", "positions: unavailable (monitor.positions is not installed)"]
    else:
        lines += ["", f"{'position':<26} {'right':>10} {'wrong':>6} {'missed':>7}"]
        keys = list(dict.fromkeys(k for s in scores for k in (s.positions or {})))
        for pkey in (*keys, None):
            p = position_totals(scores, pkey)
            cell = f"{p.right}/{p.pairs} {p.accuracy:.0%}"
            lines.append(f"{pkey or 'total':<26} {cell:>10} {p.wrong:>6} {p.missed:>7}")
    missed = [(s.slug, k, m) for s in scores for k, c in s.clauses.items() for m in c.missed]
    if missed:
        lines += ["", "missed key sentences:"]
        lines += [_item(f"{slug}/{key}", m) for slug, key, m in missed]
    leaked = [(s.slug, k, u) for s in scores for k, u in s.unrelated]
    if leaked:
        lines += ["", "unrelated sentences inside a clause:"]
        lines += [_item(f"{slug}/{key}", u) for slug, key, u in leaked]
    wrong = [(s.slug, k, p) for s in scores for k, p in (s.positions or {}).items() if not p.right]
    if wrong:
        lines += ["", "positions not right (gold → read):"]
        lines += [f"  {slug}/{k}: {p.gold!r} → {p.read!r}" for slug, k, p in wrong]
    lines += ["", CREDIT]
    return "\n".join(lines)


def _item(where: str, sentence: str, width: int = 80) -> str:
    """``  where: sentence`` cut to ``width`` columns, the page's text escaped for a terminal."""
    head = f"  {where}: "
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in sentence)
    room = max(20, width - len(head))
    return head + (text if len(text) <= room else text[: room - 1] + "…")


def _totals_json(t: Totals) -> dict[str, object]:
    return {
        "must": t.must,
        "found": t.hit,
        "recall": round(t.recall, 4),
        "unrelated": t.unrelated,
        "invented": t.invented,
    }


def _positions_json(p: PositionTotals) -> dict[str, object]:
    return {
        "pairs": p.pairs,
        "right": p.right,
        "accuracy": round(p.accuracy, 4),
        "wrong": p.wrong,
        "missed": p.missed,
    }


def render_json(scores: Sequence[DocumentScore]) -> dict[str, object]:
    available = any(s.positions is not None for s in scores)
    return {
        "documents": [
            {
                "slug": s.slug,
                **_totals_json(clause_totals([s])),
                "invented_clauses": s.invented,
                "missed_sentences": {k: c.missed for k, c in s.clauses.items() if c.missed},
                "unrelated_sentences": [{"clause": k, "sentence": u} for k, u in s.unrelated],
                "positions": None
                if s.positions is None
                else {k: {"gold": p.gold, "read": p.read} for k, p in s.positions.items()},
            }
            for s in scores
        ],
        "clauses": {k: _totals_json(clause_totals(scores, k)) for k in CLAUSE_KEYS},
        "total": _totals_json(clause_totals(scores)),
        "positions": _positions_json(position_totals(scores)) if available else None,
        "credit": CREDIT,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--only", nargs="+", default=(), metavar="SLUG")
    args = parser.parse_args(argv)
    if not (args.corpus / "gold" / "dev.json").is_file():
        parser.error(f"{args.corpus}: no gold/dev.json (give the corpus folder)")
    unknown = set(args.only) - set(load_gold(args.corpus))
    if unknown:
        parser.error(f"unknown slug(s): {', '.join(sorted(unknown))}")
    scores = evaluate(args.corpus, args.only)
    if args.json:
        print(json.dumps(render_json(scores), indent=2))
    else:
        print(render_text(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
