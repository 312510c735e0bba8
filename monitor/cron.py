"""Cron schedules as APScheduler 3's ``CronTrigger`` reads and computes them, without
importing APScheduler (pure: no I/O, no scheduler).

``tosmon status`` and sources.toml's validation only need an expression's errors and its
next fire times; importing ``apscheduler.triggers.cron`` costs ~45 ms of CPU (its package
``__init__`` reads package metadata, its ``util`` imports asyncio and tzlocal), a sixth of
a status of 500 documents. This module is a port of ``CronTrigger``'s expressions
(``apscheduler/triggers/cron/expressions.py``: the same regexes, values and error messages)
and of its ``get_next_fire_time`` without start or end dates (the same field walk, so the
same answers across daylight-saving changes); ``tests/test_cron.py`` compares both on many
schedules and times. The daemon still schedules with APScheduler itself (``trigger``).
APScheduler is MIT-licensed (Copyright (c) Alex Grönholm).
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

FIELDS = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")
MIN = {"year": 1970, "month": 1, "day": 1, "week": 1, "day_of_week": 0}
MAX = {"year": 9999, "month": 12, "day": 31, "week": 53, "day_of_week": 6, "hour": 23}
MIN.update(hour=0, minute=0, second=0)
MAX.update(minute=59, second=59)
_DATETIME = ("year", "month", "day", "hour", "minute", "second")
REAL = frozenset(_DATETIME)  # the fields that are datetime's own
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
POSITIONS = ("1st", "2nd", "3rd", "4th", "5th", "last")

_SEPARATOR = re.compile(" *, *")
_ALL = re.compile(r"\*(?:/(?P<step>\d+))?$")
_RANGE = re.compile(r"(?P<first>\d+)(?:-(?P<last>\d+))?(?:/(?P<step>\d+))?$")
_NAMES = re.compile(r"(?P<first>[a-z]+)(?:-(?P<last>[a-z]+))?", re.IGNORECASE)
_POSITION = re.compile(
    r"(?P<option_name>{}) +(?P<weekday_name>(?:\d+|\w+))".format("|".join(POSITIONS)),
    re.IGNORECASE,
)
_LAST = re.compile(r"last", re.IGNORECASE)


def value_of(name: str, moment: datetime) -> int:
    if name == "week":
        return moment.isocalendar()[1]
    if name == "day_of_week":
        return moment.weekday()
    value: int = getattr(moment, name)
    return value


def max_of(name: str, moment: datetime) -> int:
    return monthrange(moment.year, moment.month)[1] if name == "day" else MAX[name]


@dataclass(frozen=True)
class Range:
    """``*``, ``*/step``, ``a``, ``a-b``, ``a/step``, ``a-b/step`` (and month or weekday
    names): APScheduler's ``AllExpression`` (``first`` is None) and ``RangeExpression``."""

    first: int | None
    last: int | None
    step: int | None

    def next_value(self, name: str, moment: datetime) -> int | None:
        start, low, high = value_of(name, moment), MIN[name], max_of(name, moment)
        if self.first is None:
            start = max(start, low)
            value = start + ((self.step - (start - low)) % self.step if self.step else 0)
            return value if value <= high else None
        low = max(low, self.first)
        high = min(high, self.last) if self.last is not None else high
        value = max(low, start)
        if self.step:
            value += (self.step - (value - low)) % self.step
        return value if value <= high else None


@dataclass(frozen=True)
class Position:
    """``1st mon`` .. ``5th mon``, ``last mon``: a weekday's place in the month."""

    option: int
    weekday: int

    def next_value(self, name: str, moment: datetime) -> int | None:
        first_weekday, last_day = monthrange(moment.year, moment.month)
        first_hit = self.weekday - first_weekday + 1
        if first_hit <= 0:
            first_hit += 7
        if self.option < 5:
            target = first_hit + self.option * 7
        else:
            target = first_hit + ((last_day - first_hit) // 7) * 7
        return target if moment.day <= target <= last_day else None


@dataclass(frozen=True)
class LastDay:
    """``last``: the last day of the month."""

    def next_value(self, name: str, moment: datetime) -> int | None:
        return monthrange(moment.year, moment.month)[1]


Expression = Range | Position | LastDay


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)


