"""A small Wayback-compatible archive on 127.0.0.1 for backfill tests: real sockets, no mocks.

    archive = FakeWayback(prefix="/wayback").start()
    archive.add("https://acme.example/terms", "20230101000000", "<main>...</main>")
    archive.list_only("https://acme.example/terms", "20230102000000")  # listed; redirects
    archive.fail("20230101000000", 429, 503)     # next requests of that capture, then 200
    archive.fail_cdx(500)                        # next CDX requests
    archive.live("/live/terms", "<main>...</main>")   # a "live" page for `tosmon check`
    archive.base                                 # http://127.0.0.1:PORT/wayback
    archive.capture_requests()                   # paths of every /web/ request received
    archive.max_rows = 3                         # answers cut at 3 rows (resume key if asked)

CDX: ``url``, ``output=json``, ``from``/``to`` (partial timestamps), ``filter=statuscode:200``
and ``collapse=digest`` (adjacent duplicates), ``limit`` and ``showResumeKey``/``resumeKey``
(an answer cut at ``limit`` or ``max_rows`` ends with ``[]`` and ``[key]`` when asked; without
``showResumeKey`` it is cut silently), answering ``[]`` (or an empty body with
``empty_body_when_none``) when nothing matches. Captures: ``/web/TSid_/URL`` answers the
exact capture, or redirects (302) to the nearest one, as the Wayback Machine does.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

_CAPTURE = re.compile(r"^/web/(\d{1,14})(id_)?/(.+)$")


@dataclass(frozen=True)
class _Capture:
    timestamp: str
    url: str
    body: bytes
    listed_only: bool = False

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.body).hexdigest().upper()


class FakeWayback:
    """CDX listings and raw captures of a few URLs, with programmable failures."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix.rstrip("/")
        self.requests: list[str] = []
        self.empty_body_when_none = False
        self.max_rows: int | None = None  # the server's own row limit per answer
        self.ignore_from = False  # an archive that lists from the first capture whatever asked
        self.ignore_keys: list[str] = []  # query parameters this archive does not know
        self._captures: dict[str, list[_Capture]] = {}
        self._failures: dict[str, deque[int]] = {}
        self._cdx_failures: deque[int] = deque()
        self._live: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.archive = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def base(self) -> str:
        """What ``[archive].wayback_url`` should say."""
        return self.root + self.prefix

    def add(self, url: str, timestamp: str, html: str | bytes) -> None:
        body = html.encode() if isinstance(html, str) else html
        self._insert(_Capture(timestamp, url, body))

    def list_only(self, url: str, timestamp: str) -> None:
        """A CDX row whose capture request redirects to the nearest real capture."""
        self._insert(_Capture(timestamp, url, b"", listed_only=True))

    def fail(self, timestamp: str, *statuses: int) -> None:
        with self._lock:
            self._failures.setdefault(timestamp, deque()).extend(statuses)

    def fail_cdx(self, *statuses: int) -> None:
        with self._lock:
            self._cdx_failures.extend(statuses)

    def live(self, path: str, html: str) -> str:
        """Serve ``html`` at ``path`` (outside the archive); return its URL."""
        self._live[path] = html.encode()
        return self.root + path

    def capture_requests(self) -> list[str]:
        with self._lock:
            return [p for p in self.requests if p.startswith(self.prefix + "/web/")]

    def cdx_requests(self) -> list[dict[str, str]]:
        with self._lock:
            return [
                dict(parse_qsl(urlsplit(p).query))
                for p in self.requests
                if urlsplit(p).path == self.prefix + "/cdx/search/cdx"
            ]

    def start(self) -> FakeWayback:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> FakeWayback:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- answering -------------------------------------------------------------------------

    def _insert(self, capture: _Capture) -> None:
        with self._lock:
            caps = self._captures.setdefault(capture.url, [])
            caps.append(capture)
            caps.sort(key=lambda c: c.timestamp)

    def answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            self.requests.append(path)
        parts = urlsplit(path)
        if parts.path in self._live:
            return 200, self._live[parts.path], {}
        if not parts.path.startswith(self.prefix + "/"):
            return 404, b"not found", {}
        inner = parts.path[len(self.prefix) :]
        if inner == "/cdx/search/cdx":
            with self._lock:
                status = self._cdx_failures.popleft() if self._cdx_failures else 200
            if status != 200:
                return status, b"cdx unavailable", {"Retry-After": "0"}
            query = {k: v for k, v in parse_qsl(parts.query) if k not in self.ignore_keys}
            return self._cdx(query)
        match = _CAPTURE.match(inner + ("?" + parts.query if parts.query else ""))
        if match is None:
            return 404, b"not found", {}
        return self._capture(match.group(1).ljust(14, "0"), match.group(2) or "", match.group(3))

    def _cdx(self, q: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        rows: list[list[str]] = []
        last = None
        for c in self._captures.get(q.get("url", ""), []):
            if "from" in q and not self.ignore_from and c.timestamp < q["from"].ljust(14, "0"):
                continue
            if "to" in q and c.timestamp > q["to"].ljust(14, "9"):
                continue
            if q.get("collapse") == "digest" and c.digest == last and not c.listed_only:
                continue
            last = c.digest
            rows.append([c.url, c.timestamp, c.url, "text/html", "200", c.digest, str(len(c.body))])
        header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
        if not rows and self.empty_body_when_none:
            return 200, b"", {"Content-Type": "application/json"}
        start = int(q.get("resumeKey", "0"))
        limit = min(int(q.get("limit", "150000")), self.max_rows or 150000)
        page, more = rows[start : start + limit], len(rows) > start + limit
        tail = [[], [str(start + limit)]] if more and q.get("showResumeKey") == "true" else []
        body = json.dumps([header, *page, *tail] if page else []).encode()
        return 200, body, {"Content-Type": "application/json"}

    def _capture(self, want: str, flag: str, url: str) -> tuple[int, bytes, dict[str, str]]:
        real = [c for c in self._captures.get(unquote(url), []) if not c.listed_only]
        if not real:
            return 404, b"not archived", {}
        best = min(real, key=lambda c: abs(int(c.timestamp) - int(want)))
        if best.timestamp != want:
            location = f"{self.prefix}/web/{best.timestamp}{flag}/{best.url}"
            return 302, b"", {"Location": location}
        with self._lock:
            queue = self._failures.get(want)
            status = queue.popleft() if queue else 200
        if status != 200:
            return status, b"try later", {"Retry-After": "0"}
        return 200, best.body, {"Content-Type": "text/html; charset=utf-8"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        archive: FakeWayback = self.server.archive  # type: ignore[attr-defined]
        status, body, headers = archive.answer(self.path)
        self.send_response(status)
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
