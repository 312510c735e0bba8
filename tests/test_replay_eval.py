"""The replay benchmark's scoring (``bench/replay_eval.py``), on tiny synthetic corpora.

The 1,200 real captures of ``../shared/corpus/replay`` (Open Terms Archive) are replayed
once per suite, by the backfill in ``test_backfill_corpus.py`` (0 false, 0 missed changes
per document, through the stand-in archive and through pywb); ``bench/replay_eval.py``
replays them as live checks outside the suite. No corpus data is copied into the repository.
"""

from __future__ import annotations

import json
import lzma
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import replay_eval  # noqa: E402

PAGE = "<html><body><nav>{token}</nav><main><h1>Terms</h1><p>{body}</p></main></body></html>"


def synthetic_corpus(folder: Path, rows: list[tuple[str, bool]]) -> Path:
    """A one-document corpus: (paragraph text, truth_changed) per capture, a day apart."""
    replay = folder / "replay"
    replay.mkdir(parents=True)
    entry = {
        "slug": "acme-terms",
        "provider": "Acme Corp",
        "document": "Terms",
        "url": "https://example.com/terms",
        "select": ["main"],
        "remove": [],
        "file": "acme-terms.jsonl.xz",
    }
    (replay / "manifest.json").write_text(json.dumps([entry]), encoding="utf-8")
    with lzma.open(replay / "acme-terms.jsonl.xz", "wt", encoding="utf-8") as fh:
        for day, (body, truth) in enumerate(rows, 1):
            html = PAGE.format(token=f"build-{day}", body=body) if body else "<p>gone</p>"
            capture = {
                "captured_at": f"2024-01-{day:02d}T00:00:00Z",
                "url": entry["url"],
                "html": html,
                "truth_changed": truth,
            }
            fh.write(json.dumps(capture) + "\n")
    return folder


def test_agreeing_truth_scores_zero(tmp_path: Path) -> None:
    """Changes recorded exactly where truth has them score no false alert and no miss."""
    corpus = synthetic_corpus(
        tmp_path,
        [
            ("We keep data 30 days.", False),
            ("We keep data 30 days.", False),
            ("We keep data 90 days.", True),
            ("We  keep data 90 days!", False),
        ],
    )
    [result] = replay_eval.run(corpus)
    assert (result.captures, result.truth_changes, result.substantive) == (4, 1, 1)
    assert result.alerts == 1 and result.cosmetic == 1
    assert result.false_alerts == [] and result.missed == [] and result.ok


def test_disagreeing_truth_is_counted_as_false_or_missed(tmp_path: Path) -> None:
    """A recorded change truth does not have is a false alert; a truth change with no
    recorded change is a miss."""
    corpus = synthetic_corpus(
        tmp_path,
        [
            ("We keep data 30 days.", False),
            ("We keep data 90 days.", False),
            ("We keep data 90 days.", True),
        ],
    )
    [result] = replay_eval.run(corpus)
    assert result.false_alerts == ["2024-01-02T00:00:00Z"]
    assert result.missed == ["2024-01-03T00:00:00Z"]
    assert not result.ok


def test_refused_capture_defers_the_comparison(tmp_path: Path) -> None:
    """A capture the pipeline refuses (selector miss) is reported, and the change it hid is
    expected at the next good capture."""
    corpus = synthetic_corpus(
        tmp_path,
        [("We keep data 30 days.", False), ("", True), ("We keep data 90 days.", False)],
    )
    [result] = replay_eval.run(corpus)
    assert result.refused == ["2024-01-02T00:00:00Z: selector"]
    assert result.substantive == 1 and result.ok and result.unscored == 0


def test_truth_change_hidden_by_refusals_to_the_end_is_unscored(tmp_path: Path) -> None:
    """A truth change followed only by refused captures cannot be scored and says so."""
    corpus = synthetic_corpus(tmp_path, [("We keep data 30 days.", False), ("", True)])
    [result] = replay_eval.run(corpus)
    assert result.unscored == 1 and result.missed == []
    assert "acme-terms: a truth change after the last good capture is unscored" in (
        replay_eval.markdown([result], 1.0)
    )


def test_output_credits_open_terms_archive(tmp_path: Path) -> None:
    """The Markdown table and the JSON both credit Open Terms Archive."""
    corpus = synthetic_corpus(tmp_path, [("We keep data 30 days.", False)])
    results = replay_eval.run(corpus)
    table = replay_eval.markdown(results, 1.0)
    assert "| acme-terms | 1 | 0 | 0 | 0 | 0 | 0 | 0 |" in table
    assert "Open Terms Archive" in table
    data: dict[str, Any] = replay_eval.as_json(results, 1.0)
    assert data["ok"] and "Open Terms Archive" in data["credit"]
