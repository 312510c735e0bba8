"""The schedule grammar of sources.toml, turned into cron schedules as APScheduler 3's
cron triggers read them (``cron.Cron``: computed without importing APScheduler).

* ``check`` (and a document's ``schedule``): a crontab expression with standard cron
  meanings: 5 fields ``minute hour day month weekday`` (weekday 0 or 7 = Sunday, or
  names ``mon``..``sun``), or 6 fields with **seconds first** (``*/5 * * * * *``: every
  five seconds, for tests), or ``@hourly``, ``@daily``, ``@weekly``, ``@monthly``.
  Unlike classic cron, a restricted day *and* weekday must both match.
* ``digest``: ``DAYS HH:MM`` (``mon 08:00``, ``mon,thu 08:00``, ``mon-fri 18:30``),
  ``HH:MM`` (daily), or a crontab expression as above.
* ``timezone``: an IANA name (``Europe/Paris``, ``UTC``).

Pure functions, no scheduler: config.py validates with them, status.py computes next
runs with them, schedule.py turns them into APScheduler triggers (``Cron.trigger``).
Errors are ``ValueError``s whose message says what is allowed; callers add the file and
key.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cron import Cron

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron numbering: 0 = Sunday
MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
}
_DIGEST = re.compile(r"^(?:(?P<days>[A-Za-z0-9,*/-]+)\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})$")


def parse_timezone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or a ValueError saying what is expected."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Paris' or 'UTC'"
        ) from None


def parse_cron(expr: str, tz: tzinfo, jitter: int = 0) -> Cron:
    """A trigger for crontab ``expr`` (5 fields, or 6 with seconds first, or a @macro)."""
    fields = MACROS.get(expr.strip().lower(), expr).split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValueError(
            f"{expr!r} is not a cron expression: expected 5 fields "
            "'minute hour day month weekday' (e.g. '0 6 * * *'), or 6 with seconds first"
        )
    second, minute, hour, day, month, weekday = fields
    try:
        return Cron.of(
            tz,
            jitter or None,
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=cron_weekdays(weekday),
        )
    except ValueError as exc:
        raise ValueError(f"{expr!r} is not a valid cron expression: {exc}") from None


def parse_digest(spec: str, tz: tzinfo) -> Cron:
    """A trigger for ``mon 08:00``, ``08:00`` (daily) or a crontab expression."""
    match = _DIGEST.match(spec.strip())
    if match is None:
        try:
            return parse_cron(spec, tz)
        except ValueError:
            raise ValueError(
                f"{spec!r} is not a digest time: use 'DAY HH:MM' (e.g. 'mon 08:00'), "
                "'HH:MM' for every day, or a cron expression"
            ) from None
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ValueError(f"{spec!r}: {hour:02d}:{minute:02d} is not a time of day")
    days = cron_weekdays(match["days"]) if match["days"] else "*"
    return Cron.of(tz, day_of_week=days, hour=hour, minute=minute, second=0)


def cron_weekdays(field: str) -> str:
    """A cron weekday field (0/7 = Sunday, names, ranges, steps) as APScheduler day names.

    APScheduler 3 numbers weekdays from Monday = 0; cron from Sunday = 0. Expanding the
    field to explicit names sidesteps the mismatch.
    """
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = _number(step_text, "step") if step_text else 1
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            first, last = base.split("-", 1)
            low, high = _day(first), _day(last)
        else:
            low = _day(base)
            high = 6 if step_text else low
        if low > high or step < 1:
            raise ValueError(f"weekday item {item!r} is not a valid range")
        days.update(d % 7 for d in range(low, high + 1, step))
    return ",".join(DAYS[d] for d in sorted(days))


def next_fire_times(trigger: Cron, now: datetime, count: int) -> list[datetime]:
    """The next ``count`` times ``trigger`` fires after ``now`` (jitter ignored), as
    APScheduler's ``CronTrigger.get_next_fire_time`` gives them."""
    times: list[datetime] = []
    previous: datetime | None = None
    moment = now
    for _ in range(count):
        fire = trigger.next_fire_time(previous, moment)
        if fire is None:
            break
        times.append(fire)
        previous, moment = fire, fire
    return times


def _day(token: str) -> int:
    name = token.strip().lower()[:3]
    if name in DAYS:
        return DAYS.index(name)
    value = _number(token, "weekday")
    if value > 7:
        raise ValueError(f"weekday {token!r} is out of range (0-7, 0 and 7 = Sunday)")
    return value


def _number(token: str, what: str) -> int:
    if not token.strip().isdigit():
        raise ValueError(f"{what} {token!r} is not a number or day name (sun..sat)")
    return int(token)
