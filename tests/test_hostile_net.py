"""A hostile network (issue 12): bad redirects, crashing pages, protocol violations and
redirects to other sites or private addresses, each met by `tosmon check` against real
servers on 127.0.0.1. One document's trouble is its own error; the others are recorded."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from procs import page, write_config
from servers import LocalServer, Reply, gzip_bomb

from monitor.cli import main
from monitor.config import FetchSettings, load_config
from monitor.db import open_database
from monitor.fetch import Fetcher, FetchResult
from monitor.locks import Locks, current_locks
from monitor.pipeline import check_documents

GOOD = page("These terms apply to your use of the services.", "Fees are due in thirty days.")


def check(config: Path, *options: str) -> tuple[dict[str, Any], str]:
    """`tosmon [options] check --json --no-notify`: the report and stderr; exit must be 0."""
    result = CliRunner().invoke(
        main, [*options, "check", "--json", "--no-notify", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def errors(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {r["document"]: (r["error_kind"], r["error"]) for r in report["errors"]}


def version_count(config: Path, document: str) -> int:
    result = CliRunner().invoke(
        main, ["history", "acme", document, "--json", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    return len(json.loads(result.stdout)["versions"])


def status(config: Path) -> dict[str, dict[str, Any]]:
    result = CliRunner().invoke(main, ["status", "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    return {d["document"]: d for d in json.loads(result.stdout)["documents"]}


@pytest.fixture
def server(http_server: LocalServer) -> LocalServer:
    http_server.route("/good", Reply(body=GOOD))
    return http_server


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://127.0.0.1:99999/x", "has an invalid port"),
        ("http://xn--/x", "has an invalid host name 'xn--'"),
        ("http://127.0.0.1:0/x", "has port 0"),
    ],
)
def test_a_redirect_to_an_impossible_url_fails_only_its_document(
    tmp_path: Path, server: LocalServer, location: str, message: str
) -> None:
    """A redirect to port 99999 or a malformed IDNA name is that document's `redirect`
    error naming the target; the other document is recorded and the run exits 0."""
    server.route("/bad", Reply.redirect(location))
    config = write_config(tmp_path, {"good": server.url("/good"), "bad": server.url("/bad")})
    report, _ = check(config)
    kind, error = errors(report)["bad"]
    assert kind == "redirect" and error.startswith(f"refused a redirect to {location}")
    assert message in error
    assert report["checked"] == 2 and version_count(config, "good") == 1
    assert status(config)["bad"]["state"] == "failing"


def test_a_page_that_crashes_processing_is_an_internal_error_of_its_document(
    tmp_path: Path, server: LocalServer
) -> None:
    """A page whose declared charset makes decoding raise (charset=punycode on plain text)
    is an `internal` error with the exception type, recorded as a failed attempt; the
    traceback goes to stderr with --verbose; nothing of it is stored and no lock is left."""
    server.route("/crash", Reply(body=GOOD, content_type="text/html; charset=punycode"))
    config = write_config(tmp_path, {"good": server.url("/good"), "crash": server.url("/crash")})
    report, stderr = check(config, "--verbose")
    kind, error = errors(report)["crash"]
    assert kind == "internal"
    assert error.startswith("internal error while processing the page: UnicodeError: ")
    assert "Traceback (most recent call last)" in stderr and "acme/crash" in stderr
    assert version_count(config, "good") == 1 and version_count(config, "crash") == 0
    crash = status(config)["crash"]
    assert crash["state"] == "failing" and crash["last_error"]["kind"] == "internal"
    assert current_locks(open_database(load_config(config).database)) == []


def test_without_verbose_the_internal_error_is_one_line(
    tmp_path: Path, server: LocalServer
) -> None:
    """Without --verbose the internal error is one log line with the exception, no traceback."""
    server.route("/crash", Reply(body=GOOD, content_type="text/html; charset=punycode"))
    config = write_config(tmp_path, {"crash": server.url("/crash")})
    _, stderr = check(config)
    assert "acme/crash: internal error while processing the page: UnicodeError" in stderr
    assert "Traceback" not in stderr


def test_a_daemon_run_with_failing_documents_releases_every_lock(
    tmp_path: Path, server: LocalServer
) -> None:
    """In the daemon's long-lived Locks, a run with an internal error and a bad redirect
    gives every lock back: a cron `tosmon check` right after finds none of them locked."""
    server.route("/crash", Reply(body=GOOD, content_type="text/html; charset=punycode"))
    server.route("/bad", Reply.redirect("http://127.0.0.1:99999/x"))
    urls = {name: server.url(f"/{name}") for name in ("good", "crash", "bad")}
    config_path = write_config(tmp_path, urls)
    config = load_config(config_path)
    sessions = open_database(config.database)
    with Locks(sessions) as daemon_locks:
        report = asyncio.run(
            check_documents(config, sessions, config.documents(), locks=daemon_locks)
        )
        assert sorted(r.outcome for r in report.results) == ["error", "error", "new_version"]
        assert daemon_locks.held == set() and current_locks(sessions) == []
        again, _ = check(config_path)
    assert again["locked"] == [] and again["checked"] == 3


def test_a_304_to_an_unconditional_request_is_a_protocol_error(
    tmp_path: Path, server: LocalServer
) -> None:
    """A server answering 304 to a first request (no validators sent) is a `protocol` error
    saying so; status shows the document failing, not "ok" with no version."""
    server.route("/lying", Reply(304))
    config = write_config(tmp_path, {"good": server.url("/good"), "lying": server.url("/lying")})
    report, _ = check(config)
    kind, error = errors(report)["lying"]
    assert kind == "protocol"
    assert error.startswith("HTTP 304 Not Modified to a request without If-None-Match")
    assert status(config)["lying"]["state"] == "failing"


def test_a_206_is_a_protocol_error_and_never_a_version(tmp_path: Path, server: LocalServer) -> None:
    """A 206 Partial Content (part of the page) is a `protocol` error; nothing is stored."""
    server.route("/part", Reply(206, body=GOOD[:60], headers={"Content-Range": "bytes 0-59/*"}))
    config = write_config(tmp_path, {"part": server.url("/part")})
    report, _ = check(config)
    kind, error = errors(report)["part"]
    assert kind == "protocol" and error.startswith("HTTP 206 Partial Content")
    assert version_count(config, "part") == 0


# -- redirect policy: documents on "public" hosts, served through the test server as a proxy


@pytest.fixture
def proxied(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """``server`` answering requests for any host name, as an HTTP proxy."""
    monkeypatch.setenv("HTTP_PROXY", server.url())
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    return server


def test_a_public_page_redirecting_to_a_loopback_address_is_refused(
    tmp_path: Path, proxied: LocalServer
) -> None:
    """A page of terms.example redirecting to 127.0.0.1 (a service of the monitoring
    machine) is refused, naming the address; nothing from 127.0.0.1 is fetched or stored."""
    proxied.route("/terms", Reply.redirect(f"{proxied.url('/admin')}"))
    proxied.route("/admin", Reply(body=page("Internal admin console secrets.")))
    config = write_config(tmp_path, {"terms": "http://terms.example/terms"})
    report, _ = check(config)
    kind, error = errors(report)["terms"]
    assert kind == "redirect"
    assert "127.0.0.1 is a loopback address and terms.example is public" in error
    assert proxied.hits("/admin") == 0 and version_count(config, "terms") == 0


def test_a_redirect_to_another_site_needs_allow_redirect_hosts(
    tmp_path: Path, proxied: LocalServer
) -> None:
    """A redirect from terms.example to elsewhere.example is refused with the fix to make;
    listed in `allow_redirect_hosts`, it is followed and the page recorded."""
    proxied.route("/terms", Reply.redirect("http://elsewhere.example/moved"))
    proxied.route("/moved", Reply(body=GOOD))
    config = write_config(tmp_path, {"terms": "http://terms.example/terms"})
    report, _ = check(config)
    kind, error = errors(report)["terms"]
    assert kind == "redirect" and "list it in [monitor] allow_redirect_hosts" in error
    assert proxied.hits("/moved") == 0
    text = config.read_text().replace(
        "[monitor]", '[monitor]\nallow_redirect_hosts = ["elsewhere.example"]'
    )
    config.write_text(text)
    report, _ = check(config)
    assert report["errors"] == [] and version_count(config, "terms") == 1
    assert [r.host for r in proxied.requests if r.route == "/moved"] == ["elsewhere.example"]


def test_redirects_within_the_site_are_followed(tmp_path: Path, proxied: LocalServer) -> None:
    """terms.example → www.terms.example → legal.terms.example are one site: followed."""
    proxied.route("/terms", Reply.redirect("http://www.terms.example/a"))
    proxied.route("/a", Reply.redirect("http://legal.terms.example/b"))
    proxied.route("/b", Reply(body=GOOD))
    config = write_config(tmp_path, {"terms": "http://terms.example/terms"})
    report, _ = check(config)
    assert report["errors"] == [] and version_count(config, "terms") == 1
    hosts = [r.host for r in proxied.requests]
    assert hosts == ["terms.example", "www.terms.example", "legal.terms.example"]


# -- limits: decoded size, time ------------------------------------------------------------

FETCH_AND_MEASURE = """
import asyncio, json, sys
from monitor.config import FetchSettings
from monitor.fetch import Fetcher

