"""Crash safety and contention with real processes: SIGKILL mid-check, two checks at once,
on SQLite and on a private PostgreSQL cluster."""

from __future__ import annotations

import json
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

from postgres import opened
from procs import (
    assert_consistent,
    count,
    page,
    query,
    run,
    start,
    versions_per_document,
    wait_for,
    write_config,
)
from servers import LocalServer, Reply, Request

from monitor import store

DOCS = ("terms", "privacy", "usage")


def serve(server: LocalServer, wording: str, delay: float = 0.0) -> dict[str, str]:
    for doc in DOCS:
        server.route(f"/{doc}", Reply(body=page(f"{doc}: {wording}"), delay=delay))
    return {doc: server.url(f"/{doc}") for doc in DOCS}


def reached(server: LocalServer, path: str, hits: int) -> bool:
    return server.hits(path) >= hits


def test_a_check_killed_mid_fetch_leaves_a_stale_lock_the_next_run_takes_over(
    tmp_path: Path, http_server: LocalServer, database_url: str
) -> None:
    """SIGKILL while a response stalls: nothing written; the next run redoes it exactly once."""
    http_server.route("/terms", Reply(body=page("Version one."), delay=30))
    config = write_config(tmp_path, {"terms": http_server.url("/terms")}, database=database_url)
    proc = start("check", "--no-notify", config=config)
    wait_for(lambda: count(config, "locks") == 1 and http_server.hits("/terms") == 1, 60)
    proc.kill()
    proc.communicate(timeout=10)
    assert query(config, "SELECT pid FROM locks") == [(proc.pid,)]
    assert count(config, "fetch_attempts") == 0

    http_server.route("/terms", Reply(body=page("Version one.")))
    done = run("check", "--no-notify", "--json", config=config)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["checked"] == 1
    assert f"taking over a stale lock of pid {proc.pid}" in done.stderr
    assert versions_per_document(config) == {"acme/terms": 1}
    assert_consistent(config)


def test_kill_9_at_random_moments_never_loses_or_duplicates_work(
    tmp_path: Path, http_server: LocalServer, database_url: str
) -> None:
    """Checks killed at random points, then a clean run: every document ends on the live
    wording, with no repeated version and exactly one change between consecutive versions."""
    config = write_config(
        tmp_path, serve(http_server, "We never train on your data.", 0.2), database=database_url
    )
    rng = random.Random(7)
    for attempt, wording in enumerate(("We never train.", "We may train unless you opt out."), 1):
        serve(http_server, wording, 0.2)
        proc = start("check", "--no-notify", config=config)
        wait_for(partial(reached, http_server, "/terms", attempt), 60, "the check to start")
        time.sleep(rng.uniform(0.0, 0.5))  # while fetching, recording or committing
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    done = run("check", "--no-notify", "--json", config=config)
    assert done.returncode == 0, done.stderr
    assert not json.loads(done.stdout)["errors"]
    for doc in DOCS:
        texts = stored_texts(database_url, doc)
        assert texts and "may train unless you opt out" in texts[-1]
        assert all(a != b for a, b in zip(texts, texts[1:], strict=False))
        changes = count(
            config, "changes c JOIN documents d ON d.id = c.document_id", f"d.slug = '{doc}'"
        )
        assert changes == len(texts) - 1
    assert_consistent(config)


def test_two_checks_at_once_never_process_the_same_document_together(
    tmp_path: Path, http_server: LocalServer, database_url: str
) -> None:
    """A cron check and another check overlap: each document is fetched by one of them only,
    and the other reports it locked."""
    gate = threading.Event()  # the first check's fetches stall until the second has finished

    def held(doc: str) -> Callable[[Request], Reply]:
        def respond(request: Request) -> Reply:
            gate.wait(60)  # a fetch of the second check (a document it locked) waits at most this
            return Reply(body=page(f"{doc}: Same words."))

        return respond

    for doc in DOCS:
        http_server.route(f"/{doc}", held(doc))
    urls = {doc: http_server.url(f"/{doc}") for doc in DOCS}
    config = write_config(tmp_path, urls, timeout=90, database=database_url)
    first = start("check", "--no-notify", "--json", config=config)
    wait_for(lambda: len(http_server.requests) >= 1, 60, "the first check to fetch")
    second = start("check", "--no-notify", "--json", config=config)
    second_out = second.communicate(timeout=120)
    gate.set()
    first_out = first.communicate(timeout=120)
    outputs = [first_out, second_out]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    reports = [json.loads(out) for out, _ in outputs]
    locked = {r["document"] for r in reports[1]["locked"]}
    assert locked, "the second check found no document locked by the first"
    assert not reports[0]["locked"] and not reports[0]["errors"], reports
    assert not reports[1]["errors"], reports
    hits = Counter(request.route for request in http_server.requests)
    assert hits == Counter({f"/{doc}": 1 for doc in DOCS})
    assert versions_per_document(config) == {f"acme/{doc}": 1 for doc in DOCS}
    assert_consistent(config)


def stored_texts(url: str, slug: str) -> list[str]:
    """The texts of the versions of ``slug``, oldest first, as the store reads them."""
    with opened(url) as sessions, sessions() as s:
        row = store.find_document(s, "acme", slug)
        return [v.text for v in store.versions(s, row.id)] if row is not None else []
