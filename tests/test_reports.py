"""`tosmon compare` and `tosmon export` on a history backfilled from a local archive."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from history_fixture import ACME_URL, CAPTURES, HOSTILE, Built, build, run, run_json
from wayback import FakeWayback

from monitor.position_text import readings_text
from monitor.position_units import Reading
from monitor.positions import POSITION_KEYS


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    with FakeWayback() as archive:
        yield build(tmp_path_factory.mktemp("reports"), archive)


def doc(matrix: dict[str, Any], provider: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in matrix["documents"] if d["provider"] == provider)
    return found


# -- compare -----------------------------------------------------------------------------


def test_compare_json_follows_the_contract(built: Built) -> None:
    """`compare --json` lists every document with tier, version and all 11 positions, each
    with value, scope, evidence and since."""
    matrix = run_json(built.config, "compare", "--json")
    assert set(matrix) == {"at", "documents"}
    assert [(d["provider"], d["document"], d["tier"]) for d in matrix["documents"]] == [
        ("acme", "terms", "business"),
        ("beta", "privacy", "consumer"),
    ]
    for d in matrix["documents"]:
        assert set(d) == {"provider", "document", "tier", "version", "captured_at", "positions"}
        assert list(d["positions"]) == list(POSITION_KEYS)
        for cell in d["positions"].values():
            assert set(cell) == {"value", "scope", "evidence", "since"}
    acme = doc(matrix, "acme")
    assert (acme["version"], acme["captured_at"]) == (3, "2024-06-01T00:00:00Z")


def test_since_is_the_capture_where_the_value_last_changed(built: Built) -> None:
    """Retention went 30 → 90 days on 2024-03-05: today it reads 90 days since then (not
    since the later wording change), with the sentence it rests on."""
    retention = doc(run_json(built.config, "compare", "--json"), "acme")["positions"][
        "retention_days"
    ]
    assert retention["value"] == [90]
    assert retention["since"] == "2024-03-05T00:00:00Z"
    assert any("90 days" in s for s in retention["evidence"])


def test_at_gives_the_matrix_as_it_stood_then(built: Built) -> None:
    """`--at 2024-02-01` shows Acme's first version (30 days since 2024-01-10)."""
    acme = doc(run_json(built.config, "compare", "--json", "--at", "2024-02-01"), "acme")
    assert acme["version"] == 1
    assert acme["positions"]["retention_days"]["value"] == [30]
    assert acme["positions"]["retention_days"]["since"] == "2024-01-10T00:00:00Z"
    before = run_json(built.config, "compare", "--json", "--at", "2023-12-31")
    assert [d["version"] for d in before["documents"]] == [None, None]


def test_provider_and_tier_filter_rows(built: Built) -> None:
    """--provider and --tier keep only matching documents; an unknown provider is an error
    naming the configured ones."""
    only = run_json(built.config, "compare", "--json", "--tier", "consumer")
    assert [d["provider"] for d in only["documents"]] == ["beta"]
    only = run_json(built.config, "compare", "--json", "--provider", "acme")
    assert [d["provider"] for d in only["documents"]] == ["acme"]
    bad = run(built.config, "compare", "--provider", "nope", ok=False)
    assert bad.exit_code == 2 and "no provider 'nope'" in bad.output and "acme, beta" in bad.output


def test_terminal_table_fits_120_columns_and_80_falls_back_to_blocks(built: Built) -> None:
    """At 120 columns the matrix is drawn as tables no wider than 120, document ids whole;
    at 80 columns it is one block per document with a line per position."""
    wide = run(built.config, "compare", env={"COLUMNS": "120"}).stdout
    assert max(len(line) for line in wide.splitlines()) <= 120
    assert "│ acme/ " in wide and "│ terms " in wide and "│ (business) " in wide and "┌" in wide
    assert "90 days" in wide and "2024-03-05" in wide
    narrow = run(built.config, "compare", "--evidence", env={"COLUMNS": "80"}).stdout
    assert "┌" not in narrow
    assert "acme/terms (business) — v3, captured 2024-06-01" in narrow
    assert "  Retention               90 days  (since 2024-03-05)" in narrow
    assert "      “Acme retains Customer Content for 90 days" in narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80


def test_markdown_and_csv_carry_the_same_matrix(built: Built) -> None:
    """Markdown is a GitHub table (a header, a separator, a row per document); CSV has a
    row per document with value, scope and since per position."""
    text = run(built.config, "compare", "--markdown").stdout
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 4 and rows[1].startswith("|---|")
    assert all(line.count(" | ") == len(POSITION_KEYS) + 1 for line in (rows[0], rows[2]))
    assert "90 days<br>since 2024-03-05" in rows[2]
    table = list(csv.DictReader(io.StringIO(run(built.config, "compare", "--csv").stdout)))
    assert [(r["provider"], r["version"]) for r in table] == [("acme", "3"), ("beta", "1")]
    assert table[0]["retention_days_value"] == "90"
    assert table[0]["retention_days_since"] == "2024-03-05T00:00:00Z"


def test_html_is_one_self_contained_file_with_evidence_notes(built: Built, tmp_path: Path) -> None:
    """`--html FILE` writes one page: the matrix, evidence as expandable notes, no script,
    no external resource."""
    out = tmp_path / "matrix.html"
    run(built.config, "compare", "--html", str(out))
    html = out.read_text(encoding="utf-8")
    assert "<table" in html and "<details><summary>90 days</summary>" in html
    assert "<script" not in html and "src=" not in html and "<link" not in html


# -- export ------------------------------------------------------------------------------


