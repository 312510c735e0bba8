"""Archive backfill against a Wayback-compatible server on 127.0.0.1: real SQLite, migrations."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from postgres import opened
from wayback import FakeWayback

from monitor import store
from monitor.archive import (
    ArchivedCapture,
    capture_url,
    cdx_url,
    layout,
    read_cdx,
    timestamp_from_url,
)
from monitor.backfill import WINDOW, BackfillProgress, backfill, is_settled
from monitor.cli import main
from monitor.config import Config, load_config
from monitor.db import SessionFactory

DOC_URL = "https://acme.example/terms"
T1, T2, T3, T4 = "20230105120000", "20230310080000", "20230601000000", "20231201000000"


def page(*paragraphs: str, noise: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><body><nav>{noise}</nav><main><h1>Terms of Use</h1>{body}</main></body></html>"


OWN = "You own the outputs you create with the service."
V1 = page("We do not use your content to train our models.", OWN)
V1_REDONE = page("We do not use your content to train our models.", OWN, noise="menu")
V2 = page("We may use your content to train our models unless you opt out.", OWN)
V3 = page(
    "We may use your content to train our models unless you opt out.",
    OWN,
    "We keep your conversations for thirty days, then delete them.",
)
OLD_LAYOUT = "<html><body><div class='legacy'><p>Terms of an older design.</p></div></body></html>"


@pytest.fixture
def archive() -> Iterator[FakeWayback]:
    with FakeWayback() as server:
        yield server


def write_config(tmp_path: Path, base: str, doc_url: str = DOC_URL, kind: str = "wayback") -> Path:
    path, database = tmp_path / "sources.toml", tmp_path / "tosmon.db"
    path.write_text(
        f"""
[monitor]
database = "sqlite:///{database}"
backoff = 0

[archive]
kind = "{kind}"
wayback_url = "{base}"
rate = 1000
retries = 2
timeout = 5

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
name = "Terms of Use"
url = "{doc_url}"
select = ["main"]
""",
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, [*args, "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def run_json(config: Path, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run(config, "backfill", "--json", *args).stdout)
    return data


@pytest.fixture(autouse=True)
def backend(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on SQLite and on PostgreSQL (when installed): the commands and
    ``open_db`` take the database from TOSMON_DB, as `--db` would."""
    monkeypatch.setenv("TOSMON_DB", database_url)
    return database_url


@contextmanager
def open_db(config: Path) -> Iterator[tuple[Config, SessionFactory]]:
    """The configuration (database from TOSMON_DB when set) and its migrated database."""
    cfg = load_config(config, os.environ.get("TOSMON_DB"))
    with opened(cfg.database) as sessions:
        yield cfg, sessions


def history(config: Path) -> list[tuple[str, str, str | None, str | None]]:
    """(timestamp, origin, change kind, change alert) of every version, oldest first."""
    with open_db(config) as (_, sessions), sessions() as s:
        row = store.find_document(s, "acme", "terms")
        if row is None:
            return []
        changes = store.changes_by_version(s, row.id)
        out = []
        for v in store.versions(s, row.id):
            change = changes.get(v.id)
            out.append(
                (
                    v.captured_at.strftime("%Y%m%d%H%M%S"),
                    v.origin,
                    change.kind if change else None,
                    change.alert if change else None,
                )
            )
        return out


def fetched(archive: FakeWayback) -> list[str]:
    """Timestamps of the captures the archive was asked for, in order."""
    return [str(timestamp_from_url(p)) for p in archive.capture_requests()]


def serve(archive: FakeWayback, *captures: tuple[str, str]) -> None:
    for timestamp, html in captures:
        archive.add(DOC_URL, timestamp, html)


# -- parsing -----------------------------------------------------------------------------


def as_json_time(timestamp: str) -> str:
    """A 14-digit Wayback timestamp as every JSON time is written (ISO 8601 UTC, Z)."""
    t = timestamp
    return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