def _step(step: int | None) -> int | None:
    if step == 0:
        raise ValueError("Increment must be higher than 0")
    return step


def _range(first: str, last: str | None, step: str | None) -> Range:
    low, high, every = int(first), _int(last), _step(_int(step))
    if high is None and every is None:
        high = low
    if high is not None and low > high:
        raise ValueError("The minimum value in a range must not be higher than the maximum")
    return Range(low, high, every)


def _named(names: tuple[str, ...], what: str, first: str, last: str | None) -> Range:
    numbers: list[int | None] = []
    for name in (first, last):
        if not name:
            numbers.append(None)
            continue
        try:
            numbers.append(names.index(name.lower()) + (what == "month"))
        except ValueError:
            raise ValueError(f'Invalid {what} name "{name}"') from None
    low, high = numbers
    assert low is not None
    if high is not None and low > high:
        raise ValueError("The minimum value in a range must not be higher than the maximum")
    return Range(low, low if high is None else high, None)


def _position(option: str, weekday: str) -> Position:
    try:
        number = POSITIONS.index(option.lower())
    except ValueError:
        raise ValueError(f'Invalid weekday position "{option}"') from None
    try:
        day = WEEKDAYS.index(weekday.lower())
    except ValueError:
        raise ValueError(f'Invalid weekday name "{weekday}"') from None
    return Position(number, day)


def _validate(expr: Range, name: str) -> None:
    """``AllExpression`` / ``RangeExpression.validate_range``."""
    span = MAX[name] - MIN[name]
    if expr.step and expr.step > span:
        raise ValueError(
            f"the step value ({expr.step}) is higher than the total range of the "
            f"expression ({span})"
        )
    if expr.first is None:
        return
    if expr.first < MIN[name]:
        raise ValueError(
            f"the first value ({expr.first}) is lower than the minimum value ({MIN[name]})"
        )
    if expr.last is not None and expr.last > MAX[name]:
        raise ValueError(
            f"the last value ({expr.last}) is higher than the maximum value ({MAX[name]})"
        )
    span = (expr.last or MAX[name]) - expr.first
    if expr.step and expr.step > span:
        raise ValueError(
            f"the step value ({expr.step}) is higher than the total range of the "
            f"expression ({span})"
        )


def compile_expression(name: str, expr: str) -> Expression:
    """One item of a field, as ``BaseField.compile_expression`` reads it (same messages)."""
    compiled: Range | None = None
    if m := _ALL.match(expr):
        compiled = Range(None, None, _step(_int(m["step"])))
    elif m := _RANGE.match(expr):
        compiled = _range(m["first"], m["last"], m["step"])
    elif name == "day" and (m := _POSITION.match(expr)):
        return _position(m["option_name"], m["weekday_name"])
    elif name == "day" and _LAST.match(expr):
        return LastDay()
    elif name in ("month", "day_of_week") and (m := _NAMES.match(expr)):
        names = MONTHS if name == "month" else WEEKDAYS
        compiled = _named(names, name.replace("day_of_week", "weekday"), m["first"], m["last"])
    if compiled is None:
        raise ValueError(f'Unrecognized expression "{expr}" for field "{name}"')
    try:
        _validate(compiled, name)
    except ValueError as e:
        raise ValueError(f"Error validating expression {expr!r}: {e}") from None
    return compiled


