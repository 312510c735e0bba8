"""What makes a URL fetchable, one URL equal to another, and a redirect acceptable.

Shared by config.py (the configured URLs, checked once at load) and fetch.py (every
redirect target, checked before it is followed), so a URL that would crash the HTTP
stack — a port above 65535, a malformed internationalised name — is refused with a
message instead of an exception, wherever it comes from. No I/O: nothing is resolved.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched (scheme, host, port, IDNA), or ``None`` when it can."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        return "contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # "Port out of range 0-65535", "Port could not be cast ..."
        return f"has an invalid port ({exc})"
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        return "is not an http(s) URL"
    if not parts.hostname:
        return "has no host name"
    if port == 0:
        return "has port 0 (allowed: 1-65535)"
    if len(url) <= _MAX_PLAIN and url.isascii() and _plain_host(parts.netloc):
        return None  # what httpx accepts as is: the usual case, decided without loading it
    import httpx

    try:
        _ = httpx.URL(url).host  # decoding the host checks its IDNA labels (``xn--``)
    except (httpx.InvalidURL, ValueError) as exc:  # idna.IDNAError is a ValueError
        return f"has an invalid host name {parts.hostname!r} ({exc})"
    return None


# An ASCII URL (of at most httpx's length) whose authority is a plain DNS name starting
# with a letter (letters, digits, hyphens, dots; no user info, no ``xn--`` label) or a
# valid dotted-quad IPv4 address, and maybe a port: httpx only lower-cases such a host (or
# checks the address as here), so it cannot fail there. Anything else is left to httpx.
_MAX_PLAIN = 65536
_PLAIN_NETLOC = re.compile(r"(?i)(?!xn--)[a-z][a-z0-9-]*(?:\.(?!xn--)[a-z0-9-]+)*\.?(?::[0-9]+)?\Z")
_IPV4_NETLOC = re.compile(r"([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)(?::[0-9]+)?\Z")


def _plain_host(netloc: str) -> bool:
    if _PLAIN_NETLOC.match(netloc):
        return True
    quad = _IPV4_NETLOC.match(netloc)
    if quad is None:
        return False
    try:
        ipaddress.IPv4Address(quad.group(1))
    except ValueError:
        return False
    return True


def normalise_url(url: str) -> str:
    """``url`` as compared for duplicates: scheme and host lower-cased, default port and
    fragment dropped, an empty path written ``/``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username is not None:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def private_host(host: str) -> str | None:
    """What kind of non-public address ``host`` is (``loopback``, ``private``, ...), or None.

    Judged from the name alone: IP literals by their range, ``localhost`` and names under
    ``.localhost``/``.local``/``.internal``/``.home.arpa`` as local. Names are not resolved.
    """
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(_LOCAL_SUFFIXES):
        return "local host name"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("loopback", "private", "link_local", "multicast", "unspecified", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None


def redirect_problem(origin: str, target: str, allowed: tuple[str, ...] = ()) -> str | None:
    """Why a document configured at ``origin`` must not follow a redirect to ``target``.

    Allowed: valid http(s) URLs on the same site as ``origin`` (``same_site``) or on a
    host listed in ``allowed``. Refused: invalid URLs, other sites, and private or
    loopback addresses unless ``origin`` is itself private (an intranet page).
    """
    problem = url_problem(target)
    if problem is not None:
        return f"the URL {problem}"
    source = urlsplit(origin).hostname or ""
    host = urlsplit(target).hostname or ""
    if host_allowed(host, allowed):
        return None
    kind = private_host(host)
    if kind is not None and private_host(source) is None:
        return f"{host} is a {kind} address and {source} is public"
    if not same_site(source, host):
        return (
            f"{host} is another site than {source}; list it in [monitor] "
            "allow_redirect_hosts to follow it"
        )
    return None


def same_site(host: str, other: str) -> bool:
    """Whether ``other`` is ``host`` or a sub/parent domain of it (``example.com`` and
    ``www.example.com``, ``policies.example.com``), ignoring case and a leading ``www.``.
    IP addresses are the same site only as themselves."""
    a, b = _bare(host), _bare(other)
    if a == b:
        return True
    if _is_ip(a) or _is_ip(b):
        return False
    return a.endswith("." + b) and "." in b or b.endswith("." + a) and "." in a


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether ``host`` is listed in ``allowed`` (an entry also covers its subdomains)."""
    name = host.lower().rstrip(".")
    return any(name == a or name.endswith("." + a) for a in (x.lower() for x in allowed))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _bare(host: str) -> str:
    name = host.lower().rstrip(".")
    return name[4:] if name.startswith("www.") else name
