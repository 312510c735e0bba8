"""Wayback-compatible archives: endpoint layouts, CDX answers, raw capture URLs. Pure, no I/O.

A backfill needs two endpoints, laid out by ``[archive].kind`` (or the ``cdx_url`` /
``capture_url`` templates, which override either)::

    wayback (the Internet Archive)          pywb (``wayback_url`` = the collection root)
    {base}/cdx/search/cdx?url=URL&...       {base}/cdx?url=URL&...
    {base}/web/{timestamp}id_/{url}         {base}/{timestamp}id_/{url}

CDX answers come in two forms, both read here: a JSON array whose first row names the
fields (the Internet Archive; ``showResumeKey`` appends ``[]`` and ``[key]``), and NDJSON,
one object per line (pywb). Field names differ (``original``/``url``,
``statuscode``/``status``, ``mimetype``/``mime``). Rows pywb marks ``is_fuzzy`` (sent when
nothing matched the query exactly) are dropped, so are rows not answered 200; equal
adjacent digests are collapsed here, since pywb ignores ``collapse=digest``.

A capture's real time is its ``Memento-Datetime`` header when the archive answered 200
for a nearby timestamp (pywb), else the timestamp in the final URL after a redirect (the
Internet Archive), else the listed one.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from .errors import ArchiveError

ArchiveKind = Literal["wayback", "pywb"]
ARCHIVE_KINDS: tuple[ArchiveKind, ...] = ("wayback", "pywb")
PAGE_ROWS = 5000  # rows asked for per CDX query
_TIMESTAMP = re.compile(r"^\d{4,14}$")
# ".../web/20240102030405id_/https://..." (or without "web/" for pywb collections)
_CAPTURE_PATH = re.compile(r"/(\d{4,14})(?:[a-z]{2}_)?/(?=[A-Za-z][A-Za-z0-9+.-]*:|[^/]+\.)")
_PAD = "00000101000000"  # earliest valid completion of a partial timestamp
_ALIASES = {"url": "original", "status": "statuscode", "mime": "mimetype"}
_LAYOUTS: dict[ArchiveKind, tuple[str, str]] = {
    "wayback": ("/cdx/search/cdx", "/web/{timestamp}id_/{url}"),
    "pywb": ("/cdx", "/{timestamp}id_/{url}"),
}


@dataclass(frozen=True, order=True)
class ArchivedCapture:
    """One row of a CDX listing: a capture the archive holds."""

    timestamp: str  # 14 digits, UTC
    original: str  # the URL as archived
    digest: str = ""
    mimetype: str = ""

    @property
    def captured_at(self) -> datetime:
        return parse_timestamp(self.timestamp)


@dataclass(frozen=True)
class ArchiveLayout:
    """Where an archive answers: CDX endpoint (``{url}`` optional) and capture template."""

    kind: ArchiveKind
    cdx: str
    capture: str  # holds {timestamp} and {url}


@dataclass(frozen=True)
class CdxAnswer:
    """One CDX answer: its usable captures (oldest first) and how to ask for more."""

    captures: list[ArchivedCapture] = field(default_factory=list)
    rows: int = 0  # rows the archive sent, dropped ones included
    fuzzy: int = 0  # rows dropped as fuzzy matches
    resume_key: str | None = None  # the Internet Archive's showResumeKey
    pages: int | None = None  # pywb's showNumPages answer


def layout(
    kind: ArchiveKind, base: str, cdx: str | None = None, capture: str | None = None
) -> ArchiveLayout:
    """The endpoints of an archive of ``kind`` at ``base``; templates override either."""
    root = base.rstrip("/")
    cdx_path, capture_path = _LAYOUTS[kind]
    return ArchiveLayout(kind, cdx or root + cdx_path, capture or root + capture_path)


def template_problem(template: str, required: Iterable[str], allowed: Iterable[str]) -> str | None:
    """What is wrong with a URL template (``{timestamp}``, ``{url}``), or None."""
    try:
        parts = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(template)]
    except ValueError as exc:
        return f"is not a valid template ({exc}); write placeholders as {{url}}"
    fields = {f for f, _, _ in parts if f is not None}
    unknown = sorted(fields - set(allowed))
    if unknown:
        names = ", ".join("{" + a + "}" for a in sorted(allowed))
        return f"has an unknown placeholder {{{unknown[0]}}}; allowed: {names}"
    if any(spec or conv for f, spec, conv in parts if f is not None):
        return "placeholders take no format spec or conversion"
    missing = sorted(set(required) - fields)
    if missing:
        return f"lacks the {{{missing[0]}}} placeholder"
    if not template.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    return None


def parse_timestamp(value: str) -> datetime:
    """A Wayback timestamp (``YYYY[MM[DD[hh[mm[ss]]]]]``, UTC) as an aware datetime."""
    if not _TIMESTAMP.match(value):
        raise ValueError(f"not a Wayback timestamp: {value!r}")
    full = value + _PAD[len(value) :]
    return datetime.strptime(full, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """The 14-digit Wayback timestamp of an aware (or UTC naive) datetime."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y%m%d%H%M%S")


