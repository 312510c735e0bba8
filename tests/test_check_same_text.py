"""A live check of pages whose bytes changed but whose words did not (rotated tokens):
each is recorded as ``unchanged`` with the version in force, its new snapshot stored,
exactly as a page read one by one inside its transaction would be (real SQLite, real
worker processes, a real HTTP server)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import procs
from servers import LocalServer, Reply
from sqlalchemy import select

from monitor import store, store_snapshots
from monitor.capture import Attempt, Capture, process_capture
from monitor.config import load_config
from monitor.db import open_database
from monitor.models import Episode, FetchAttempt, Version
from monitor.pipeline import check_documents

DOCS = 20  # enough for the pool of worker processes (``worker.POOL_MIN_PAGES``)


def tokened(n: int, token: str, words: str = "applies") -> str:
    """Document ``n``'s page, with a tracking token in a script and an attribute."""
    html = procs.page(f"Rule {n} {words} to every account.", "We keep logs for 30 days.")
    script = f'<script>window.__token="{token}"</script><a href="/x?t={token}">x</a>'
    return html.replace("</main>", f"</main>{script}")


def test_rotated_tokens_are_unchanged_with_their_snapshot_and_a_reworded_page_is_new(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """After a check answered 304 for the even documents, every token rotated, document 0
    reworded, document 1's history moved on by an archive capture of other words since,
    document 2 failing in between (its outage ends). The same-text pages are ``unchanged``
    with version 1, their attempt rows hold the new bytes' snapshot (stored, readable) and
    the text's digest."""
    urls = {f"d{n:02d}": http_server.url(f"/p{n}") for n in range(DOCS)}
    for n in range(DOCS):
        etag = f'"v{n}"' if n % 2 == 0 else None
        http_server.route(f"/p{n}", Reply(body=tokened(n, "aaa"), etag=etag))
    config = load_config(procs.write_config(tmp_path, urls))
    sessions = open_database(config.database)
    docs = config.documents()
    try:
        first = asyncio.run(check_documents(config, sessions, docs))
        assert {r.outcome for r in first.results} == {"new_version"}
        again = asyncio.run(check_documents(config, sessions, docs))
        assert {r.outcome for r in again.results} == {"not_modified", "unchanged"}
        http_server.route("/p2", Reply(status=500, body="down"))
        failed = asyncio.run(check_documents(config, sessions, [docs[2]]))
        assert failed.results[0].outcome == "error"
        for n in range(DOCS):
            words = "now applies" if n == 0 else "applies"
            http_server.route(f"/p{n}", Reply(body=tokened(n, "bbb", words)))
        with sessions.begin() as s:  # an archive capture of other words, after the check
            at = datetime.now(UTC)
            capture = Capture(tokened(1, "zzz", "never applies").encode(), None, at, "archive")
            process_capture(s, docs[1], capture, Attempt(at, urls["d01"]))
        since = datetime.now(UTC)
        second = asyncio.run(check_documents(config, sessions, docs))
        with sessions() as s:
            rows = s.execute(
                select(FetchAttempt.document_id, FetchAttempt.snapshot_sha256)
                .add_columns(FetchAttempt.text_sha256, FetchAttempt.bytes)
                .where(FetchAttempt.origin == "live", FetchAttempt.outcome == "unchanged")
                .where(FetchAttempt.started_at >= since)
            ).all()
            store_snapshots._raw_cache.clear()  # read back as stored, not as remembered
            stored = {row[1]: store.load_snapshot(s, row[1]) for row in rows}
            texts = {v.text_sha256 for v in s.scalars(select(Version))}
            outage = s.scalars(select(Episode).where(Episode.kind == "outage")).one()
    finally:
        sessions.kw["bind"].dispose()
    reports = {r.document: r for r in second.results}
    assert reports["d00"].outcome == "new_version" and reports["d00"].version == 2
    assert reports["d01"].outcome == "new_version" and reports["d01"].version == 3
    same = [reports[f"d{n:02d}"] for n in range(2, DOCS)]
    assert {(r.outcome, r.version, r.error) for r in same} == {("unchanged", 1, None)}
    assert all(r.captured_at == first.results[int(r.document[1:])].captured_at for r in same)
    assert len(rows) == DOCS - 2
    pages = {tokened(n, "bbb").encode() for n in range(2, DOCS)}
    assert set(stored.values()) == pages
    assert all(text in texts and size == len(stored[snap]) for _, snap, text, size in rows)
    assert outage.ended_at is not None and outage.text_changed is False
