"""Every table and text readable at 80 columns (COLUMNS=80): ids and dates never cut,
prose wrapped at word boundaries, one block per row when a table would not fit. On a
history backfilled the real way from a local Wayback-compatible archive into SQLite."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from history_fixture import Built, build, run, run_json
from wayback import FakeWayback

LONG_DOC = "enterprise-commercial-terms-of-service"
LONG_URL = "https://legal.example-provider.test/policies/enterprise/commercial-terms"
DATE = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b")
BOX = re.compile(r"[│┃┏┓┗┛┡┩━─┌┐└┘├┤┬┴┼╇╈]")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    with FakeWayback() as archive:
        yield build(tmp_path_factory.mktemp("width"), archive)


@pytest.fixture(scope="module")
def wide_ids(built: Built) -> Path:
    """The same database, with one more provider whose ids and URL are long."""
    path = built.config.parent / "long.toml"
    path.write_text(
        built.config.read_text(encoding="utf-8")
        + f'\n[providers.anthropic-enterprise]\nname = "Anthropic"\n\n'
        f"[providers.anthropic-enterprise.documents.{LONG_DOC}]\n"
        f'name = "Commercial Terms of Service for Enterprise Customers"\n'
        f'url = "{LONG_URL}"\nselect = ["main"]\ntier = "business"\n',
        encoding="utf-8",
    )
    return path


def at80(config: Path, *args: str) -> str:
    out = run(config, *args, env={"COLUMNS": "80"}).stdout
    too_wide = [line for line in out.splitlines() if len(line) > 80]
    assert too_wide == [], too_wide
    assert "…" not in out
    return out


def words(text: str) -> set[str]:
    return set(BOX.sub(" ", text).split())


def test_sources_list_keeps_ids_and_urls_whole(wide_ids: Path) -> None:
    """`sources list` at 80 columns shows each provider/document id and URL unbroken
    (one block per document when the table would cut them)."""
    out = at80(wide_ids, "sources", "list")
    assert f"anthropic-enterprise  {LONG_DOC}" in out and LONG_URL in out
    assert "acme  terms" in out and "https://acme.test/legal/terms" in out
    assert "Commercial Terms of Service for Enterprise Customers" in " ".join(out.split())


def test_status_keeps_ids_dates_and_states_whole(wide_ids: Path) -> None:
    """`status` at 80 columns: full document ids, `YYYY-MM-DD HH:MM` dates on one line,
    states and change kinds as whole words."""
    out = at80(wide_ids, "status")
    assert f"anthropic-enterprise/{LONG_DOC}" in out and "acme/terms" in out
    assert "never checked" in out and "substantive [MEDIUM]" in out
    assert "2024-06-01 00:00" in out and len(DATE.findall(out)) >= 4


def test_history_table_wraps_summaries_at_word_boundaries(built: Built) -> None:
    """`history` at 80 columns keeps version numbers and dates whole and wraps each
    change summary between words: every word of the summaries is printed intact."""
    out = at80(built.config, "history", "acme", "terms")
    data = run_json(built.config, "history", "acme", "terms", "--json")
    for version in data["versions"]:
        assert version["captured_at"][:16].replace("T", " ") in out
        if version["change"]:
            assert words(version["change"]["summary"]) <= words(out)


def test_clause_texts_and_diffs_wrap_between_words(built: Built) -> None:
    """Clause texts (`clauses`), a clause's history and a diff are wrapped to 80 columns
    between words; no word of the stored text is split."""
    clauses = at80(built.config, "clauses", "acme", "terms")
    data = run_json(built.config, "clauses", "acme", "terms", "--json")
    for clause in data["clauses"].values():
        if clause:
            assert words(clause["text"]) <= words(clauses)
    history = at80(built.config, "history", "--clause", "retention")
    [change] = run_json(built.config, "history", "--clause", "retention", "--json")["changes"]
    assert words(change["summary"]) <= words(history)
    diff = at80(built.config, "diff", "acme", "terms", "--words")
    assert "Disputes go to its courts" in " ".join(diff.split())


def test_backfill_and_check_tables_fit(built: Built, wide_ids: Path) -> None:
    """The backfill report (counts) fits 80 columns with every document id whole, and a
    check's errors are printed whole (the long URL's host cannot be reached)."""
    out = at80(built.config, "backfill")
    assert "acme/terms" in out and "beta/privacy" in out and "substantive" in out
    check = run(
        wide_ids, "check", "-p", "anthropic-enterprise", "--no-notify", env={"COLUMNS": "80"}
    )
    assert check.exit_code == 0
    lines = check.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 and "…" not in check.stdout
    assert f"anthropic-enterprise/{LONG_DOC}" in check.stdout and "error" in check.stdout


@pytest.mark.parametrize("width", [26, 27, 28, 37, 38, 39, 80])
def test_blocks_drawn_without_rich_layout_read_as_rich_draws_them(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks whose values fit on their line are drawn directly (hundreds of rows print
    at once); the text is the same as rich's grid draws, at and around the fitting width,
    with wide characters, styles, empty cells and values that must wrap."""
    import io

    from rich.console import Console
    from rich.text import Text

    from monitor import cli_tables
    from monitor.cli_tables import Col

    cols = [Col("document", keep=True), Col("state"), Col("last success", keep=True)]
    cols += [Col("note")]
    rows: list[list[Text | str]] = [
        ["acme/terms", Text("failing", style="bold red"), "2026-12-02 02:08", "x" * 22],
        ["acme/privacy", "ok", "", "短い説明のテキスト"],
        ["acme/usage", "never checked", "never", "a note long enough to wrap at 30"],
        ["acme/long", "ok", "2026-12-02 02:08", "y" * 60],
    ]

    def draw() -> str:
        out = Console(file=io.StringIO(), width=width, highlight=False, soft_wrap=True)
        cells = [[Text(c) if isinstance(c, str) else c for c in row] for row in rows]
        cli_tables._print_blocks("4 document(s)", cols, cells, "times in UTC", 1, out)
        assert isinstance(out.file, io.StringIO)
        return out.file.getvalue()

    direct = draw()
    monkeypatch.setattr(cli_tables, "_block_lines", lambda cells, width: None)
    assert direct == draw()
