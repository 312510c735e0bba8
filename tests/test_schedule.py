"""Schedules: the cron/digest/time-zone grammar, its validation, and a real `tosmon run`."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from procs import assert_consistent, count, page, start, versions_per_document, wait_for
from procs import write_config as write_sources
from servers import LocalServer, Reply

from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.jobs import CheckJob, check_jobs
from monitor.schedule import missed_run
from monitor.triggers import cron_weekdays, next_fire_times, parse_cron, parse_digest

PARIS = ZoneInfo("Europe/Paris")
WED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


def fires(trigger_spec: str, count: int = 2, digest: bool = False) -> list[str]:
    trigger = parse_digest(trigger_spec, PARIS) if digest else parse_cron(trigger_spec, PARIS)
    return [t.strftime("%a %Y-%m-%d %H:%M:%S") for t in next_fire_times(trigger, WED, count)]


def test_cron_weekdays_use_standard_cron_numbering() -> None:
    """0 and 7 are Sunday, 1 is Monday, names and steps work (APScheduler 3 differs)."""
    assert cron_weekdays("0") == "sun" == cron_weekdays("7")
    assert cron_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert cron_weekdays("sat,sun") == "sun,sat"
    assert cron_weekdays("*/3") == "sun,wed,sat"
    assert fires("0 6 * * 1") == ["Mon 2026-11-30 06:00:00", "Mon 2026-12-07 06:00:00"]


def test_check_schedules_take_five_fields_six_with_seconds_or_a_macro() -> None:
    """Five fields fire on the minute, six fields start with seconds, in the configured zone."""
    assert fires("0 6 * * *") == ["Thu 2026-11-26 06:00:00", "Fri 2026-11-27 06:00:00"]
    assert fires("*/5 * * * * *") == ["Wed 2026-11-25 13:00:00", "Wed 2026-11-25 13:00:05"]
    assert fires("@weekly", 1) == ["Sun 2026-11-29 00:00:00"]


def test_digest_times_are_day_and_clock_time() -> None:
    """`mon 08:00` is weekly, `08:00` daily, several days may be listed."""
    assert fires("mon 08:00", digest=True) == ["Mon 2026-11-30 08:00:00", "Mon 2026-12-07 08:00:00"]
    assert fires("18:30", digest=True) == ["Wed 2026-11-25 18:30:00", "Thu 2026-11-26 18:30:00"]
    assert fires("mon,thu 08:00", digest=True)[0] == "Thu 2026-11-26 08:00:00"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("check", "0 6 * *", "`check`: '0 6 * *' is not a cron expression"),
        ("check", "0 25 * * *", "`check`: '0 25 * * *' is not a valid cron expression"),
        ("digest", "monday at eight", "`digest`: 'monday at eight' is not a digest time"),
        ("digest", "mon 24:00", "`digest`: 'mon 24:00': 24:00 is not a time of day"),
        ("timezone", "Europe/Atlantis", "`timezone`: unknown time zone 'Europe/Atlantis'"),
    ],
)
def test_invalid_schedule_settings_name_the_file_and_key(
    tmp_path: Path, key: str, value: str, message: str
) -> None:
    """A bad [schedule] value is a ConfigError naming sources.toml, [schedule] and the key."""
    path = tmp_path / "sources.toml"
    path.write_text(f'[schedule]\n{key} = "{value}"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:1: [schedule]: {message}")


def test_documents_with_their_own_schedule_get_their_own_job(tmp_path: Path) -> None:
    """Documents without an override share the default job; an override makes another."""
    path = write_sources(tmp_path, {"terms": "https://a.example/t", "api": "https://a.example/a"})
    text = path.read_text().replace(
        'url = "https://a.example/a"', 'url = "https://a.example/a"\nschedule = "30 * * * *"'
    )
    path.write_text(text)
    jobs = check_jobs(load_config(path))
    assert [(j.id, j.expression, [d.id for d in j.documents]) for j in jobs] == [
        ("check", "0 6 * * *", ["terms"]),
        ("check-1", "30 * * * *", ["api"]),
    ]
    path.write_text(text.replace('schedule = "30 * * * *"', 'schedule = "every hour"'))
    with pytest.raises(ConfigError, match=r"\[providers\.acme\.documents\.api\]: `schedule`"):
        check_jobs(load_config(path))


def test_a_run_missed_while_stopped_is_caught_up_once() -> None:
    """A scheduled time passed since the last check → run now; fresh installs wait."""
    job = CheckJob("check", "0 6 * * *", parse_cron("0 6 * * *", PARIS), ())
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert missed_run(job, [now - timedelta(days=2)], now)
    assert not missed_run(job, [now - timedelta(hours=1)], now)  # 06:00 was before that
    assert not missed_run(job, [None], now)
    assert missed_run(job, [None, now - timedelta(days=1, hours=1)], now)


def test_run_checks_on_schedule_and_stops_cleanly_on_sigterm(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """`tosmon run` with a per-second schedule checks repeatedly; SIGTERM → exit 0, DB sound."""
    http_server.route("/terms", Reply(body=page("We never train on your data.")))
    config = write_sources(tmp_path, {"terms": http_server.url("/terms")}, check="* * * * * *")
    proc = start("run", config=config)
    try:
        wait_for(lambda: count(config, "fetch_attempts") >= 2, 15, "two scheduled checks")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0, stderr
    assert http_server.hits("/terms") >= 2
    assert versions_per_document(config) == {"acme/terms": 1}
    assert_consistent(config)
    lines = stderr.splitlines()
    assert any("acme/terms: new_version" in line for line in lines), stderr
    assert any("stopped" in line for line in lines)
    assert "Traceback" not in stderr


def test_sigterm_during_a_stalled_fetch_exits_promptly_without_writing_it(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """A fetch in flight at SIGTERM is abandoned: exit 0 fast, nothing half-written, no lock."""
    http_server.route("/slow", Reply(body=page("Slow."), delay=30))
    config = write_sources(tmp_path, {"slow": http_server.url("/slow")}, check="* * * * * *")
    proc = start("run", "--log-level", "debug", config=config)
    try:
        wait_for(lambda: http_server.hits("/slow") >= 1, 15, "the slow request")
        wait_for(lambda: count(config, "locks") == 1, 5, "the document lock")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr
    assert count(config, "fetch_attempts") == 0
    assert_consistent(config)


def test_logs_are_one_line_per_event_with_tracebacks_only_when_verbose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Errors stay on one line (control characters removed) unless --verbose; env sets level."""
    import io
    import logging

    from monitor.logs import resolve_level, setup_logging

    monkeypatch.setenv("TOSMON_LOG_LEVEL", "warning")
    assert resolve_level(None) == logging.WARNING
    assert resolve_level("debug") == logging.DEBUG
    with pytest.raises(ValueError, match="unknown log level"):
        resolve_level("loud")
    root = logging.getLogger()
    saved = root.level, list(root.handlers)
    try:
        for verbose in (False, True):
            out = io.StringIO()
            setup_logging("info", verbose=verbose, stream=out)
            try:
                raise RuntimeError("boom\nforged line")
            except RuntimeError:
                logging.getLogger("monitor.schedule").error("check\x1b[31m failed", exc_info=True)
            text = out.getvalue()
            assert "schedule: check [31m failed: RuntimeError: boom forged line" in text
            assert ("Traceback" in text) is verbose
            assert text.count("\n") == (1 if not verbose else text.count("\n"))
    finally:
        root.setLevel(saved[0])
        for handler in list(root.handlers):
            if handler not in saved[1]:
                root.removeHandler(handler)