def cdx_url(
    where: ArchiveLayout,
    url: str,
    since: date | None = None,
    until: date | None = None,
    *,
    start: str | None = None,
    resume_key: str | None = None,
    page: int | None = None,
    count_pages: bool = False,
) -> str:
    """The CDX query for ``url``'s successful captures in a date range, one page of them.

    ``start`` (a timestamp) narrows ``from`` to continue after an answer cut at a server
    limit; ``resume_key`` / ``page`` / ``count_pages`` are the two archives' paging.
    """
    params: dict[str, str] = {} if "{url}" in where.cdx else {"url": url}
    params |= {"output": "json", "filter": "statuscode:200", "collapse": "digest"}
    params["limit"] = str(PAGE_ROWS)
    if start is not None:
        params["from"] = start
    elif since is not None:
        params["from"] = since.strftime("%Y%m%d")
    if until is not None:
        params["to"] = until.strftime("%Y%m%d")
    if where.kind == "wayback":
        params["showResumeKey"] = "true"
        if resume_key is not None:
            params["resumeKey"] = resume_key
    if page is not None:
        params["page"] = str(page)
    if count_pages:
        params["showNumPages"] = "true"
    endpoint = where.cdx.replace("{url}", quote(url, safe=""))
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def capture_url(where: ArchiveLayout, capture: ArchivedCapture) -> str:
    """The raw (``id_``) URL of ``capture``: the archived bytes, without the archive's toolbar."""
    return where.capture.replace("{timestamp}", capture.timestamp).replace(
        "{url}", capture.original
    )


def read_cdx(body: bytes | str) -> CdxAnswer:
    """A CDX answer in either form (JSON array with a header row, or NDJSON); see the module."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return CdxAnswer()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return _from_records(_ndjson(text), None)
    if isinstance(data, dict):
        if "pages" in data:
            return CdxAnswer(pages=_count(data["pages"]))
        return _from_records([data], None)
    if not isinstance(data, list) or not all(isinstance(r, list | dict) for r in data):
        raise ArchiveError("CDX answer is not a list of rows", "cdx")
    if not data:
        return CdxAnswer()
    if all(isinstance(r, dict) for r in data):
        return _from_records(data, None)
    return _from_table(data)


def _count(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ArchiveError(f"CDX page count is not a number: {value!r}", "cdx")


def _ndjson(text: str) -> list[dict[str, Any]]:
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ArchiveError(f"CDX answer is not JSON (line {n}: {exc})", "cdx") from None
        if not isinstance(record, dict):
            raise ArchiveError(f"CDX line {n} is not a JSON object", "cdx")
        records.append(record)
    return records


def _from_table(rows: list[Any]) -> CdxAnswer:
    """The Internet Archive's form: header row, rows, then optionally ``[]`` and ``[key]``."""
    if not isinstance(rows[0], list):
        raise ArchiveError("CDX answer mixes rows and objects", "cdx")
    header = [str(h) for h in rows[0]]
    body, resume = rows[1:], None
    if len(body) >= 2 and body[-2] == [] and isinstance(body[-1], list) and len(body[-1]) == 1:
        body, resume = body[:-2], str(body[-1][0])
    if any(not isinstance(r, list) for r in body):
        raise ArchiveError("CDX answer mixes rows and objects", "cdx")
    records = [dict(zip(header, r, strict=False)) for r in body if r]
    return _from_records(records, resume)


def _from_records(records: list[dict[str, Any]], resume: str | None) -> CdxAnswer:
    found: dict[str, ArchivedCapture] = {}
    fuzzy = 0
    for raw in records:
        record = {_ALIASES.get(str(k), str(k)): str(v) for k, v in raw.items()}
        if "timestamp" not in record or "original" not in record:
            raise ArchiveError(f"CDX row lacks timestamp/url: {sorted(record)}", "cdx")
        if record.get("is_fuzzy", "0") not in ("0", "", "False", "false"):
            fuzzy += 1
            continue
        timestamp = record["timestamp"]
        if not _TIMESTAMP.match(timestamp) or record.get("statuscode", "200") != "200":
            continue
        timestamp = format_timestamp(parse_timestamp(timestamp))
        capture = ArchivedCapture(
            timestamp, record["original"], record.get("digest", ""), record.get("mimetype", "")
        )
        found.setdefault(timestamp, capture)
    return CdxAnswer(sorted(found.values()), len(records), fuzzy, resume)


def collapse_digests(captures: Iterable[ArchivedCapture]) -> list[ArchivedCapture]:
    """Captures oldest first, each run of equal (known) digests kept as its first capture."""
    out: list[ArchivedCapture] = []
    for capture in sorted(captures):
        if out and capture.digest and capture.digest == out[-1].digest:
            continue
        out.append(capture)
    return out


def in_range(capture: ArchivedCapture, since: date | None, until: date | None) -> bool:
    """Whether ``capture`` falls in [since, until] (whole days), for archives ignoring from/to."""
    day = capture.timestamp[:8]
    if since is not None and day < since.strftime("%Y%m%d"):
        return False
    return until is None or day <= until.strftime("%Y%m%d")


def timestamp_from_url(url: str | None) -> str | None:
    """The 14-digit timestamp a capture URL names (after the archive's redirect), if any."""
    if not url:
        return None
    parts = urlsplit(url)
    match = _CAPTURE_PATH.search(parts.path + ("?" + parts.query if parts.query else ""))
    if match is None:
        return None
    value = match.group(1)
    return format_timestamp(parse_timestamp(value)) if len(value) < 14 else value


def memento_timestamp(value: str | None) -> str | None:
    """The 14-digit timestamp of a ``Memento-Datetime`` header (an HTTP date), if valid."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime  # email and socket: not for every command

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return format_timestamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
