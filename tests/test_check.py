"""`tosmon check` end to end: a real HTTP server on 127.0.0.1, the CLI, and a real
database: a SQLite file, and a PostgreSQL database when PostgreSQL is installed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from postgres import opened
from servers import LocalServer, Reply
from sqlalchemy import text

from monitor.cli import main

PAGE = """<html><head><title>Terms</title><script>var build="{build}";</script></head>
<body><nav><a href="/home?utm={build}">Home</a></nav>
<main>
<h1>Terms of Service</h1>
<p>These terms apply to your use of the services.</p>
<h2>Retention</h2>
<p>We retain API inputs and outputs for {days} days, then delete them.</p>
<h2>Fees</h2>
<p>You will pay the fees in the order form within thirty days of invoice.</p>
</main><footer>Footer {build}</footer></body></html>"""


def page(days: int = 30, build: str = "a1") -> str:
    return PAGE.format(days=days, build=build)


@pytest.fixture
def backend(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database of every command here, as `--db` would give it (env TOSMON_DB)."""
    url = f"sqlite:///{tmp_path / 'tos.db'}" if database_url.startswith("sqlite") else database_url
    monkeypatch.setenv("TOSMON_DB", url)
    return url


@pytest.fixture
def project(tmp_path: Path, http_server: LocalServer, backend: str) -> Path:
    """A sources.toml watching two documents on the local server, with fast retries."""
    config = tmp_path / "sources.toml"
    config.write_text(f"""
[monitor]
database = "sqlite:///tos.db"
timeout = 1.0
retries = 2
backoff = 0.05
max_bytes = 200000

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
name = "Terms"
url = "{http_server.url("/terms")}"
select = ["main"]

[providers.acme.documents.privacy]
name = "Privacy"
url = "{http_server.url("/privacy")}"
select = ["main"]
""")
    http_server.route("/privacy", Reply(body=page(7)))
    return config