def test_the_daemon_notifies_after_each_check_and_runs_the_digest(
    tmp_path: Path, http_server: LocalServer
) -> None:
    """Notify follows every check run, the digest runs on its own schedule; stop ends both."""
    import threading

    from monitor.db import open_database
    from monitor.schedule import Daemon

    http_server.route("/terms", Reply(body=page("Terms.")))
    path = write_sources(
        tmp_path,
        {"terms": http_server.url("/terms")},
        check="* * * * * *",
        digest="*/2 * * * * *",
    )
    config = load_config(path)
    sessions = open_database(config.database)
    calls: list[tuple[str, int]] = []

    def notify(cfg: object, sf: object) -> None:
        calls.append(("notify", count(path, "fetch_attempts")))

    def digest(cfg: object, sf: object) -> None:
        calls.append(("digest", 0))
        raise RuntimeError("SMTP down")  # logged; the daemon keeps going

    stop = threading.Event()
    daemon = Daemon(config, sessions, stop, notify=notify, digest=digest)
    thread = threading.Thread(target=daemon.run)
    thread.start()
    try:
        wait_for(lambda: [k for k, _ in calls].count("digest") >= 2, 10, "two digests")
        wait_for(lambda: [k for k, _ in calls].count("notify") >= 2, 10, "two notifies")
    finally:
        stop.set()
        thread.join(10)
        sessions.kw["bind"].dispose()
    assert not thread.is_alive()
    attempts_seen = [n for kind, n in calls if kind == "notify"]
    assert attempts_seen[0] >= 1 and attempts_seen == sorted(attempts_seen)
    assert_consistent(path)
