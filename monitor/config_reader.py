"""Reading values out of raw TOML tables, for config.py: types, ranges, names, the line.

``TableReader`` knows *where* a value is (file, table, line) and says so in each problem;
config_checks.py and urls.py decide *what* is allowed. A value that is wrong is *reported*
(``problems``) and replaced by its default so that reading goes on: one run lists every
problem of the file. What reading cannot go on without (a missing required value, a
table that is not a table) raises the ``ConfigError``; the caller reports it with
``attempt`` and skips that part.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from .config_cache import KnownSelectors
from .config_checks import Range, email_problem, host_name_problem
from .errors import ConfigError
from .urls import url_problem

T = TypeVar("T")


class TableReader:
    """Reads values of raw TOML tables, noting each problem with file and line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.problems: list[str] = []  # in the order found, each once
        self.known = KnownSelectors()  # selectors compiled before (config_cache.py)

    def report(self, error: ConfigError) -> None:
        if str(error) not in self.problems:
            self.problems.append(str(error))

    def problem(self, where: str, message: str) -> None:
        self.report(self.fail(where, message))

    def attempt(self, fallback: T, read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``read(*args, **kwargs)``, or ``fallback`` with the problem that stopped it reported."""
        try:
            return read(*args, **kwargs)
        except ConfigError as exc:
            self.report(exc)
            return fallback

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
        """The table's allowed keys (each unknown key reported)."""
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        for key in sorted(set(raw) - allowed):
            self.problem(where, f"unknown key {key!r}; allowed keys: {', '.join(sorted(allowed))}")
        return {k: v for k, v in raw.items() if k in allowed}

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
        wrong = None
        if isinstance(value, bool) and kind is not bool:
            wrong = f"`{key}` must be {_kind_name(kind)}, not a boolean"
        elif not isinstance(value, kind):
            wrong = f"`{key}` must be {_kind_name(kind)}, got {value!r}"
        if wrong is None:
            return value
        if required:
            raise self.fail(where, wrong)
        self.problem(where, wrong)
        return default

    def strings(
        self, raw: Mapping[str, Any], key: str, where: str, required: bool = False
    ) -> tuple[str, ...]:
        value = self.get(raw, key, where, (list, str), default=[], required=required)
        items = [value] if isinstance(value, str) else value
        if not all(isinstance(v, str) and v.strip() for v in items):
            if required:
                raise self.fail(where, f"`{key}` must be a list of non-empty strings")
            self.problem(where, f"`{key}` must be a list of non-empty strings")
            return ()
        if required and not items:
            raise self.fail(where, f"`{key}` must list at least one entry")
        return tuple(items)

    def selectors(
        self, raw: Mapping[str, Any], key: str, where: str, required: bool = False
    ) -> tuple[str, ...]:
        values = self.strings(raw, key, where, required)
        valid = []
        for sel in values:
            if sel in self.known:
                valid.append(sel)
                continue
            import soupsieve  # loaded only for a selector not compiled before

            try:
                soupsieve.compile(sel)
            except Exception as exc:  # soupsieve raises several types for bad syntax
                from .runtime import selector_engine_problem

                if (problem := selector_engine_problem()) is not None:
                    self.report(ConfigError(problem))  # the Python is at fault, not `sel`
                else:
                    self.problem(where, f"`{key}` has an invalid CSS selector {sel!r}: {exc}")
                continue
            self.known.learn(sel)
            valid.append(sel)
        return tuple(valid)

    def patterns(self, values: tuple[str, ...], key: str, where: str) -> tuple[str, ...]:
        valid = []
        for pat in values:
            try:
                re.compile(pat)
            except re.error as exc:
                self.problem(where, f"`{key}` has an invalid regular expression {pat!r}: {exc}")
                continue
            valid.append(pat)
        return tuple(valid)

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
            self.problem(where, f"`{key}` {problem}")
            value = default
        return int(value) if allowed.whole else float(value)

    def hosts(self, raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        values = self.strings(raw, key, where)
        valid = []
        for host in values:
            problem = host_name_problem(host)
            if problem is not None:
                self.problem(where, f"`{key}`: {host!r} {problem}")
            else:
                valid.append(host.lower().rstrip("."))
        return tuple(valid)

    def addresses(self, values: tuple[str, ...], key: str, where: str) -> tuple[str, ...]:
        valid = []
        for address in values:
            problem = email_problem(address)
            if problem is not None:
                self.problem(where, f"`{key}`: {address!r} {problem}")
            else:
                valid.append(address)
        return tuple(valid)

    def check_url(self, url: str, where: str, key: str) -> bool:
        """Whether ``url`` is a usable http(s) URL (else the problem is reported)."""
        problem = url_problem(url)
        if problem == "is not an http(s) URL":
            self.problem(where, f"`{key}` must be an http(s) URL, got {url!r}")
        elif problem is not None:
            self.problem(where, f"`{key}` {url!r} {problem}; it must be an http(s) URL")
        return problem is None


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
