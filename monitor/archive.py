"""Wayback-compatible archives: CDX listings and raw capture URLs. Pure parsing, no I/O.

The two parts of the Wayback API a backfill needs, relative to ``[archive].wayback_url``
(which may carry a path prefix, e.g. ``http://host/wayback`` for a self-hosted pywb)::

    GET {base}/cdx/search/cdx?url=URL&output=json&filter=statuscode:200&collapse=digest
        [&from=YYYYMMDD][&to=YYYYMMDD]
        → [["urlkey","timestamp","original","mimetype","statuscode","digest","length"], ...]
    GET {base}/web/TIMESTAMPid_/URL
        → the raw bytes of the capture; another timestamp redirects to the nearest one

The real capture time is the timestamp in the final URL after such a redirect.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode, urlsplit

from .errors import ArchiveError

CDX_PATH = "/cdx/search/cdx"
_TIMESTAMP = re.compile(r"^\d{4,14}$")
# ".../web/20240102030405id_/https://..." (or without "web/" for pywb collections)
_CAPTURE_PATH = re.compile(r"/(\d{4,14})(?:[a-z]{2}_)?/(?=[A-Za-z][A-Za-z0-9+.-]*:|[^/]+\.)")
_PAD = "00000101000000"  # earliest valid completion of a partial timestamp


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


def cdx_url(base: str, url: str, since: date | None = None, until: date | None = None) -> str:
    """The CDX query listing ``url``'s distinct successful captures, optionally in a date range."""
    params = {
        "url": url,
        "output": "json",
        "filter": "statuscode:200",
        "collapse": "digest",
    }
    if since is not None:
        params["from"] = since.strftime("%Y%m%d")
    if until is not None:
        params["to"] = until.strftime("%Y%m%d")
    return base.rstrip("/") + CDX_PATH + "?" + urlencode(params)


def capture_url(base: str, capture: ArchivedCapture) -> str:
    """The raw (``id_``) URL of ``capture``: the archived bytes, without the archive's toolbar."""
    return f"{base.rstrip('/')}/web/{capture.timestamp}id_/{capture.original}"


def parse_cdx(body: bytes | str) -> list[ArchivedCapture]:
    """The captures of a JSON CDX answer, oldest first, one per timestamp.

    An empty body or ``[]`` is an empty listing. The first row names the fields, as
    both the Wayback Machine and pywb send it; rows not answered 200 are dropped in
    case the archive ignored the filter.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return []
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArchiveError(f"CDX answer is not JSON: {exc}", "cdx") from None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ArchiveError("CDX answer is not a list of rows", "cdx")
    if not rows:
        return []
    header = [str(h) for h in rows[0]]
    if "timestamp" not in header or "original" not in header:
        raise ArchiveError(f"CDX header lacks timestamp/original: {header}", "cdx")
    found: dict[str, ArchivedCapture] = {}
    for row in rows[1:]:
        record = dict(zip(header, (str(v) for v in row), strict=False))
        timestamp = record.get("timestamp", "")
        if not _TIMESTAMP.match(timestamp) or record.get("statuscode", "200") != "200":
            continue
        timestamp = format_timestamp(parse_timestamp(timestamp))
        found.setdefault(
            timestamp,
            ArchivedCapture(
                timestamp,
                record.get("original", ""),
                record.get("digest", ""),
                record.get("mimetype", ""),
            ),
        )
    return sorted(found.values())


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
