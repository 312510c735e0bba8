"""Reading values out of raw TOML tables, for config.py: types, ranges, names, the line.

``TableReader`` knows *where* a value is (file, table, line) and raises a ``ConfigError``
saying so; config_checks.py and urls.py decide *what* is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import soupsieve

from .config_checks import Range, email_problem, host_name_problem
from .errors import ConfigError
from .runtime import selector_engine_problem
from .urls import url_problem


class TableReader:
    """Reads values of raw TOML tables, raising a ConfigError with file and line on a fault."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, where: str, message: str) -> ConfigError:
        line = self._line_of(where)
        at = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(f"{at}: [{where}]: {message}")

    def _line_of(self, where: str) -> int | None:
        """Best-effort line of the table header (or dotted key) for ``where``."""
        parts = where.split(".")
        for n in range(len(parts), 0, -1):
            header = ".".join(parts[:n])
            for i, line in enumerate(self.lines, 1):
                stripped = line.strip()
                if stripped in (f"[{header}]", f"[[{header}]]"):
                    return i
        return None

    def table(self, raw: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise self.fail(
                where,
                f"unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(allowed))}",
            )
        return raw

    def get(
        self,
        raw: Mapping[str, Any],
        key: str,
        where: str,
        kind: type | tuple[type, ...],
        default: Any = None,
        required: bool = False,
    ) -> Any:
        if key not in raw:
            if required:
                raise self.fail(where, f"`{key}` is missing")
            return default
        value = raw[key]
        if isinstance(value, bool) and kind is not bool:
            raise self.fail(where, f"`{key}` must be {_kind_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise self.fail(where, f"`{key}` must be {_kind_name(kind)}, got {value!r}")
        return value

    def strings(
        self, raw: Mapping[str, Any], key: str, where: str, required: bool = False
    ) -> tuple[str, ...]:
        value = self.get(raw, key, where, (list, str), default=[], required=required)
        items = [value] if isinstance(value, str) else value
        if not all(isinstance(v, str) and v.strip() for v in items):
            raise self.fail(where, f"`{key}` must be a list of non-empty strings")
        if required and not items:
            raise self.fail(where, f"`{key}` must list at least one entry")
        return tuple(items)

    def selectors(
        self, raw: Mapping[str, Any], key: str, where: str, required: bool = False
    ) -> tuple[str, ...]:
        values = self.strings(raw, key, where, required)
        for sel in values:
            try:
                soupsieve.compile(sel)
            except Exception as exc:  # soupsieve raises several types for bad syntax
                if (problem := selector_engine_problem()) is not None:
                    raise ConfigError(problem) from None  # the Python is at fault, not `sel`
                raise self.fail(
                    where, f"`{key}` has an invalid CSS selector {sel!r}: {exc}"
                ) from None
        return values

    def patterns(self, values: tuple[str, ...], key: str, where: str) -> tuple[str, ...]:
        for pat in values:
            try:
                re.compile(pat)
            except re.error as exc:
                raise self.fail(
                    where, f"`{key}` has an invalid regular expression {pat!r}: {exc}"
                ) from None
        return values

    def number(
        self,
        raw: Mapping[str, Any],
        key: str,
        where: str,
        default: float,
        allowed: Range,
    ) -> Any:
        """A finite number within ``allowed`` (an int for whole-number settings)."""
        value = self.get(raw, key, where, (int, float), default=default)
        problem = allowed.problem(value)
        if problem is not None:
            raise self.fail(where, f"`{key}` {problem}")
        return int(value) if allowed.whole else float(value)

    def hosts(self, raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        values = self.strings(raw, key, where)
        for host in values:
            problem = host_name_problem(host)
            if problem is not None:
                raise self.fail(where, f"`{key}`: {host!r} {problem}")
        return tuple(h.lower().rstrip(".") for h in values)

    def addresses(self, values: tuple[str, ...], key: str, where: str) -> tuple[str, ...]:
        for address in values:
            problem = email_problem(address)
            if problem is not None:
                raise self.fail(where, f"`{key}`: {address!r} {problem}")
        return values

    def check_url(self, url: str, where: str, key: str) -> None:
        problem = url_problem(url)
        if problem == "is not an http(s) URL":
            raise self.fail(where, f"`{key}` must be an http(s) URL, got {url!r}")
        if problem is not None:
            raise self.fail(where, f"`{key}` {url!r} {problem}; it must be an http(s) URL")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "a table",
        bool: "true or false",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)
