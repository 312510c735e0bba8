"""``monitor.cron`` against APScheduler 3's ``CronTrigger``: the same accepted expressions,
the same error messages, the same next fire times (across daylight-saving changes)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from monitor.cron import Cron
from monitor.triggers import MACROS, cron_weekdays, next_fire_times, parse_cron, parse_digest

ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC",
        "Europe/Paris",
        "America/New_York",
        "Australia/Lord_Howe",  # a 30-minute DST shift
        "Pacific/Chatham",
        "Asia/Kolkata",
        "America/Santiago",
        "Europe/London",
    )
]
# just before DST changes (Paris, New York, Lord Howe, Santiago), and ordinary times
EDGES = [
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    datetime(2026, 3, 8, 6, 30, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, 0, 500, tzinfo=UTC),
    datetime(2026, 4, 4, 14, 45, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 10, tzinfo=UTC),
    datetime(2026, 4, 5, 2, 59, tzinfo=UTC),
    datetime(2026, 9, 6, 3, 30, tzinfo=UTC),
    datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
]


def reference_cron(expr: str, tz: tzinfo) -> CronTrigger:
    """``triggers.parse_cron`` as it was, building APScheduler's trigger."""
    fields = MACROS.get(expr.strip().lower(), expr).split()
    if len(fields) == 5:
        fields = ["0", *fields]
    second, minute, hour, day, month, weekday = fields
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=cron_weekdays(weekday),
        timezone=tz,
    )


def reference_times(trigger: CronTrigger, now: datetime, count: int) -> list[datetime]:
    times: list[datetime] = []
    previous: datetime | None = None
    moment = now
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        times.append(fire)
        previous, moment = fire, fire
    return times


def outcome(make: object, *args: object) -> object:
    """The made object, or the ValueError's message."""
    try:
        return make(*args)  # type: ignore[operator]
    except ValueError as exc:
        return f"ValueError: {exc}"