async def go():
    async with Fetcher(FetchSettings(max_bytes=int(sys.argv[2]), retries=0)) as fetcher:
        return await fetcher.fetch(sys.argv[1])

result = asyncio.run(go())
# VmHWM: this process's own peak (getrusage's ru_maxrss also counts the forking parent's)
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) // 1024
print(json.dumps({"kind": result.error and result.error.kind, "peak_mb": peak}))
"""


def fetch(url: str, settings: FetchSettings) -> FetchResult:
    async def run() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(run())


def test_a_nested_gzip_bomb_is_stopped_near_the_cap(tmp_path: Path, server: LocalServer) -> None:
    """`Content-Encoding: gzip, gzip`, ~2 kB on the wire inflating to 1 GB, is refused as
    too_large while the fetching process stays under 150 MB (the cap is 20 MB; it used to
    reach 1 GB before the cap was checked)."""
    body = gzip.compress(gzip_bomb(1 << 30))
    assert len(body) < 5000
    server.route("/bomb", Reply(body=body, headers={"Content-Encoding": "gzip, gzip"}))
    out = subprocess.run(
        [sys.executable, "-c", FETCH_AND_MEASURE, server.url("/bomb"), "20000000"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    measured = json.loads(out.stdout)
    assert measured["kind"] == "too_large", out.stderr
    assert measured["peak_mb"] < 150


def test_stacked_codings_decode_to_the_page(server: LocalServer) -> None:
    """A page sent `deflate, gzip` (or `gzip, gzip`) is decoded through every coding."""
    body = GOOD.encode() * 50
    server.route("/dg", Reply(body=body, encodings=("deflate", "gzip")))
    server.route("/gg", Reply(body=body, encodings=("gzip", "gzip")))
    server.route(
        "/raw", Reply(body=zlib.compress(body)[2:-4], headers={"Content-Encoding": "deflate"})
    )
    for path in ("/dg", "/gg", "/raw"):
        result = fetch(server.url(path), FetchSettings(retries=0))
        assert result.ok and result.content == body, path


def test_a_coding_tos_monitor_did_not_ask_for_is_a_protocol_error(server: LocalServer) -> None:
    """A body in a coding not in our Accept-Encoding (here br) is refused with its name."""
    server.route("/br", Reply(body=b"\x0b\x02\x80hello\x03", headers={"Content-Encoding": "br"}))
    result = fetch(server.url("/br"), FetchSettings(retries=0))
    assert result.error is not None and result.error.kind == "protocol"
    assert str(result.error).startswith("unsupported Content-Encoding 'br'")
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


def test_retry_after_cannot_outlast_the_document_deadline(
    tmp_path: Path, server: LocalServer
) -> None:
    """timeout = 0.5, retries = 1 and `Retry-After: 999999999`: the document fails at once
    with the server's error and why it was not retried; the other document is recorded."""
    server.route("/busy", Reply(429, headers={"Retry-After": "999999999"}))
    config = write_config(tmp_path, {"good": server.url("/good"), "busy": server.url("/busy")})
    config.write_text(config.read_text().replace("retries = 0", "retries = 1"))
    config.write_text(config.read_text().replace("timeout = 20.0", "timeout = 0.5"))
    started = time.monotonic()
    report, _ = check(config)
    assert time.monotonic() - started < 10
    kind, error = errors(report)["busy"]
    assert kind == "http" and error.startswith("HTTP 429 Too Many Requests; not retried: ")
    assert "the server asked to wait 300 s (Retry-After)" in error
    assert "of this document's 2 s deadline" in error  # 0.5 × 2 + 1 s of grace
    assert server.hits("/busy") == 1 and version_count(config, "good") == 1


