"""Live fetching of legal pages: polite, bounded, and never raising for one bad URL.

A ``Fetcher`` holds one ``httpx.AsyncClient`` for a run. ``fetch`` returns a
``FetchResult`` for every URL, failures included: ``result.error`` is a ``FetchError``
whose ``kind`` is one of ``timeout``, ``connect``, ``http``, ``too_large``, ``redirect``
or ``protocol``, so one broken page never stops the others.

What it takes care of, and why:

* politeness: a global and a per-host concurrency limit, an optional global rate (a
  minimum spacing between request starts, used by the archive backfill), and retries
  with exponential backoff and jitter that honour ``Retry-After``;
* bandwidth: conditional requests (``If-None-Match`` / ``If-Modified-Since``); a 304
  has no body to download or process;
* safety: a cap on the *decompressed* body size, enforced while decoding any stack of
  content-codings (``decoding.py``: gzip bombs, nested ones included), and redirects
  followed by hand: a bounded number of hops, each target checked before it is followed
  (``urls.redirect_problem``: a valid http(s) URL, the same site or an allowed host, no
  private address unless the document's own URL is private);
* time: all hops of one request share ``timeout``, and a document's fetch, retries and
  their waits included, ends by ``FetchSettings.deadline``; a ``Retry-After`` asking to
  wait past it ends the fetch with the server's error instead of waiting.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin

import httpx

from .decoding import ACCEPT_ENCODING, BodyDecoder
from .errors import FetchError
from .fetch_time import Clock, Hops, past_deadline, retry_after
from .model import FetchSettings
from .urls import redirect_problem

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_LOCATION = "X-Tosmon-Location"


async def _hold_location(response: httpx.Response) -> None:
    """Move ``Location`` aside before httpx sees it: even when not following redirects,
    httpx parses it to prepare ``next_request``, and a malformed one (``http://xn--/``)
    raises from inside ``send``. ``_follow`` checks it and follows it by hand."""
    location = response.headers.pop("Location", None)
    if location is not None:
        response.headers[_LOCATION] = location


@dataclass(frozen=True)
class Validators:
    """ETag / Last-Modified of the previous successful fetch, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The conditional request headers these validators call for."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class FetchResult:
    """Everything one ``Fetcher.fetch`` learned about a URL, whether it worked or not."""

    url: str
    final_url: str | None
    status: int | None
    content: bytes | None
    content_type: str | None
    validators: Validators
    started_at: datetime
    duration: float
    attempts: int
    error: FetchError | None
    memento_datetime: str | None = None  # an archive's Memento-Datetime header, if sent

    @property
    def not_modified(self) -> bool:
        """The server answered 304: the copy fetched last time is still current."""
        return self.status == 304 and self.error is None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def failed(cls, url: str, error: FetchError, started_at: datetime) -> FetchResult:
        """A fetch that ended in ``error`` before any response was kept."""
        duration = (datetime.now(UTC) - started_at).total_seconds()
        return cls(url, None, None, None, None, Validators(), started_at, duration, 1, error)


@dataclass
class _Outcome:
    """What one attempt (a request and its redirects) came to; filled in as it goes."""

    final_url: str | None = None
    status: int | None = None
    content: bytes | None = None
    content_type: str | None = None
    validators: Validators = field(default_factory=Validators)
    error: FetchError | None = None
    retry: bool = False
    retry_after: float | None = None
    memento_datetime: str | None = None
    asked: str | None = None  # the URL of the hop being requested (redirects included)


class Fetcher:
    """Fetches URLs with one shared client; use as ``async with Fetcher(settings) as f``.

    ``transport`` replaces httpx's network transport (tests, archives); ``rate`` is a
    global limit in requests per second; ``sleep`` is awaited for every backoff and
    rate wait, so tests can observe the waits without spending them.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self._transport = transport
        self._interval = 1.0 / rate if rate else 0.0
        self._sleep = sleep
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._pace_lock = asyncio.Lock()
        self._next_start = 0.0

    async def __aenter__(self) -> Fetcher:
        self._client = httpx.AsyncClient(
            transport=self._transport,
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=self.settings.timeout,
            follow_redirects=False,
            event_hooks={"response": [_hold_location]},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str, validators: Validators | None = None) -> FetchResult:
        """GET ``url`` (conditionally, given ``validators``), retrying transient failures.

        Never raises for a failure of this URL: it is returned as ``result.error``.
        """
        started_at, start = datetime.now(UTC), time.monotonic()
        headers = (validators or Validators()).headers()
        clock = Clock(self.settings)
        attempts = 0
        while True:
            attempts += 1
            out = await self._attempt(url, headers, clock)
            if not out.retry or attempts > self.settings.retries:
                break
            delay = self._delay(attempts, out.retry_after)
            if delay >= clock.left():
                out.error = past_deadline(out.error, out.retry_after, delay, clock)
                break
            await self._sleep(delay)
        return FetchResult(
            url=url,
            final_url=out.final_url,
            status=out.status,
            content=out.content,
            content_type=out.content_type,
            validators=out.validators,
            started_at=started_at,
            duration=time.monotonic() - start,
            attempts=attempts,
            error=_with_attempts(out.error, attempts),
            memento_datetime=out.memento_datetime,
        )

    async def _attempt(self, url: str, headers: dict[str, str], clock: Clock) -> _Outcome:
        """One try; transport failures become the outcome's error, marked retryable or not."""
        out = _Outcome()
        hops = Hops(clock, min(float(self.settings.timeout), max(clock.left(), 0.0)))
        try:
            await self._follow(url, headers, out, hops)
        except FetchError as exc:
            out.error = exc
        except (TimeoutError, httpx.TimeoutException):
            where = _host(out.asked or url)
            out.error = FetchError(
                f"timed out after {hops.budget:.3g} s waiting for {where}", "timeout"
            )
            out.retry = True
        except httpx.ConnectError as exc:
            out.error, out.retry = (
                FetchError(_cannot_connect(exc, out.asked or url), "connect"),
                True,
            )
        except httpx.NetworkError as exc:
            where = _host(out.asked or url)
            out.error, out.retry = (
                FetchError(f"connection to {where} lost: {_reason(exc)}", "connect"),
                True,
            )
        except httpx.RemoteProtocolError as exc:  # mostly "server disconnected": transient
            where = _host(out.asked or url)
            out.error, out.retry = (
                FetchError(f"protocol error from {where}: {_reason(exc)}", "protocol"),
                True,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            out.error = FetchError(
                f"cannot fetch from {_host(out.asked or url)}: {_reason(exc)}", "protocol"
            )
        if out.error is not None:
            out.content, out.validators = None, Validators()
        return out

    async def _follow(
        self, origin: str, headers: dict[str, str], out: _Outcome, hops: Hops
    ) -> None:
        """Request ``origin``, following at most ``max_redirects`` acceptable redirects."""
        limit = self.settings.max_redirects
        url = httpx.URL(origin)
        for _hop in range(limit + 1):
            response = await self._exchange(url, headers, out, hops)
            location = response.headers.get(_LOCATION)
            if response.status_code not in _REDIRECTS or location is None:
                _finish(response, out, conditional=bool(headers))
                return
            # a raw space is what browsers percent-encode; other control bytes are refused
            target = urljoin(str(response.url), location.strip().replace(" ", "%20"))
            problem = redirect_problem(origin, target, self.settings.allow_redirect_hosts)
            if problem is not None:
                raise FetchError(f"refused a redirect to {target}: {problem}", "redirect")
            url = httpx.URL(target)
        raise FetchError(f"more than {limit} redirects (the last one to {url})", "redirect")

    async def _exchange(
        self, url: httpx.URL, headers: dict[str, str], out: _Outcome, hops: Hops
    ) -> httpx.Response:
        """Send one request under the concurrency limits and rate; read the body of a 2xx."""
        if self._client is None:
            raise RuntimeError("use the Fetcher as `async with Fetcher(settings) as fetcher`")
        out.asked = str(url)
        async with self._slots, self._host_slot(url):
            await self._pace()
            async with asyncio.timeout_at(hops.expiry()):
                request = self._client.build_request("GET", url, headers=headers)
                response = await self._client.send(request, stream=True)
                try:
                    out.final_url, out.status = str(response.url), response.status_code
                    if response.is_success:
                        out.content = await self._read(response)
                    elif response.status_code == 304:  # no body; reading to its end lets
                        await response.aread()  # the connection be reused, not closed
                finally:
                    await response.aclose()
        return response

    async def _read(self, response: httpx.Response) -> bytes:
        """The decoded body, refusing more than ``max_bytes``: announced, or while decoding."""
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise FetchError(
                f"body of {int(declared):,} bytes exceeds the {limit:,}-byte limit", "too_large"
            )
        decoder = BodyDecoder(response.headers.get("Content-Encoding"), limit)
        chunks: list[bytes] = []
        async for raw in response.aiter_raw():
            if decoded := decoder.feed(raw):
                chunks.append(decoded)
        return b"".join(chunks)

    def _host_slot(self, url: httpx.URL) -> asyncio.Semaphore:
        """The semaphore limiting concurrent requests to ``url``'s host (any port)."""
        host = url.host
        if host not in self._host_slots:
            self._host_slots[host] = asyncio.Semaphore(self.settings.per_host)
        return self._host_slots[host]

    async def _pace(self) -> None:
        """Space request starts at least ``1 / rate`` seconds apart, when a rate is set."""
        if not self._interval:
            return
        async with self._pace_lock:
            wait = self._next_start - time.monotonic()
            if wait > 0:
                await self._sleep(wait)
            self._next_start = max(time.monotonic(), self._next_start) + self._interval

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with up to 50 % jitter, and never less than ``Retry-After``."""
        backoff = self.settings.backoff * 2.0 ** (attempt - 1) * random.uniform(1.0, 1.5)
        return max(backoff, retry_after or 0.0)


def _finish(response: httpx.Response, out: _Outcome, conditional: bool) -> None:
    """Record the final response of an attempt; a status other than 2xx/304 is an error,
    and so are the answers that break the protocol: a 304 to an unconditional request
    (there is no copy it could refer to) and a 206 (part of a page we asked for whole)."""
    status = response.status_code
    out.content_type = response.headers.get("Content-Type")
    if status == 206:
        out.error = FetchError(
            "HTTP 206 Partial Content to a request for the whole page: only part of it "
            "was sent, so it is not recorded",
            "protocol",
            status,
        )
        return
    if status == 304 and not conditional:
        out.error = FetchError(
            "HTTP 304 Not Modified to a request without If-None-Match or If-Modified-Since: "
            "there is no earlier copy it could refer to (a broken server or cache)",
            "protocol",
            status,
        )
        return
    if response.is_success or status == 304:
        headers = response.headers
        out.validators = Validators(headers.get("ETag"), headers.get("Last-Modified"))
        out.memento_datetime = headers.get("Memento-Datetime")
        return
    out.error = FetchError(f"HTTP {status} {response.reason_phrase}".rstrip(), "http", status)
    out.retry = status == 429 or status >= 500
    out.retry_after = retry_after(response.headers.get("Retry-After"))


def _with_attempts(error: FetchError | None, attempts: int) -> FetchError | None:
    """The final error, saying how many attempts it took when there was more than one."""
    if error is None or attempts == 1:
        return error
    suffix = f" after {attempts} attempts" if error.kind == "http" else f" ({attempts} attempts)"
    return FetchError(f"{error}{suffix}", error.kind, error.status)


def _reason(exc: Exception) -> str:
    """An exception's message, or its class name when the message is empty."""
    return str(exc) or type(exc).__name__


# getaddrinfo's messages (glibc, macOS) for a name that does not resolve, and what they mean
_DNS = (
    ("Name or service not known", "no such host name (DNS); check the URL"),
    ("nodename nor servname", "no such host name (DNS); check the URL"),
    ("No address associated", "the host name has no address (DNS); check the URL"),
    ("Temporary failure in name resolution", "DNS lookup failed; is the network up?"),
    ("getaddrinfo failed", "DNS lookup failed; is the network up?"),
)


def _host(url: str) -> str:
    """The host (and a non-default port) a URL asks, as a message names it."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return url
    default = {"http": 80, "https": 443}.get(parsed.scheme)
    port = f":{parsed.port}" if parsed.port not in (None, default) else ""
    return f"{parsed.host}{port}" if parsed.host else url


def _cannot_connect(exc: httpx.ConnectError, url: str) -> str:
    """A connection failure naming the host, DNS failures said in words."""
    reason = _reason(exc)
    for marker, meaning in _DNS:
        if marker in reason:
            return f"cannot resolve {_host(url)}: {meaning} ({reason})"
    return f"cannot connect to {_host(url)}: {reason}"