def test_cdx_answers_parse_into_captures_oldest_first() -> None:
    """A JSON CDX answer gives one capture per timestamp, oldest first; `[]` and "" are empty."""
    header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
    rows = [
        header,
        ["k", "20240102000000", "https://a.example/x", "text/html", "200", "B", "9"],
        ["k", "20230102000000", "https://a.example/x", "text/html", "200", "A", "9"],
        ["k", "20230102000000", "http://a.example/x", "text/html", "200", "A", "9"],
        ["k", "20220102000000", "https://a.example/x", "text/html", "404", "C", "9"],
    ]
    captures = read_cdx(json.dumps(rows).encode()).captures
    assert [c.timestamp for c in captures] == ["20230102000000", "20240102000000"]
    assert read_cdx(b"[]").captures == [] and read_cdx(b"  ").captures == []


def test_capture_urls_keep_a_path_prefix_and_their_timestamp_reads_back() -> None:
    """A self-hosted archive under a path prefix gets the same URLs, relative to the prefix."""
    capture = ArchivedCapture("20230105120000", DOC_URL)
    url = capture_url(layout("wayback", "http://h:8080/wayback/"), capture)
    assert url == "http://h:8080/wayback/web/20230105120000id_/https://acme.example/terms"
    assert timestamp_from_url(url) == "20230105120000"
    where = layout("wayback", "http://h:8080/wayback")
    query = cdx_url(where, DOC_URL, date(2023, 1, 1), date(2023, 12, 31))
    assert query.startswith("http://h:8080/wayback/cdx/search/cdx?url=https%3A%2F%2Facme")
    assert "collapse=digest" in query and "from=20230101" in query and "to=20231231" in query


def test_only_transient_failures_are_retried_by_the_next_run() -> None:
    """Timeouts, 429 and 5xx are retried; a 404 or a layout mismatch (same settings) is not."""

    def attempt(outcome: str, kind: str | None, status: int | None, fp: str = "fp") -> Any:
        return store.ArchiveAttempt("u", None, outcome, kind, status, fp)

    assert is_settled(attempt("new_version", None, 200), "fp")
    assert is_settled(attempt("error", "selector", 200), "fp")
    assert not is_settled(attempt("error", "selector", 200, fp="old"), "fp")
    assert is_settled(attempt("error", "http", 404), "fp")
    for kind, status in (("http", 429), ("http", 503), ("timeout", None), ("connect", None)):
        assert not is_settled(attempt("error", kind, status), "fp")


# -- backfilling -------------------------------------------------------------------------