def test_redirect_hops_share_one_timeout(server: LocalServer) -> None:
    """Six slow hops of 0.3 s each with timeout = 1 s time out after ~1 s, not 1.8 s."""
    for hop in range(6):
        server.route(f"/hop{hop}", Reply(302, headers={"Location": f"/hop{hop + 1}"}, delay=0.3))
    server.route("/hop6", Reply(body=GOOD))
    settings = FetchSettings(timeout=1.0, retries=0, max_redirects=10)
    result = fetch(server.url("/hop0"), settings)
    assert result.error is not None and result.error.kind == "timeout"
    assert str(result.error).startswith("timed out after 1 s waiting for 127.0.0.1:")
    assert 0.9 <= result.duration < 1.6 and server.hits("/hop6") == 0


def test_a_retry_after_of_non_ascii_digits_is_ignored(tmp_path: Path, server: LocalServer) -> None:
    """`Retry-After: ²` (a digit to Python, not a number) on a 503 is ignored: the retry
    waits the ordinary backoff and the page is recorded (it used to stop the whole run)."""
    server.route("/odd", Reply(503, headers={"Retry-After": "\u00b2"}), Reply(body=GOOD))
    config = write_config(tmp_path, {"odd": server.url("/odd"), "good": server.url("/good")})
    config.write_text(config.read_text().replace("retries = 0", "retries = 1"))
    report, _ = check(config)
    assert report["errors"] == [] and server.hits("/odd") == 2
    assert version_count(config, "odd") == 1 and version_count(config, "good") == 1


def test_a_redirect_with_a_raw_space_is_followed_encoded(server: LocalServer) -> None:
    """`Location: /our terms` is followed as /our%20terms, as browsers do; a Location with a
    control character is refused."""
    server.route("/old", Reply.redirect("/our terms"))
    server.route("/our%20terms", Reply(body=GOOD))
    server.route("/evil", Reply.redirect("/a\x7fb"))
    result = fetch(server.url("/old"), FetchSettings(retries=0))
    assert result.ok and result.final_url == server.url("/our%20terms")
    bad = fetch(server.url("/evil"), FetchSettings(retries=0))
    assert bad.error is not None and bad.error.kind == "redirect"
    assert "contains spaces or control characters" in str(bad.error)