def test_export_json_follows_the_contract_with_verifiable_provenance(built: Built) -> None:
    """`export --format json` gives the version in force with its provenance: the snapshot
    SHA-256 is that of the archived bytes, the archive URL opens that capture."""
    data = run_json(built.config, "export", "acme", "terms", "--format", "json")
    assert set(data) == {
        "provider", "document", "version", "captured_at", "url", "origin",
        "snapshot_sha256", "archive_url", "tosmon_version", "rules", "positions",
        "clauses", "text",
    }  # fmt: skip
    assert (data["version"], data["origin"], data["url"]) == (3, "archive", ACME_URL)
    served = CAPTURES[ACME_URL][2][1].encode("utf-8")
    assert data["snapshot_sha256"] == hashlib.sha256(served).hexdigest()
    assert data["archive_url"] == f"{built.archive_base}/web/20240601000000/{ACME_URL}"
    assert len(data["rules"]) == 64 and data["tosmon_version"]
    assert list(data["positions"]) == list(POSITION_KEYS)
    assert data["positions"]["retention_days"]["value"] == [90]
    assert f"Disputes go to its courts {HOSTILE}." in data["text"]  # JSON holds the text as is
    assert data["clauses"]["retention"]["text"].startswith("## Data retention")
    assert {"text", "source"} == set(data["clauses"]["retention"])


def test_export_at_a_date_gives_the_version_then_in_force(built: Built) -> None:
    """`--at 2024-02-01` exports the first version."""
    data = run_json(
        built.config, "export", "acme", "terms", "--at", "2024-02-01", "--format", "json"
    )
    assert data["version"] == 1 and "30 days" in data["text"]
    missing = run(built.config, "export", "acme", "terms", "--at", "2023-01-01", ok=False)
    assert missing.exit_code == 1 and "acme/terms has no version at or before" in missing.output


def test_markdown_export_escapes_page_text(built: Built) -> None:
    """Markdown shows provenance, positions, clauses and full text; markup in the page is
    escaped, so GitHub shows it as text."""
    text = run(built.config, "export", "beta", "privacy").stdout
    assert text.startswith("# Beta Privacy Policy — terms in force\n")
    assert "| snapshot_sha256 |" in text and "## Positions" in text and "## Full text" in text
    assert HOSTILE not in text and r"\<script\>alert('PWNED')\</script\>" in text


def test_html_export_is_self_contained_and_escaped(built: Built, tmp_path: Path) -> None:
    """The HTML export is one file with inline CSS, no script and the page text escaped."""
    out = tmp_path / "beta.html"
    run(built.config, "export", "beta", "privacy", "--format", "html", "--output", str(out))
    html = out.read_text(encoding="utf-8")
    assert "<style>" in html and "<script" not in html and "src=" not in html
    assert "&lt;script&gt;alert(&#39;PWNED&#39;)&lt;/script&gt;" in html


def test_export_all_writes_a_file_per_document_and_an_index(built: Built, tmp_path: Path) -> None:
    """`export --all --output DIR` writes one file per document and an index linking them."""
    out = tmp_path / "export"
    run(built.config, "export", "--all", "--format", "json", "--output", str(out))
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    files = [e["file"] for e in index["documents"]]
    assert files == ["acme--terms.json", "beta--privacy.json"]
    for name in files:
        assert json.loads((out / name).read_text(encoding="utf-8"))["provider"] in name
    run(built.config, "export", "--all", "--output", str(tmp_path / "md"))
    assert "(acme--terms.md)" in (tmp_path / "md" / "index.md").read_text(encoding="utf-8")
    usage = run(built.config, "export", "--all", ok=False)
    assert usage.exit_code == 2 and "--output DIR" in usage.output


def test_each_value_is_shown_with_its_own_scope() -> None:
    """A document stating one rule generally and another for one tier shows each value
    next to its scope instead of one merged list under the union of scopes."""
    readings = [
        Reading("not_used", "We do not train on API data."),
        Reading("opt_out", "Free users may opt out of training.", "free services"),
    ]
    text = readings_text("training_use", ("not_used", "opt_out"), ("free services",), readings)
    assert text == "not used; opt-out (free services)"
    one = readings_text("retention_days", (30,), None, [Reading(30, "Kept 30 days.")])
    assert one == "30 days"


def copy_without(built: Built, folder: Path, table: str) -> str:
    """A copy of the built database with every row of ``table`` deleted; its URL."""
    copy = folder / "copy.db"
    src, dst = sqlite3.connect(built.config.parent / "tosmon.db"), sqlite3.connect(copy)
    with closing(src), closing(dst):
        src.backup(dst)  # the database with its write-ahead log
        assert dst.execute(f"delete from {table}").rowcount > 0
        dst.commit()
    return f"sqlite:///{copy}"


def test_archive_url_is_laid_out_from_the_config_when_the_attempt_is_gone(
    built: Built, tmp_path: Path
) -> None:
    """Without the fetch attempt that read a version, its archive URL is made from
    `[archive]` and the capture time: the same URL."""
    url = copy_without(built, tmp_path, "fetch_attempts")
    data = run_json(built.config, "export", "acme", "terms", "--format", "json", "--db", url)
    assert data["archive_url"] == f"{built.archive_base}/web/20240601000000/{ACME_URL}"


def test_versions_without_stored_positions_give_the_same_matrix(
    built: Built, tmp_path: Path
) -> None:
    """Versions recorded before positions were stored (release 0.1, not yet re-extracted)
    are read from their stored text and clauses: the matrix is the same."""
    copy = copy_without(built, tmp_path, "version_positions")
    stored = run_json(built.config, "compare", "--json")
    reread = run_json(built.config, "compare", "--json", "--db", copy)
    assert reread["documents"] == stored["documents"]