@dataclass(frozen=True)
class Cron:
    """A schedule: each field's items (``FIELDS`` order), its zone, the daemon's jitter,
    and the arguments it was made from (for ``trigger``)."""

    fields: tuple[tuple[str, tuple[Expression, ...]], ...]
    timezone: tzinfo
    jitter: int | None
    given: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, timezone: tzinfo, jitter: int | None = None, **given: str | int) -> Cron:
        """What ``CronTrigger(**given, timezone=timezone, jitter=jitter)`` would be (same
        ValueErrors); fields not given are ``*``, or their minimum after the last given."""
        fields = []
        rest = {name: str(value) for name, value in given.items()}
        defaults = False
        for name in FIELDS:
            if name in rest:
                text = rest.pop(name)
                defaults = not rest
            else:
                text = str(MIN[name]) if defaults and name in REAL - {"year"} else "*"
            items = tuple(compile_expression(name, e) for e in _SEPARATOR.split(text.strip()))
            fields.append((name, items))
        pairs = tuple((name, str(value)) for name, value in given.items())
        return cls(tuple(fields), timezone, jitter, pairs)

    def trigger(self) -> CronTrigger:
        """The APScheduler trigger of this schedule (imports APScheduler: the daemon's)."""
        from apscheduler.triggers.cron import CronTrigger

        return CronTrigger(**dict(self.given), timezone=self.timezone, jitter=self.jitter)

    def next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
        """``CronTrigger.get_next_fire_time`` (no start or end date), jitter left out."""
        if previous:
            start = min(now.astimezone(UTC), _utc_add(previous, _MICRO).astimezone(UTC))
            start = start.astimezone(self.timezone)
            if start == previous:
                start = _utc_add(start, _MICRO)
        else:
            start = now
        if start.microsecond > 0:
            start = _utc_add(start, timedelta(seconds=1, microseconds=-start.microsecond))
        moment = start.astimezone(self.timezone)
        n = 0
        while 0 <= n < len(self.fields):
            name, items = self.fields[n]
            current = value_of(name, moment)
            found = [v for v in (e.next_value(name, moment) for e in items) if v is not None]
            value = min(found) if found else None
            if value is None:
                moment, n = self._increment(moment, n - 1)
            elif value > current:
                if name in REAL:
                    moment = self._set(moment, n, value)
                    n += 1
                else:
                    moment, n = self._increment(moment, n)
            else:
                n += 1
        return moment if n >= 0 else None

    def _increment(self, moment: datetime, n: int) -> tuple[datetime, int]:
        """``CronTrigger._increment_field_value``: field ``n`` up by one (or the first
        field above it not at its maximum), the fields below it at their minimum."""
        values: dict[str, int] = {}
        i = 0
        while i < len(self.fields):
            name = self.fields[i][0]
            if name not in REAL:
                if i == n:
                    n -= 1
                    i -= 1
                else:
                    i += 1
                continue
            if i < n:
                values[name] = value_of(name, moment)
                i += 1
            elif i > n:
                values[name] = MIN[name]
                i += 1
            else:
                value = value_of(name, moment)
                if value == max_of(name, moment):
                    n -= 1
                    i -= 1
                else:
                    values[name] = value + 1
                    i += 1
        year, month, day, hour, minute, second = (values[name] for name in _DATETIME)
        naive = datetime(year, month, day, hour, minute, second)
        difference = naive - moment.replace(tzinfo=None)
        return _utc_add(moment, difference), n

    def _set(self, moment: datetime, n: int, value: int) -> datetime:
        """``CronTrigger._set_field_value``."""
        values = {}
        for i, (name, _) in enumerate(self.fields):
            if name in REAL:
                values[name] = value_of(name, moment) if i < n else MIN[name] if i > n else value
        return datetime(**values, tzinfo=self.timezone, fold=moment.fold)


_MICRO = timedelta(microseconds=1)


def _utc_add(moment: datetime, delta: timedelta) -> datetime:
    """APScheduler's ``datetime_utc_add``: arithmetic in UTC, across DST changes."""
    zone = moment.tzinfo
    return moment + delta if zone is None else (moment.astimezone(UTC) + delta).astimezone(zone)