def test_backfill_records_archived_captures_oldest_first(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """Each archived capture is processed at its own timestamp; history has no alerts."""
    serve(archive, (T3, V3), (T1, V1), (T2, V2))
    config = write_config(tmp_path, archive.base)
    summary = run_json(config)
    assert summary["documents"] == 1 and summary["captures"] == 3 and summary["versions"] == 3
    assert summary["errors"] == []
    assert history(config) == [
        (T1, "archive", None, None),
        (T2, "archive", "substantive", "none"),
        (T3, "archive", "substantive", "none"),
    ]
    assert sorted(fetched(archive)) == [T1, T2, T3]


def test_a_capture_that_redirects_is_stored_at_the_actual_timestamp(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """The archive redirects to the nearest capture: captured_at comes from the final URL."""
    serve(archive, (T1, V1), (T3, V2))
    archive.list_only(DOC_URL, "20230601000500")  # listed, but nearest real capture is T3
    config = write_config(tmp_path, archive.base)
    summary = run_json(config)
    assert summary["errors"] == []
    assert [row[0] for row in history(config)] == [T1, T3]
    assert run_json(config)["captures"] == 0  # the listed timestamp is settled too


def test_429_and_5xx_are_retried_until_the_capture_arrives(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """A capture answered 429 then 503 is fetched again and recorded; the CDX too."""
    serve(archive, (T1, V1), (T2, V2))
    archive.fail(T2, 429, 503)
    archive.fail_cdx(503)
    config = write_config(tmp_path, archive.base)
    summary = run_json(config)
    assert summary["errors"] == [] and summary["versions"] == 2
    assert sum(1 for p in archive.capture_requests() if T2 in p) == 3
    assert len(archive.cdx_requests()) == 2


def test_an_empty_listing_is_not_an_error(tmp_path: Path, archive: FakeWayback) -> None:
    """No captures in the archive (`[]` or an empty body): nothing fetched, nothing failed."""
    config = write_config(tmp_path, archive.base)
    assert run_json(config) == run_json(config) | {"captures": 0, "versions": 0, "errors": []}
    archive.empty_body_when_none = True
    summary = run_json(config)
    assert summary["captures"] == 0 and summary["errors"] == []
    assert archive.capture_requests() == []


def test_a_capture_with_an_older_layout_is_reported_and_others_processed(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """Selectors matching nothing: that capture is reported, not retried; the rest go on."""
    serve(archive, (T1, OLD_LAYOUT), (T2, V1), (T3, V2))
    config = write_config(tmp_path, archive.base)
    summary = run_json(config)
    assert summary["versions"] == 2 and summary["captures"] == 3
    [error] = summary["errors"]
    assert error == {
        "provider": "acme",
        "document": "terms",
        "timestamp": T1,
        "url": f"{archive.base}/web/{T1}id_/{DOC_URL}",
        "kind": "selector",
        "message": error["message"],
        "captured_at": as_json_time(T1),
    }
    assert [row[0] for row in history(config)] == [T2, T3]
    before = len(archive.capture_requests())
    again = run_json(config)
    assert again["captures"] == 0 and again["errors"] == []
    assert len(archive.capture_requests()) == before


def test_from_and_to_limit_the_captures(tmp_path: Path, archive: FakeWayback) -> None:
    """--from/--to reach the CDX query and only captures in those days are fetched."""
    serve(archive, (T1, V1), (T2, V2), (T3, V3), (T4, V1))
    config = write_config(tmp_path, archive.base)
    summary = run_json(config, "--from", "2023-03-10", "--to", "2023-06-01")
    assert summary["captures"] == 2
    assert [row[0] for row in history(config)] == [T2, T3]
    query = archive.cdx_requests()[0]
    assert query["from"] == "20230310" and query["to"] == "20230601"
    assert query["filter"] == "statuscode:200" and query["collapse"] == "digest"


def test_a_second_run_fetches_no_capture(tmp_path: Path, archive: FakeWayback) -> None:
    """Idempotent: the second backfill lists again but requests no capture."""
    serve(archive, (T1, V1), (T2, V1_REDONE), (T3, V2))
    config = write_config(tmp_path, archive.base)
    first = run_json(config)
    assert first["captures"] == 3 and first["versions"] == 2
    requests = len(archive.capture_requests())
    second = run_json(config)
    assert second["captures"] == 0 and second["versions"] == 0
    assert second["per_document"][0]["skipped"] == 3
    assert len(archive.capture_requests()) == requests


class Interrupted(Exception):
    pass


def stop_after_two(cfg: Config, sessions: SessionFactory, window: int = WINDOW) -> None:
    """A backfill interrupted once two captures were reported done."""

    def stop(progress: BackfillProgress) -> None:
        if progress.done == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        asyncio.run(backfill(cfg, sessions, cfg.documents(), on_progress=stop, window=window))


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path, archive: FakeWayback) -> None:
    """Stopped once two captures were reported done, the history keeps them (captures read
    already are recorded together, so it may keep more); the next run fetches only the
    captures it does not have, and the history is complete."""
    serve(archive, (T1, V1), (T2, V2), (T3, V3), (T4, V1))
    config = write_config(tmp_path, archive.base)
    with open_db(config) as (cfg, sessions):
        stop_after_two(cfg, sessions)
        kept = [row[0] for row in history(config)]
        assert kept == [T1, T2, T3, T4][: len(kept)] and len(kept) >= 2
        seen = len(archive.capture_requests())
        report = asyncio.run(backfill(cfg, sessions, cfg.documents()))
        assert report.as_dict()["captures"] == 4 - len(kept)
        assert sorted(fetched(archive)[seen:]) == [T1, T2, T3, T4][len(kept) :]
        assert [row[0] for row in history(config)] == [T1, T2, T3, T4]


def test_an_interrupted_run_one_capture_at_a_time_keeps_exactly_what_it_reported(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """Read one capture ahead only, every capture is its own transaction: stopped after
    two, the history has those two and the next run fetches the other two."""
    serve(archive, (T1, V1), (T2, V2), (T3, V3), (T4, V1))
    config = write_config(tmp_path, archive.base)
    with open_db(config) as (cfg, sessions):
        stop_after_two(cfg, sessions, window=1)
        assert [row[0] for row in history(config)] == [T1, T2]
        seen = len(archive.capture_requests())
        assert asyncio.run(backfill(cfg, sessions, cfg.documents())).as_dict()["captures"] == 2
        assert sorted(fetched(archive)[seen:]) == [T3, T4]
        assert [row[0] for row in history(config)] == [T1, T2, T3, T4]


def test_a_capture_failing_for_good_this_run_is_retried_next_run(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """A 503 outlasting the retries is reported as such and fetched again by the next run."""
    serve(archive, (T1, V1), (T2, V2), (T3, V3))
    archive.fail(T2, 503, 503, 503)
    config = write_config(tmp_path, archive.base)
    summary = run_json(config)
    [error] = summary["errors"]
    assert (error["timestamp"], error["kind"]) == (T2, "http")
    assert error["captured_at"] == as_json_time(T2)  # the archive's id, and the time in JSON
    assert "503" in error["message"]
    assert [row[0] for row in history(config)] == [T1, T3]
    summary = run_json(config)
    assert summary["captures"] == 1 and summary["errors"] == []
    assert history(config) == [
        (T1, "archive", None, None),
        (T2, "archive", "substantive", "none"),
        (T3, "archive", "substantive", "none"),
    ]


def test_backfill_after_live_checks_keeps_history_chronological(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """Older archived versions go before the live one; the change into it is recomputed."""
    live_url = archive.live("/live/terms", V3)
    archive.add(live_url, T1, V1)
    archive.add(live_url, T2, V2)
    config = write_config(tmp_path, archive.base, doc_url=live_url)
    run(config, "check", "--no-notify", "--json")
    [(_, origin, kind, _)] = history(config)
    assert (origin, kind) == ("live", None)
    run_json(config)
    rows = history(config)
    assert [(r[1], r[2]) for r in rows] == [
        ("archive", None),
        ("archive", "substantive"),
        ("live", "substantive"),
    ]
    assert [r[0] for r in rows[:2]] == [T1, T2]
    assert rows[2][3] == "none"  # history, not an alert


def test_a_capture_found_later_is_inserted_between_versions(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """A newly archived older capture splits a change in two; each side is recomputed."""
    serve(archive, (T1, V1), (T3, V3))
    config = write_config(tmp_path, archive.base)
    run_json(config)
    archive.add(DOC_URL, T2, V2)
    summary = run_json(config)
    assert summary["captures"] == 1 and summary["versions"] == 1
    with open_db(config) as (_, sessions), sessions() as s:
        row = store.find_document(s, "acme", "terms")
        assert row is not None
        versions = store.versions(s, row.id)
        changes = store.changes_by_version(s, row.id)
        pairs = [(changes[v.id].from_version_id, v.id) for v in versions[1:]]
        assert pairs == [(versions[0].id, versions[1].id), (versions[1].id, versions[2].id)]
        assert "thirty days" in versions[2].text and "opt out" in versions[1].text


def test_an_archive_under_a_path_prefix_works_the_same(tmp_path: Path) -> None:
    """wayback_url = http://127.0.0.1:PORT/wayback: listings and captures under the prefix."""
    with FakeWayback(prefix="/wayback") as archive:
        serve(archive, (T1, V1), (T2, V2))
        config = write_config(tmp_path, archive.base)
        summary = run_json(config)
    assert summary["versions"] == 2 and summary["errors"] == []
    assert all(p.startswith("/wayback/web/") for p in archive.capture_requests())


def test_an_unreachable_listing_is_reported(tmp_path: Path, archive: FakeWayback) -> None:
    """A CDX listing failing past the retries is an error of that document, without timestamp."""
    serve(archive, (T1, V1))
    archive.fail_cdx(500, 500, 500)
    config = write_config(tmp_path, archive.base)
    [error] = run_json(config)["errors"]
    assert error["timestamp"] is None and error["captured_at"] is None
    assert error["kind"] == "http"
    assert "CDX listing failed" in error["message"]


def test_the_human_report_is_a_table_with_the_problems_listed(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """Without --json: counts per document, then the captures not recorded, grouped by problem."""
    serve(archive, (T1, OLD_LAYOUT), (T2, OLD_LAYOUT + "<!-- 2 -->"), (T3, V1))
    config = write_config(tmp_path, archive.base)
    out = run(config, "backfill").stdout
    assert "acme/terms" in out and "listed" in out and "substantive" in out
    assert f"selector  2 captures, {T1} … {T2}" in out
    assert "retried by the next backfill" in out


def test_the_backfill_knows_nothing_of_unknown_documents(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """--document naming nothing configured is a usage error (exit 2) that fetches nothing."""
    config = write_config(tmp_path, archive.base)
    result = CliRunner().invoke(main, ["backfill", "--config", str(config), "-d", "nope"])
    assert result.exit_code == 2 and "no document 'nope'" in result.output
    assert archive.requests == []


def test_from_after_to_is_a_usage_error(tmp_path: Path, archive: FakeWayback) -> None:
    """--from later than --to exits 2 before anything is fetched."""
    config = write_config(tmp_path, archive.base)
    result = CliRunner().invoke(
        main,
        ["backfill", "--config", str(config), "--from", "2024-01-02", "--to", "2024-01-01"],
    )
    assert result.exit_code == 2 and archive.requests == []


def test_timestamps_are_utc() -> None:
    """A 14-digit Wayback timestamp is a UTC instant."""
    assert ArchivedCapture(T1, DOC_URL).captured_at == datetime(2023, 1, 5, 12, tzinfo=UTC)


def test_requests_to_the_archive_are_paced_by_the_configured_rate(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """[archive].rate spaces every request (listing and captures) at least 1/rate apart."""
    serve(archive, (T1, V1), (T2, V2), (T3, V3))
    config = write_config(tmp_path, archive.base)
    config.write_text(config.read_text().replace("rate = 1000", "rate = 2"))
    with open_db(config) as (cfg, sessions):
        waits: list[float] = []

        async def no_sleep(seconds: float) -> None:
            waits.append(seconds)

        asyncio.run(backfill(cfg, sessions, cfg.documents(), sleep=no_sleep))
        assert len(archive.requests) == 4
        assert len(waits) >= 3 and all(w <= 0.5 * 4 for w in waits)
        assert max(waits) >= 1.0  # the fourth request waits ~1.5 s behind the first


def test_an_archived_capture_over_the_text_limit_is_reported_and_the_rest_stored(
    tmp_path: Path, archive: FakeWayback
) -> None:
    """A capture whose text is over `max_text_bytes` is that capture's error, naming the
    setting; the captures around it are stored, and once the limit is raised the next
    backfill stores the big one too (it was not settled)."""
    big = page(*(f"Section {n}: the provider may change these terms." for n in range(400)))
    serve(archive, (T1, V1), (T2, big), (T3, V2))
    config = write_config(tmp_path, archive.base)
    config.write_text(
        config.read_text().replace("backoff = 0", "backoff = 0\nmax_text_bytes = 5000")
    )
    summary = run_json(config)
    [error] = summary["errors"]
    assert (error["timestamp"], error["kind"]) == (T2, "text_too_large")
    assert "max_text_bytes" in error["message"]
    assert [row[0] for row in history(config)] == [T1, T3]
    config.write_text(config.read_text().replace("max_text_bytes = 5000", "max_text_bytes = 50000"))
    again = run_json(config)
    assert again["errors"] == [] and [row[0] for row in history(config)] == [T1, T2, T3]
