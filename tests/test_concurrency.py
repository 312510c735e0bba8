"""Concurrent processes on one database, on SQLite and on a real PostgreSQL server.

Real `tosmon` processes (procs.py) against pages and an archive on 127.0.0.1; the
database is a SQLite file or a fresh database of the private PostgreSQL cluster.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from conftest import close_engines
from histories import document_histories
from postgres import PostgresCluster, opened
from procs import page, run, start, write_config
from smtp import free_port
from sqlalchemy import func, select
from wayback import FakeWayback

from monitor import store
from monitor.archive import format_timestamp
from monitor.db import alembic_config, current_revision
from monitor.models import Document, FetchAttempt

DOCS = 60
TRACEBACK = "Traceback (most recent call last)"


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_cluster: PostgresCluster | None
) -> Iterator[Callable[[], str]]:
    """Makes empty databases of one back end (PostgreSQL skipped when not installed)."""
    if request.param == "postgresql" and postgres_cluster is None:
        pytest.skip("PostgreSQL (initdb, pg_ctl) or psycopg not installed")
    made: list[str] = []

    def make() -> str:
        if postgres_cluster is not None and request.param == "postgresql":
            url = postgres_cluster.new_database()
        else:
            url = f"sqlite:///{tmp_path / f'db{len(made)}.sqlite'}"
        made.append(url)
        return url

    yield make
    for url in made:
        if url.startswith("postgresql"):
            close_engines(url)


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) of each started process, once all have ended."""
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        out.append((proc.returncode, stdout, stderr))
    return out


def attempts_per_document(url: str) -> dict[str, int]:
    """How many live fetch attempts each document has recorded."""
    query = (
        select(Document.slug, func.count(FetchAttempt.id))
        .join(FetchAttempt, FetchAttempt.document_id == Document.id)
        .where(FetchAttempt.origin == "live")
        .group_by(Document.slug)
    )
    with opened(url) as sessions, sessions() as s:
        return {slug: int(n) for slug, n in s.execute(query)}


def test_two_checks_in_opposite_orders_check_every_document_once(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    """Two `tosmon check` over the same 60 documents in opposite orders, twice: no crash,
    and in each round every document is checked by both (one after the other) or by one
    while the other reports it locked — never lost, never stored twice."""
    url = new_database()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with FakeWayback() as server:
        urls = {f"d{n:02d}": server.live(f"/p{n}", page(f"Rule {n} applies.")) for n in range(DOCS)}
        configs = (
            write_config(tmp_path / "a", urls),
            write_config(tmp_path / "b", dict(reversed(list(urls.items())))),
        )
        locked_so_far: Counter[str] = Counter()
        for round_ in (1, 2):
            procs = [
                start("check", "--json", "--no-notify", "--db", url, config=c) for c in configs
            ]
            locked: Counter[str] = Counter()
            for code, stdout, stderr in finish(procs):
                assert code == 0 and TRACEBACK not in stderr, stderr
                report = json.loads(stdout)
                assert report["checked"] == DOCS and report["errors"] == []
                locked.update(r["document"] for r in report["locked"])
            assert all(n <= 1 for n in locked.values())  # never skipped by both
            locked_so_far += locked
            attempts = attempts_per_document(url)
            assert {d: attempts[d] + locked_so_far[d] for d in urls} == dict.fromkeys(
                urls, 2 * round_
            )
    with opened(url) as sessions, sessions() as s:
        assert sorted(len(store.versions(s, d.id)) for d in store.all_documents(s)) == [1] * DOCS


def test_four_backfills_over_disjoint_ranges_equal_one_serial_backfill(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    """Four `tosmon backfill --from/--to` at once over quarters of the same documents'
    history give exactly the history one backfill of everything gives."""
    start_day = datetime(2023, 1, 1, tzinfo=UTC)
    with FakeWayback() as archive:
        docs = {}
        for n in range(3):
            doc_url = f"https://acme.example/doc{n}"
            docs[f"doc{n}"] = doc_url
            for day in range(0, 120, 10):  # 12 captures, a wording change every 30 days
                when = format_timestamp(start_day + timedelta(days=day, hours=n))
                wording = f"Document {n}: we keep your data for {30 + day // 30} days."
                archive.add(doc_url, when, page(wording, f"Build {day}."))
        extra = f'[archive]\nwayback_url = "{archive.base}"\nrate = 1000\nretries = 1\n'
        config = write_config(tmp_path, docs, extra=extra)
        serial, parallel = new_database(), new_database()
        [(code, _, stderr)] = finish([start("backfill", "--json", "--db", serial, config=config)])
        assert code == 0, stderr
        quarters = [("2023-01-01", "2023-01-30"), ("2023-01-31", "2023-03-01")]
        quarters += [("2023-03-02", "2023-03-31"), ("2023-04-01", "2023-12-31")]
        procs = [
            start("backfill", "--json", "--db", parallel, "--from", a, "--to", b, config=config)
            for a, b in quarters
        ]
        results = finish(procs)
    for code, stdout, stderr in results:
        assert code == 0 and TRACEBACK not in stderr, stderr
        assert json.loads(stdout)["errors"] == []
    expected = document_histories(serial)
    assert sum(len(h) for h in expected.values()) == 3 * 12
    assert document_histories(parallel) == expected


def test_two_first_upgrades_at_once_both_succeed(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    """Two `tosmon db upgrade` on an empty database at the same moment, twice: both
    succeed every time and the schema ends at the head revision."""
    config = write_config(tmp_path, {"terms": "https://acme.example/terms"})
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    for _ in range(2):
        url = new_database()
        procs = [start("db", "upgrade", "--db", url, config=config) for _ in range(2)]
        for code, stdout, stderr in finish(procs):
            assert code == 0, stderr
            assert f"database at revision {head}" in stdout
        with opened(url) as sessions:
            assert current_revision(sessions.kw["bind"]) == head


def test_an_unreachable_database_is_one_error_line(tmp_path: Path) -> None:
    """`--db` naming a PostgreSQL server that is not running: exit 1 with one `Error:` line
    naming the server (not its password), no traceback, no database file written."""
    pytest.importorskip("psycopg")
    config = write_config(tmp_path, {"terms": "https://acme.example/terms"})
    url = f"postgresql+psycopg://tosmon:s3cret@127.0.0.1:{free_port()}/tosmon"
    done = run("check", "--no-notify", "--db", url, config=config, timeout=60)
    assert done.returncode == 1 and TRACEBACK not in done.stderr, done.stderr
    [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("Error:")]
    assert "127.0.0.1" in line and "s3cret" not in line
    assert not (tmp_path / "tosmon.db").exists()
