"""The live fetcher against a real HTTP server on 127.0.0.1 (tests/servers.py)."""

from __future__ import annotations

import asyncio
import gzip
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from servers import LocalServer, Reply

from monitor.config import FetchSettings
from monitor.fetch import Fetcher, FetchResult, Validators
from monitor.fetch_time import MAX_RETRY_AFTER, retry_after

FAST = FetchSettings(
    user_agent="tosmon-test/1",
    timeout=0.3,
    retries=2,
    backoff=0.01,
    max_bytes=100_000,
    max_redirects=3,
)
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"


def fetch_all(
    urls: list[str],
    settings: FetchSettings = FAST,
    validators: Validators | None = None,
    **kwargs: Any,
) -> tuple[list[FetchResult], list[float]]:
    """Fetch ``urls`` concurrently; the waits the fetcher asked for are recorded, not slept."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    async def run() -> list[FetchResult]:
        kwargs.setdefault("sleep", sleep)
        async with Fetcher(settings, **kwargs) as fetcher:
            return list(await asyncio.gather(*(fetcher.fetch(u, validators) for u in urls)))

    return asyncio.run(run()), waits


def fetch(
    url: str, settings: FetchSettings = FAST, validators: Validators | None = None, **kwargs: Any
) -> tuple[FetchResult, list[float]]:
    results, waits = fetch_all([url], settings, validators, **kwargs)
    return results[0], waits


def test_ok(http_server: LocalServer) -> None:
    """A 200 gives the body, content type, validators and final URL, sending our User-Agent."""
    http_server.route(
        "/terms", Reply(body="<p>Terms</p>", etag='"v1"', last_modified=LAST_MODIFIED)
    )
    result, waits = fetch(http_server.url("/terms"))
    assert result.ok and not result.not_modified and result.error is None
    assert (result.status, result.content) == (200, b"<p>Terms</p>")
    assert result.content_type == "text/html; charset=utf-8"
    assert result.validators == Validators('"v1"', LAST_MODIFIED)
    assert result.final_url == result.url == http_server.url("/terms")
    assert result.attempts == 1 and waits == []
    assert result.started_at.tzinfo is not None and result.duration >= 0
    assert http_server.requests[0].headers["user-agent"] == "tosmon-test/1"
    assert "if-none-match" not in http_server.requests[0].headers


def test_gzip_body_is_decoded(http_server: LocalServer) -> None:
    """A gzip-encoded body is returned decompressed."""
    http_server.route("/z", Reply(body="hello " * 1000, gzip=True))
    result, _ = fetch(http_server.url("/z"))
    assert result.ok and result.content == b"hello " * 1000


def test_not_modified(http_server: LocalServer) -> None:
    """Validators are sent as If-None-Match / If-Modified-Since; a 304 is ok, without content."""
    http_server.route("/terms", Reply(body="x", etag='"v1"', last_modified=LAST_MODIFIED))
    result, _ = fetch(http_server.url("/terms"), validators=Validators('"v1"', LAST_MODIFIED))
    assert result.ok and result.not_modified
    assert (result.status, result.content) == (304, None)
    assert result.validators.etag == '"v1"'
    sent = http_server.requests[0].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == LAST_MODIFIED


def test_changed_etag_gives_full_body(http_server: LocalServer) -> None:
    """A stale ETag gets the new body and the new validators."""
    http_server.route("/terms", Reply(body="new", etag='"v2"'))
    result, _ = fetch(http_server.url("/terms"), validators=Validators('"v1"'))
    assert (result.status, result.content, result.validators.etag) == (200, b"new", '"v2"')


def test_5xx_then_success(http_server: LocalServer) -> None:
    """Two 503s then a 200 succeed on the third attempt, after two growing backoff waits."""
    http_server.route("/flaky", Reply(503), Reply(503), Reply(body="ok"))
    result, waits = fetch(http_server.url("/flaky"))
    assert result.ok and result.content == b"ok" and result.attempts == 3
    assert http_server.hits("/flaky") == 3
    assert 0.01 <= waits[0] <= 0.015 and 0.02 <= waits[1] <= 0.03


def test_5xx_gives_up(http_server: LocalServer) -> None:
    """A 503 that persists is an "http" error naming the status and the number of attempts."""
    http_server.route("/down", Reply(503))
    result, waits = fetch(http_server.url("/down"))
    assert result.error is not None and result.error.kind == "http"
    assert result.error.status == result.status == 503
    assert str(result.error) == "HTTP 503 Service Unavailable after 3 attempts"
    assert result.content is None and len(waits) == 2 and http_server.hits("/down") == 3


def test_429_retry_after(http_server: LocalServer) -> None:
    """A 429 with Retry-After: 1 is retried after waiting at least one second (the
    document's deadline, 3 × 1 s plus backoff, leaves time for it)."""
    http_server.route("/busy", Reply(429, headers={"Retry-After": "1"}), Reply(body="ok"))
    result, waits = fetch(http_server.url("/busy"), replace(FAST, timeout=1.0))
    assert result.ok and result.attempts == 2
    assert len(waits) == 1 and waits[0] >= 1.0


def test_retry_after_date_is_capped(http_server: LocalServer) -> None:
    """A Retry-After HTTP date an hour away is waited for at most MAX_RETRY_AFTER seconds
    (with a deadline of 3 × 200 s that allows it)."""
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    http_server.route("/busy", Reply(503, headers={"Retry-After": later}), Reply(body="ok"))
    result, waits = fetch(http_server.url("/busy"), replace(FAST, timeout=200.0))
    assert result.ok and waits == [MAX_RETRY_AFTER]


def test_retry_after_parsing() -> None:
    """Retry-After is read as seconds or an HTTP date; junk and past dates do no harm."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert retry_after("7") == 7.0
    assert retry_after("Wed, 01 Jan 2025 00:00:30 GMT", now) == 30.0
    assert retry_after("Tue, 31 Dec 2024 00:00:00 GMT", now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None
    assert retry_after("100000") == MAX_RETRY_AFTER


def test_404_not_retried(http_server: LocalServer) -> None:
    """A 404 is an "http" error at once: no retry, no wait."""
    result, waits = fetch(http_server.url("/missing"))
    assert result.error is not None and result.error.kind == "http"
    assert str(result.error) == "HTTP 404 Not Found"
    assert result.attempts == 1 and waits == [] and http_server.hits("/missing") == 1


def test_timeout(http_server: LocalServer) -> None:
    """A server slower than the timeout gives a "timeout" error after every attempt is spent."""
    http_server.route("/slow", Reply(body="late", delay=5))
    result, waits = fetch(http_server.url("/slow"), replace(FAST, timeout=0.2, retries=1))
    assert result.error is not None and result.error.kind == "timeout"
    where = http_server.url("/slow").split("/")[2]
    assert str(result.error) == f"timed out after 0.2 s waiting for {where} (2 attempts)"
    assert result.attempts == 2 and len(waits) == 1
    assert 0.4 <= result.duration < 2


def test_too_large_by_content_length(http_server: LocalServer) -> None:
    """A Content-Length above max_bytes is refused before the body is read."""
    http_server.route("/big", Reply(size=5_000_000))
    result, _ = fetch(http_server.url("/big"))
    assert result.error is not None and result.error.kind == "too_large"
    assert str(result.error) == "body of 5,000,000 bytes exceeds the 100,000-byte limit"
    assert result.status == 200 and result.content is None and result.attempts == 1


def test_too_large_streamed(http_server: LocalServer) -> None:
    """A body without Content-Length is cut off once it passes max_bytes."""
    http_server.route("/big", Reply(size=5_000_000, chunked=True))
    result, _ = fetch(http_server.url("/big"))
    assert result.error is not None and result.error.kind == "too_large"
    assert str(result.error) == "body exceeds the 100,000-byte limit"


def test_gzip_bomb(http_server: LocalServer) -> None:
    """A small gzip body that inflates past max_bytes is refused: the cap is on decoded bytes."""
    http_server.route("/bomb", Reply(size=50_000_000, gzip=True))
    result, _ = fetch(http_server.url("/bomb"))
    assert result.error is not None and result.error.kind == "too_large"


def test_small_gzip_under_cap_with_large_ratio(http_server: LocalServer) -> None:
    """A compressed body whose decoded size fits under the cap is accepted."""
    body = b"a" * 90_000
    http_server.route("/z", Reply(body=body, gzip=True))
    result, _ = fetch(http_server.url("/z"))
    assert result.ok and result.content == body and len(gzip.compress(body)) < 1000


def test_redirect_chain(http_server: LocalServer) -> None:
    """Relative and absolute redirects are followed to the final URL within one attempt."""
    http_server.route("/a", Reply.redirect("/b", 301))
    http_server.route("/b", Reply.redirect(http_server.url("/c")))
    http_server.route("/c", Reply.redirect("d", 307))
    http_server.route("/d", Reply(body="here"))
    result, _ = fetch(http_server.url("/a"))
    assert result.ok and result.content == b"here" and result.attempts == 1
    assert result.url == http_server.url("/a") and result.final_url == http_server.url("/d")
    assert [r.route for r in http_server.requests] == ["/a", "/b", "/c", "/d"]


def test_redirect_to_other_scheme_refused(http_server: LocalServer) -> None:
    """A redirect to a non-http(s) URL is a "redirect" error and is not followed."""
    http_server.route("/a", Reply.redirect("ftp://example.com/terms"))
    result, _ = fetch(http_server.url("/a"))
    assert result.error is not None and result.error.kind == "redirect"
    assert "ftp://example.com/terms" in str(result.error)
    assert result.status == 302 and len(http_server.requests) == 1


def test_redirect_hop_limit(http_server: LocalServer) -> None:
    """A redirect loop stops after max_redirects hops with a "redirect" error."""
    http_server.route("/loop", Reply.redirect("/loop"))
    result, _ = fetch(http_server.url("/loop"))
    assert result.error is not None and result.error.kind == "redirect"
    assert str(result.error).startswith("more than 3 redirects")
    assert http_server.hits("/loop") == 4 and result.attempts == 1


@pytest.mark.parametrize(("concurrency", "per_host", "expected"), [(8, 2, 2), (1, 4, 1)])
def test_concurrency_limits(
    http_server: LocalServer, concurrency: int, per_host: int, expected: int
) -> None:
    """No more requests reach one host at once than the global and per-host limits allow."""
    for i in range(5):
        http_server.route(f"/doc{i}", Reply(body=str(i), delay=0.1))
    settings = replace(FAST, concurrency=concurrency, per_host=per_host)
    results, _ = fetch_all([http_server.url(f"/doc{i}") for i in range(5)], settings)
    assert [r.content for r in results] == [str(i).encode() for i in range(5)]
    assert http_server.max_concurrent == expected


def test_rate_spaces_request_starts(http_server: LocalServer) -> None:
    """With rate=20, request starts are at least 1/20 s apart."""
    http_server.route("/r", Reply(body="ok"))
    results, _ = fetch_all([http_server.url("/r")] * 4, rate=20, sleep=asyncio.sleep)
    assert all(r.ok for r in results)
    starts = [r.at for r in http_server.requests]
    # Arrival times jitter on a loaded machine; the span of four starts cannot shrink much.
    assert starts[-1] - starts[0] >= 0.12


def test_connection_refused() -> None:
    """A closed port is a retried "connect" error naming the host and port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result, waits = fetch(f"http://127.0.0.1:{port}/terms")
    assert result.error is not None and result.error.kind == "connect"
    assert str(result.error).startswith(f"cannot connect to 127.0.0.1:{port}: ")
    assert result.status is None and result.attempts == 3 and len(waits) == 2


def test_unsupported_url() -> None:
    """A URL that is not http(s) is a "protocol" error, not an exception."""
    result, waits = fetch("ftp://example.com/terms")
    assert result.error is not None and result.error.kind == "protocol"
    assert result.attempts == 1 and waits == []
