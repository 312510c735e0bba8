"""A programmable HTTP/1.1 server on 127.0.0.1 for tests: real sockets, no mocks.

    server = LocalServer().start()              # or use the ``http_server`` fixture
    server.route("/terms", Reply(body="<p>Terms</p>", etag='"v1"'))
    server.route("/flaky", Reply(503), Reply(body="ok"))   # a sequence; the last repeats
    server.route("/old", Reply.redirect("/terms"))
    server.route("/cdx", lambda req: Reply(body=req.query["url"]))  # computed per request
    fetch(server.url("/terms"))
    server.requests          # every Request received, in order: method, path, headers, at
    server.hits("/flaky")    # how many requests a path received
    server.max_concurrent    # most requests being answered at once (arrival → reply starts)
    server.stop()

``Reply`` fields: ``status``, ``body`` (str or bytes), ``headers``, ``content_type``,
``delay`` (seconds to wait before answering), ``gzip`` (compress the body, with
``Content-Encoding: gzip``), ``etag`` / ``last_modified`` (sent, and a matching
``If-None-Match`` / ``If-Modified-Since`` gets a 304), ``size`` (stream that many filler
bytes instead of ``body``, never held in memory; with ``gzip`` it is a streamed gzip
bomb), ``encodings`` (content-codings applied in order, e.g. ``("gzip", "gzip")``:
a nested bomb with ``size``; sent as ``Content-Encoding: gzip, gzip``), ``chunked``
(no Content-Length) and ``declared_length`` (a Content-Length larger than the body sent,
then the connection closes: a truncated body). Routes match the path without its query
string; unknown paths get a 404. Request header names are lower-cased.

The server is also an HTTP proxy for made-up host names: with ``HTTP_PROXY`` set to
``server.url()``, a request for ``http://terms.example/x`` reaches it in absolute form
and is answered by route ``/x`` (``Request.host`` says which host was asked for). Tests
use it for documents on "public" hosts without touching the internet.
"""

from __future__ import annotations

import gzip as gzip_module
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Request:
    """One request as the server received it."""

    method: str
    path: str  # with the query string
    headers: Mapping[str, str]  # names lower-cased
    body: bytes = b""
    at: float = 0.0  # time.monotonic() on arrival

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def host(self) -> str:
        """The host asked for: of an absolute-form (proxied) request, else the Host header."""
        return urlsplit(self.path).hostname or self.headers.get("host", "").split(":")[0]

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))


@dataclass(frozen=True)
class Reply:
    """How to answer a request."""

    status: int = 200
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0
    gzip: bool = False
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    chunked: bool = False
    encodings: tuple[str, ...] = ()
    declared_length: int | None = None

    @property
    def codings(self) -> tuple[str, ...]:
        return ("gzip", *self.encodings) if self.gzip else self.encodings

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status, headers={"Location": location})


Responder = Reply | Callable[[Request], Reply]


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) whose routes tests program."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.max_concurrent = 0
        self._routes: dict[str, tuple[Responder, ...]] = {}
        self._served: dict[str, int] = {}
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *replies: Responder) -> None:
        """Answer ``path`` with ``replies`` in turn, repeating the last one."""
        with self._lock:
            self._routes[path] = replies or (Reply(),)
            self._served[path] = 0

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.route == path)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed replies
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        request = Request(handler.command, handler.path, headers, body, time.monotonic())
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self._in_flight)
            responder = self._next_responder(request.route)
        try:
            reply = responder(request) if callable(responder) else responder
            if reply.delay:
                self._stopping.wait(reply.delay)
        finally:
            with self._lock:
                self._in_flight -= 1
        _send(handler, request, reply)

    def _next_responder(self, route: str) -> Responder:
        replies = self._routes.get(route)
        if replies is None:
            return Reply(404, "not found", content_type="text/plain")
        n = self._served[route]
        self._served[route] = n + 1
        return replies[min(n, len(replies) - 1)]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-reply (timeouts, size caps) are expected; stay quiet."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self.server.owner._handle(self)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _send(handler: BaseHTTPRequestHandler, request: Request, reply: Reply) -> None:
    """Write ``reply``: 304 for a matching conditional request, else status, headers, body."""
    status = 304 if _not_modified(request, reply) else reply.status
    handler.send_response(status)
    headers = {"Content-Type": reply.content_type, **reply.headers}
    if reply.etag:
        headers["ETag"] = reply.etag
    if reply.last_modified:
        headers["Last-Modified"] = reply.last_modified
    if reply.codings:
        headers["Content-Encoding"] = ", ".join(reply.codings)
    chunks, length = _body(reply)
    has_body = status not in (204, 304) and request.method != "HEAD"
    if has_body and (length is None or reply.chunked):
        headers["Transfer-Encoding"] = "chunked"
    elif has_body or request.method == "HEAD":
        headers["Content-Length"] = str(reply.declared_length or length or 0)
    if reply.declared_length is not None:
        handler.close_connection = True
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if has_body:
        chunked = headers.get("Transfer-Encoding") == "chunked"
        for chunk in chunks:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()


def _body(reply: Reply) -> tuple[Iterator[bytes], int | None]:
    """The body's chunks (already gzipped if asked) and its length when known up front."""
    if reply.size is None:
        data = reply.body.encode() if isinstance(reply.body, str) else reply.body
        for coding in reply.codings:
            data = gzip_module.compress(data) if coding == "gzip" else zlib.compress(data)
        return iter([data] if data else []), len(data)
    chunks = _filler(reply.size)
    for coding in reply.codings:
        chunks = _compressed(chunks, 31 if coding == "gzip" else 15)
    return chunks, None if reply.codings else reply.size


def _filler(size: int) -> Iterator[bytes]:
    block = b"x" * _CHUNK
    for start in range(0, size, _CHUNK):
        yield block[: min(_CHUNK, size - start)]


def _compressed(chunks: Iterator[bytes], wbits: int) -> Iterator[bytes]:
    """``chunks`` compressed as they are produced (wbits 31: gzip framing, 15: zlib)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    for chunk in chunks:
        if out := compressor.compress(chunk):
            yield out
    yield compressor.flush()


def _not_modified(request: Request, reply: Reply) -> bool:
    """Whether a conditional request matches the reply's validators (If-None-Match first)."""
    if reply.status != 200:
        return False
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        return reply.etag is not None and ("*" in tags or reply.etag in tags)
    since = request.headers.get("if-modified-since")
    if since is None or reply.last_modified is None:
        return False
    try:
        return parsedate_to_datetime(reply.last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def gzip_bomb(decoded_size: int) -> bytes:
    """A single gzip member that inflates to about ``decoded_size`` bytes of ``x``, built in
    ~0.1 s per GB: one compressed 1 MiB block, byte-aligned by a full flush, repeated.
    Its trailer's checksum is wrong, so a decoder that gets to the end also fails there."""
    block = b"x" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + repeat * max(decoded_size // len(block) - 1, 0) + compressor.flush()