def tosmon(project: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--config", str(project)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def check(project: Path) -> dict[str, Any]:
    return tosmon(project, "check", "--json", "--no-notify")  # type: ignore[no-any-return]


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    changed = {f"{r['provider']}/{r['document']}": r["outcome"] for r in report["changed"]}
    failed = {f"{r['provider']}/{r['document']}": r["error_kind"] for r in report["errors"]}
    return {**changed, **failed}


def versions(project: Path, document: str = "terms") -> list[dict[str, Any]]:
    return tosmon(project, "history", "acme", document, "--json")["versions"]  # type: ignore[no-any-return]


def test_first_check_stores_a_baseline(project: Path, http_server: LocalServer) -> None:
    """The first check stores one version per document, with no change and no error."""
    http_server.route("/terms", Reply(body=page()))
    report = check(project)
    assert report["checked"] == 2 and report["changed"] == [] and report["errors"] == []
    [v1] = versions(project)
    assert v1["version"] == 1 and v1["change"] is None
    text = tosmon(project, "show", "acme", "terms")
    assert "# Terms of Service" in text
    assert "We retain API inputs and outputs for 30 days, then delete them." in text
    assert "Footer" not in text and "build" not in text and "utm" not in text


def test_unchanged_words_make_no_new_version(project: Path, http_server: LocalServer) -> None:
    """New build ids and tracking tokens outside the words change nothing."""
    http_server.route("/terms", Reply(body=page(build="a1")))
    check(project)
    http_server.route("/terms", Reply(body=page(build="zz9")))
    report = check(project)
    assert report["changed"] == [] and report["errors"] == []
    assert len(versions(project)) == 1


def test_changed_words_make_a_version_and_a_change(project: Path, http_server: LocalServer) -> None:
    """A changed retention period is a substantive change, reported and kept in history."""
    http_server.route("/terms", Reply(body=page(30)))
    check(project)
    http_server.route("/terms", Reply(body=page(90)))
    report = check(project)
    assert outcomes(report) == {"acme/terms": "new_version"}
    change = report["changed"][0]["change"]
    assert change["kind"] == "substantive"
    history = versions(project)
    assert [v["version"] for v in history] == [1, 2]
    assert history[1]["change"]["kind"] == "substantive"
    diff = tosmon(project, "diff", "acme", "terms")
    assert "-We retain API inputs and outputs for 30 days" in diff
    assert "+We retain API inputs and outputs for 90 days" in diff


def test_304_costs_no_version(project: Path, http_server: LocalServer) -> None:
    """With an ETag, the second check sends If-None-Match, gets 304, and stores nothing new."""
    http_server.route("/terms", Reply(body=page(), etag='"v1"'))
    check(project)
    report = check(project)
    assert report["errors"] == [] and report["changed"] == []
    sent = [r.headers.get("if-none-match") for r in http_server.requests if r.route == "/terms"]
    assert sent == [None, '"v1"']
    assert len(versions(project)) == 1


def test_5xx_then_success_is_retried(project: Path, http_server: LocalServer) -> None:
    """A 503 followed by a 200 within the retry budget stores the page."""
    http_server.route("/terms", Reply(503), Reply(body=page()))
    report = check(project)
    assert report["errors"] == []
    assert http_server.hits("/terms") == 2
    assert len(versions(project)) == 1


def test_429_retry_after_is_honoured(project: Path, http_server: LocalServer) -> None:
    """A 429 with Retry-After: 1 is retried about a second later and succeeds."""
    http_server.route("/terms", Reply(429, headers={"Retry-After": "1"}), Reply(body=page()))
    check(project)
    times = [r.at for r in http_server.requests if r.route == "/terms"]
    assert len(times) == 2 and times[1] - times[0] >= 0.95
    assert len(versions(project)) == 1


def test_timeout_is_reported_and_the_other_document_stored(
    project: Path, http_server: LocalServer
) -> None:
    """A document that times out is an error in the report; the other one is stored."""
    http_server.route("/terms", Reply(body=page(), delay=3))
    report = check(project)
    assert outcomes(report) == {"acme/terms": "timeout"}
    assert "timed out" in report["errors"][0]["error"]
    assert len(versions(project, "privacy")) == 1


def test_oversize_body_is_refused(project: Path, http_server: LocalServer) -> None:
    """A body over max_bytes is an error, not a truncated version."""
    http_server.route("/terms", Reply(size=1_000_000, chunked=True))
    report = check(project)
    assert outcomes(report) == {"acme/terms": "too_large"}


def test_selector_miss_is_an_error_not_a_deletion(project: Path, http_server: LocalServer) -> None:
    """A redesigned page without <main> is reported; the stored version stays the latest."""
    http_server.route("/terms", Reply(body=page()))
    check(project)
    http_server.route(
        "/terms",
        Reply(
            body="<html><body><div>New layout, lots of words "
            "about the terms of service here.</div></body></html>"
        ),
    )
    report = check(project)
    assert outcomes(report) == {"acme/terms": "selector"}
    assert "main" in report["errors"][0]["error"]
    assert len(versions(project)) == 1


def test_error_page_in_place_of_the_document(project: Path, http_server: LocalServer) -> None:
    """A 200 bot-challenge page inside the region is reported, never stored as a version."""
    http_server.route("/terms", Reply(body=page()))
    check(project)
    http_server.route(
        "/terms",
        Reply(
            body="<html><main><h1>Just a moment...</h1><p>Checking your browser.</p></main></html>"
        ),
    )
    report = check(project)
    assert outcomes(report) == {"acme/terms": "collapsed"}
    assert len(versions(project)) == 1
    assert "30 days" in tosmon(project, "show", "acme", "terms")


def test_every_attempt_is_recorded(project: Path, http_server: LocalServer, backend: str) -> None:
    """Fetch attempts keep status, bytes, duration and error text, failures included."""
    http_server.route("/terms", Reply(404))
    check(project)
    with opened(backend) as sessions, sessions() as s:
        rows = s.execute(
            text(
                "select d.slug, a.status, a.outcome, a.error, a.bytes, a.duration_ms "
                "from fetch_attempts a join documents d on d.id = a.document_id "
                "order by d.slug"
            )
        ).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("privacy", 200, "new_version"),
        ("terms", 404, "error"),
    ]
    assert "404" in rows[1][3]
    assert rows[0][4] > 0 and rows[0][5] > 0


def test_human_output_is_a_table(project: Path, http_server: LocalServer) -> None:
    """Without --json, check prints one row per document with its outcome."""
    http_server.route("/terms", Reply(404))
    output = tosmon(project, "check", "--no-notify")
    assert "acme/terms" in output and "error" in output and "HTTP 404" in output
    assert "acme/privacy" in output and "new version" in output


def test_clause_history_answers_when_a_clause_last_changed(
    project: Path, http_server: LocalServer
) -> None:
    """`history --clause retention` lists the retention changes newest first; --limit keeps
    the newest while `total` still counts every change."""
    for days in (30, 60, 90):
        http_server.route("/terms", Reply(body=page(days)))
        check(project)
    everything = tosmon(project, "history", "--clause", "retention", "--json")
    assert everything["total"] == 2
    assert ["90 days" in c["after"] for c in everything["changes"]] == [True, False]
    assert everything["changes"][0]["severity"] == "high"
    newest = tosmon(
        project, "history", "acme", "terms", "--clause", "retention", "--limit", "1", "--json"
    )
    assert newest["total"] == 2 and len(newest["changes"]) == 1
    assert newest["changes"][0]["version"] == 3
    assert "60 days" in newest["changes"][0]["before"]
