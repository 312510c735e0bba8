"""Progress of long runs when stderr is not a terminal: one-line log entries with counts,
elapsed time and time left, at most every TOSMON_PROGRESS_SECONDS; backfill notes per
document (listed, fetched, skipped). (The terminal bar: tests/test_init.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import procs
import pytest
from click.testing import CliRunner, Result
from servers import LocalServer, Reply
from wayback import FakeWayback

from monitor.cli import main
from monitor.cli_progress import RunProgress


def page(*paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><body><nav>menu</nav><main><h1>Terms</h1>{body}</main></body></html>"


def write_config(tmp_path: Path, documents: dict[str, str], archive: str = "") -> Path:
    """procs' sources.toml (provider acme, no retries), reading ``archive`` at full speed."""
    base = archive or "http://127.0.0.1:9"
    extra = f'[archive]\nwayback_url = "{base}"\nrate = 1000\nretries = 0\n'
    return procs.write_config(tmp_path, documents, extra=extra)


def run(config: Path, *args: str, level: str = "info") -> Result:
    result = CliRunner().invoke(
        main, ["--log-level", level, *args, "--config", str(config)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result


def progress_lines(result: Result, what: str) -> list[str]:
    """The progress entries of ``what`` on stderr, without their timestamp."""
    prefix = f"INFO    progress: {what}: "
    return [line.split(prefix, 1)[1] for line in result.stderr.splitlines() if prefix in line]


@pytest.fixture(autouse=True)
def no_database_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOSMON_DB", raising=False)


def test_check_logs_a_line_per_document_when_asked_every_0_seconds(
    tmp_path: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With TOSMON_PROGRESS_SECONDS=0 a non-terminal `check` logs its counts after every
    document: done/total, percentage, elapsed, and the document with its outcome."""
    monkeypatch.setenv("TOSMON_PROGRESS_SECONDS", "0")
    http_server.route("/terms", Reply(body=page("We keep logs for 30 days.")))
    http_server.route("/privacy", Reply(404))
    urls = {"terms": http_server.url("/terms"), "privacy": http_server.url("/privacy")}
    lines = progress_lines(run(write_config(tmp_path, urls), "check", "--no-notify"), "check")
    assert lines[0].startswith("0/2 documents (0 %), ")
    assert lines[1].startswith("1/2 documents (50 %), ") and "about" in lines[1]
    assert lines[2].startswith("2/2 documents (100 %), ")
    outcomes = {line.rsplit("; ", 1)[1] for line in lines[1:]}
    assert outcomes == {"acme/terms (new version)", "acme/privacy (error)"}


def test_progress_lines_are_periodic_and_silent_by_default(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """With the default period (30 s) a quick run logs only its start and its end; at the
    default log level (WARNING) it logs nothing, so cron mails nothing."""
    for n in range(3):
        http_server.route(f"/d{n}", Reply(body=page(f"Clause number {n} of the terms.")))
    config = write_config(tmp_path, {f"d{n}": http_server.url(f"/d{n}") for n in range(3)})
    lines = progress_lines(run(config, "check", "--no-notify"), "check")
    assert [line.split(",")[0] for line in lines] == [
        "0/3 documents (0 %)",
        "3/3 documents (100 %)",
    ]
    quiet = run(config, "check", "--no-notify", level="warning")
    assert quiet.stderr == ""


def test_backfill_notes_listed_fetched_skipped_per_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Backfill logs per document how many captures the archive listed, how many were
    fetched and skipped; a second run fetches none and says they were skipped."""
    monkeypatch.setenv("TOSMON_PROGRESS_SECONDS", "0")
    with FakeWayback() as archive:
        terms, privacy = "https://acme.example/terms", "https://acme.example/privacy"
        archive.add(terms, "20230101000000", page("We do not train on your content."))
        archive.add(terms, "20230601000000", page("We may train on your content."))
        config = write_config(tmp_path, {"terms": terms, "privacy": privacy}, archive.base)
        first = progress_lines(run(config, "backfill"), "backfill")
        assert "acme/privacy: 0 listed, 0 fetched, 0 skipped" in first
        assert "acme/terms: 2 listed, 2 fetched, 0 skipped, 2 new version(s) (1 substantive)" in (
            first
        )
        counts = [line.split(",")[0] for line in first if "captures" in line]
        assert counts == ["0/2 captures (0 %)", "1/2 captures (50 %)", "2/2 captures (100 %)"]
        again = progress_lines(run(config, "backfill"), "backfill")
        assert "acme/terms: 2 listed, 0 fetched, 2 skipped" in again
        assert len(archive.capture_requests()) == 2


def test_reextract_logs_the_versions_it_re_reads(
    tmp_path: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`reextract` logs versions re-read of each document."""
    monkeypatch.setenv("TOSMON_PROGRESS_SECONDS", "0")
    http_server.route("/terms", Reply(body=page("One.")), Reply(body=page("One. Two words.")))
    config = write_config(tmp_path, {"terms": http_server.url("/terms")})
    run(config, "check", "--no-notify")
    run(config, "check", "--no-notify")
    lines = progress_lines(run(config, "reextract"), "reextract")
    assert [line.split(",")[0] for line in lines] == [
        "1/2 versions (50 %)",
        "2/2 versions (100 %)",
    ]
    assert lines[-1].endswith("; acme/terms")


def test_time_left_is_the_rate_so_far_applied_to_what_remains() -> None:
    """120 of 1200 captures in 125 s: about 18 min 45 s left, shown with elapsed time."""
    now = [0.0]
    progress = RunProgress("backfill", "captures", bar=False, clock=lambda: now[0])
    now[0] = 125.0
    progress.update(120, 1200, "acme/terms 20230101000000")
    assert progress.line() == (
        "120/1200 captures (10 %), 2 min 5 s elapsed, about 18 min 45 s left; "
        "acme/terms 20230101000000"
    )
    progress.update(1200, 1200)
    assert progress.line() == "1200/1200 captures (100 %), 2 min 5 s elapsed"


def test_json_output_stays_clean_while_progress_goes_to_stderr(
    tmp_path: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check --json` prints only the JSON report on stdout; its progress lines are on
    stderr."""
    monkeypatch.setenv("TOSMON_PROGRESS_SECONDS", "0")
    http_server.route("/terms", Reply(body=page("We keep logs for 30 days.")))
    config = write_config(tmp_path, {"terms": http_server.url("/terms")})
    result = run(config, "check", "--json", "--no-notify")
    assert json.loads(result.stdout)["checked"] == 1
    assert progress_lines(result, "check")[-1].startswith("1/1 documents (100 %)")
