"""Positions read from the real corpus pages against the hand-labelled dev gold.

Each page of ../shared/corpus/pages is extracted with its manifest region and its clauses
found by the default rules (``bench/gold_eval.run_page``), then ``read_positions`` reads
it. Per position key: the dev accuracy must not fall below the figure reached, and no
value may be a wrong non-null one (a false claim is worse than a null). Skipped when the
corpus is absent. Data: Open Terms Archive (ODC-BY 1.0).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from monitor.extract import Block, blocks_from_text
from monitor.positions import POSITION_KEYS, PositionKey, position_to_json, read_positions

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import gold_eval  # noqa: E402

HAS_GOLD = (CORPUS / "gold" / "dev.json").is_file() and (CORPUS / "pages").is_dir()
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not HAS_GOLD, reason="gold corpus not available (../shared/corpus)"),
]

# Documents (of the 20) whose value is right, per key, as reached; raise when improved.
MIN_RIGHT: dict[PositionKey, int] = dict.fromkeys(POSITION_KEYS, 20)


def _canonical(value: object) -> object:
    """Sets compare as sets: the gold lists them in reading order, positions sorted."""
    return tuple(sorted(value, key=str)) if isinstance(value, list) else value


@cache
def pages() -> dict[str, tuple[tuple[Block, ...], dict[str, str]]]:
    """slug → (blocks of the fresh extraction, clause texts by the default rules)."""
    manifest = gold_eval.load_manifest(CORPUS)
    return {
        slug: gold_eval.run_page(manifest[slug], CORPUS) for slug in gold_eval.load_gold(CORPUS)
    }


@cache
def readings() -> dict[str, tuple[dict[str, Any], dict[PositionKey, object]]]:
    """slug → (gold positions, values read as JSON)."""
    gold = gold_eval.load_gold(CORPUS)
    out = {}
    for slug, (blocks, clauses) in pages().items():
        found = read_positions(blocks, clauses)
        out[slug] = (
            gold[slug]["positions"],
            {k: position_to_json(p)["value"] for k, p in found.items()},
        )
    return out


@pytest.mark.parametrize("key", POSITION_KEYS)
def test_position_key_is_right_on_the_dev_gold_and_never_falsely_claimed(key: PositionKey) -> None:
    """Per key: at least the reached number of documents right, and no wrong non-null value."""
    right, wrong = 0, []
    for slug, (gold, read) in readings().items():
        expected, got = _canonical(gold[key]["value"]), _canonical(read[key])
        if got == expected:
            right += 1
        elif got is not None:
            wrong.append(f"{slug}: gold {expected!r}, read {got!r}")
    assert not wrong, f"{key}: wrong non-null values: {wrong}"
    assert len(readings()) == 20
    assert right >= MIN_RIGHT[key], f"{key}: {right}/20 right, expected ≥ {MIN_RIGHT[key]}"


def test_stored_text_reads_as_the_fresh_extraction_on_every_page() -> None:
    """Positions re-read from a version's stored text equal those of the fresh extraction,
    so history built from storage agrees with live checks."""
    assert len(pages()) == 20
    for slug, (blocks, clauses) in pages().items():
        stored = blocks_from_text("\n".join(b.line() for b in blocks))
        assert read_positions(stored, clauses) == read_positions(blocks, clauses), slug