def item(rng: random.Random, low: int, high: int, names: tuple[str, ...] = ()) -> str:
    """One item of a field: mostly valid, some out of range or odd (as users write them)."""
    a, b = sorted(rng.randint(low, high) for _ in range(2))
    step = rng.randint(1, max(1, (high - low) // 2))
    valid = ["*", f"*/{step}", str(a), f"{a}-{b}", f"{a}/{step}", f"{a}-{b}/{step}", f"{a},{b}"]
    odd = [f"{b}-{a}", str(high + 1), f"{low - 1}", "x", "?", "*/0", f"*/{high + 5}"]
    if names:
        first, second = rng.choice(names), rng.choice(names)
        valid += [first, f"{first}-{second}", first.upper()]
        odd += [f"{first}x", "foo", f"{second}-{first}"]
    return rng.choice(valid if rng.random() < 0.85 else odd)


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def random_expression(rng: random.Random) -> str:
    fields = [
        item(rng, 0, 59),
        item(rng, 0, 23),
        rng.choice([item(rng, 1, 28)] * 6 + ["last", "*", "lastly"]),
        item(rng, 1, 12, MONTHS),
        item(rng, 0, 7, DAYS),
    ]
    if rng.random() < 0.3:
        fields.insert(0, item(rng, 0, 59))
    if rng.random() < 0.05:
        fields = fields[:-1]
    return " ".join(fields)


def assert_same(ours: Cron, theirs: CronTrigger, now: datetime, count: int = 4) -> None:
    expected = reference_times(theirs, now, count)
    got = next_fire_times(ours, now, count)
    assert got == expected, (ours.given, now)
    assert [t.utcoffset() for t in got] == [t.utcoffset() for t in expected]


def test_random_cron_expressions_read_and_fire_as_apscheduler() -> None:
    """Thousands of expressions (valid and not) in zones with DST changes: the same error
    message or the same next four runs from DST edges and random times."""
    rng = random.Random(15)
    valid = 0
    for _ in range(800):
        expr = random_expression(rng)
        tz = rng.choice(ZONES)
        try:
            theirs: CronTrigger | str = reference_cron(expr, tz)
        except ValueError as exc:
            theirs = f"ValueError: {expr!r} is not a valid cron expression: {exc}"
        ours = outcome(parse_cron, expr, tz)
        if len(expr.split()) not in (5, 6):
            assert isinstance(ours, str) and "is not a cron expression" in ours
            continue
        if isinstance(theirs, str):
            assert ours == theirs, expr
            continue
        assert isinstance(ours, Cron), (expr, ours)
        valid += 1
        later = EDGES[0] + timedelta(seconds=rng.randint(0, 400_000_000))
        for now in [*rng.sample(EDGES, 2), later]:
            assert_same(ours, theirs, now.astimezone(rng.choice([UTC, tz])))
    assert valid > 250  # the grammar's valid side is well covered


@pytest.mark.parametrize(
    "expr",
    [
        "0 6 * * *",
        "*/5 * * * * *",
        "30 2 * * *",  # the hour skipped in spring, repeated in autumn
        "0,30 1-3 * * *",
        "0 0 29 2 *",
        "15 */3 last * mon-fri",
        "0 0 1 jan-mar,oct *",
        "@hourly",
        "@weekly",
        "@monthly",
    ],
)
def test_schedules_around_dst_changes_fire_as_apscheduler(expr: str) -> None:
    for tz in ZONES:
        for start in EDGES:
            for minutes in range(0, 24 * 60, 193):
                now = start + timedelta(minutes=minutes, microseconds=minutes % 3)
                assert_same(parse_cron(expr, tz), reference_cron(expr, tz), now, 3)


def test_digest_times_fire_as_apscheduler() -> None:
    rng = random.Random(2)
    for spec in ["mon 08:00", "08:00", "mon,thu 08:00", "mon-fri 18:30", "0 02:30", "sun 23:59"]:
        tz = rng.choice(ZONES)
        match = spec.split()
        days = cron_weekdays(match[0]) if len(match) == 2 else "*"
        hour, minute = (int(x) for x in match[-1].split(":"))
        theirs = CronTrigger(day_of_week=days, hour=hour, minute=minute, second=0, timezone=tz)
        for now in EDGES:
            assert_same(parse_digest(spec, tz), theirs, now, 5)


@pytest.mark.parametrize(
    "given",
    [
        {"day": "1st mon"},
        {"day": "last fri", "hour": "9"},
        {"day": "5th sun,2nd tue"},
        {"day": "6th mon"},
        {"day": "last xyz"},
        {"day": "last", "month": "feb"},
        {"day_of_week": "mon-sun", "hour": 3},
        {"day_of_week": "sun-mon"},
        {"month": "dec-jan"},
        {"month": "jan , feb"},
        {"minute": "*/0"},
        {"minute": "5-70"},
        {"hour": "3-1"},
        {"week": "10-12", "hour": 4},
        {"year": "2027", "month": 6},
        {"second": 30},
    ],
)
def test_any_field_reads_and_fires_as_apscheduler(given: dict[str, str | int]) -> None:
    """APScheduler's own forms (weekday positions, week numbers, names, defaults below
    the last field given), which the daemon's triggers accept: the same everywhere."""
    tz = ZoneInfo("Europe/Paris")
    theirs = outcome(lambda: CronTrigger(**given, timezone=tz))
    ours = outcome(lambda: Cron.of(tz, **cast(dict[str, Any], given)))
    if isinstance(theirs, str):
        assert ours == theirs
        return
    assert isinstance(ours, Cron) and isinstance(theirs, CronTrigger)
    for now in EDGES:
        assert_same(ours, theirs, now, 3)
    assert str(ours.trigger()) == str(theirs)


def test_a_schedule_that_never_fires_has_no_next_runs() -> None:
    tz = ZoneInfo("UTC")
    now = EDGES[0]
    assert next_fire_times(parse_cron("0 0 31 2 *", tz), now, 2) == []
    assert reference_times(reference_cron("0 0 31 2 *", tz), now, 2) == []
