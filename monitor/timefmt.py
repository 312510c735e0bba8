"""How times are written: ISO 8601 UTC with ``Z`` and second precision in JSON, and
``YYYY-MM-DD HH:MM`` in tables. Pure: no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _utc(moment: datetime) -> datetime:
    """An aware UTC time (a naive one is taken as UTC: the database stores UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """``2026-12-01T19:13:05Z``: the JSON form of a time, to the second."""
    return _utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def short(moment: datetime) -> str:
    """``2026-12-01 19:13``: a UTC time as tables show it."""
    return _utc(moment).strftime("%Y-%m-%d %H:%M")


def parse_iso(value: str) -> datetime:
    """An ISO 8601 time as JSON carries it (``Z`` or an offset; naive = UTC)."""
    return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def short_text(value: str | None) -> str:
    """An ISO time of a JSON report as a table shows it (``""`` for none)."""
    return "" if not value else short(parse_iso(value))


def end_of(value: str, moment: datetime) -> datetime:
    """The last instant that ``value`` (an ISO time written to the minute or second)
    names: ``--at 2026-12-01T19:13:05`` includes everything captured in that second, as
    the JSON of a capture at 19:13:05.4 reads."""
    if "." in value or "," in value:
        return moment
    clock = value.partition("T")[2] or value.partition(" ")[2]
    digits = sum(c.isdigit() for c in clock.split("+")[0].split("-")[0].rstrip("Z"))
    step = timedelta(seconds=1) if digits >= 6 else timedelta(minutes=1) if digits >= 4 else None
    return moment + step - timedelta(microseconds=1) if step else moment
