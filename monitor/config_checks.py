"""Checks of single configuration values, for config.py: each returns what is wrong, or None.

Pure functions on plain values, so the parser in config.py only decides *where* a
problem is (file, line, table) and these decide *what* is allowed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .urls import url_problem

_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric setting: ``low`` to ``high``, whole numbers if ``whole``."""

    low: float
    high: float
    whole: bool = False

    def problem(self, value: int | float) -> str | None:
        kind = "a whole number" if self.whole else "a number"
        allowed = f"{kind} from {_num(self.low)} to {_num(self.high)}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be {allowed}, got {value!r}"
        if self.whole and not float(value).is_integer():
            return f"must be {allowed}, got {value!r}"
        if not self.low <= value <= self.high:
            return f"must be {allowed}, got {value!r}"
        return None


def _num(value: float) -> str:
    return f"{int(value):,}".replace(",", "_") if float(value).is_integer() else f"{value:g}"


def email_problem(value: str) -> str | None:
    """Why ``value`` is not one email address (``a@b.example`` or ``Name <a@b.example>``)."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "contains a line break or control character"
    from email.utils import parseaddr  # email and socket: only for an [email] table

    name, address = parseaddr(value)
    if not address or address.count("@") != 1:
        return "is not an email address (user@domain)"
    local, domain = address.split("@")
    if not _LOCAL_PART.match(local) or local.startswith(".") or ".." in local:
        return f"has an invalid part before the @: {local!r}"
    if host_name_problem(domain) is not None or "." not in domain:
        return f"has an invalid domain {domain!r}"
    return None


def host_name_problem(value: str) -> str | None:
    """Why ``value`` is not a DNS host name (``policies.example.com``) or IP address."""
    name = value.rstrip(".")
    if not name or len(name) > 253:
        return "is not a host name"
    if url_problem(f"http://{name}/") is not None:
        return "is not a valid host name"
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return "is not a valid host name"
    if not all(_LABEL.match(label) for label in ascii_name.split(".")):
        return "is not a host name (letters, digits and '-', dot-separated)"
    return None
