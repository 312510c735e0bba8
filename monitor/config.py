"""sources.toml → the frozen dataclasses of model.py. All validation of user configuration
happens here (reading values: config_reader.py; what a value may be: config_checks.py, urls.py).

Nothing below this module sees a raw dict: the rest of the package receives a
``Config`` whose values are typed, defaulted and checked. Every problem raises
``ConfigError`` with one message that names the file (and the line where it can be
found), the provider/document concerned, and what is allowed.

The types themselves live in model.py (stages import them from there); they are
re-exported here so ``from monitor.config import DocumentConfig`` keeps working.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

from .config_cache import KnownSelectors
from .config_checks import Range
from .config_sections import SectionReader
from .errors import ConfigError
from .model import (
    ALERT_LEVELS,
    BUILTIN_CLAUSES,
    DEFAULT_USER_AGENT,
    SECURITY,
    TIERS,
    AlertRules,
    ArchiveSettings,
    ClauseDefinition,
    ClauseRule,
    Config,
    ContentSettings,
    DocumentConfig,
    EmailSettings,
    FetchSettings,
    ProviderConfig,
    ScheduleSettings,
)
from .urls import normalise_url

__all__ = [
    "ALERT_LEVELS",
    "BUILTIN_CLAUSES",
    "DEFAULT_USER_AGENT",
    "SECURITY",
    "TIERS",
    "AlertRules",
    "ArchiveSettings",
    "ClauseDefinition",
    "ClauseRule",
    "Config",
    "ContentSettings",
    "DocumentConfig",
    "EmailSettings",
    "FetchSettings",
    "ProviderConfig",
    "ScheduleSettings",
    "load_config",
    "resolve_sqlite_path",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
log = logging.getLogger(__name__)


def load_config(path: str | Path, database: str | None = None) -> Config:
    """Read and validate ``path``; ``database`` (from --db / TOSMON_DB) overrides the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a UTF-8 BOM (Windows editors) is fine
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found (pass --config PATH or set TOSMON_CONFIG; "
            "`tosmon init` writes a starter one)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    parser = _Parser(path, text)
    config = parser.attempt(None, parser.config, raw, database)
    if parser.problems:
        raise _all_of(path, parser.problems)
    assert config is not None  # no problem reported: the whole file was read
    if not config.documents():
        raise ConfigError(
            f"{path}: no documents configured{' (the file is empty)' if not raw else ''}; "
            "add at least one [providers.ID.documents.DOC] table with `url` and `select` "
            "(see README: sources.toml reference)"
        )
    parser.known.save()  # the selectors compiled this time, for the next command
    return config


def _all_of(path: Path, problems: list[str]) -> ConfigError:
    """One error telling every problem of the file in the order of its lines, one problem
    per entry (a lone problem as it is)."""
    if len(problems) == 1:
        return ConfigError(problems[0])
    at_line = re.compile(re.escape(f"{path}:") + r"(\d+): ")

    def line(problem: str) -> int:
        m = at_line.match(problem)
        return int(m.group(1)) if m else 1 << 30

    entries = "\n".join("  " + p.replace("\n", "\n    ") for p in sorted(problems, key=line))
    return ConfigError(f"{path}: {len(problems)} problems to fix:\n{entries}")


class _Parser(SectionReader):
    """Walks the raw TOML tables of sources.toml into a ``Config`` (see ``TableReader``)."""

    # -- the tables -------------------------------------------------------------------

    def config(self, raw: dict[str, Any], database: str | None) -> Config:
        self.table(
            raw, "top level", {"monitor", "archive", "schedule", "email", "providers", "clauses"}
        )
        monitor = self.attempt(
            dict[str, Any](),
            self.table,
            raw.get("monitor", {}),
            "monitor",
            {
                "database",
                "user_agent",
                "concurrency",
                "per_host",
                "timeout",
                "retries",
                "backoff",
                "max_bytes",
                "max_redirects",
                "allow_redirect_hosts",
                "suspect_confirmations",
                "max_text_bytes",
                "revert_window",
                "revert_days",
                "alert_after_failures",
            },
        )
        db = database or self.get(
            monitor, "database", "monitor", str, default="sqlite:///tosmon.db"
        )
        if database is None:
            db = resolve_sqlite_path(db, self.path.parent)
        self.known = KnownSelectors.beside(db)
        custom = self.attempt(
            tuple[ClauseDefinition, ...](), self.custom_clauses, raw.get("clauses", {})
        )
        rules = self.alert_rules(monitor)
        providers = self.attempt(
            tuple[ProviderConfig, ...](), self.providers, raw.get("providers", {}), custom, rules
        )
        email = None
        if "email" in raw:
            email = self.attempt(None, self.email, raw["email"], {p.id for p in providers})
        return Config(
            path=self.path,
            database=db,
            fetch=self.fetch(monitor),
            archive=self.attempt(ArchiveSettings(), self.archive, raw.get("archive", {})),
            schedule=self.attempt(ScheduleSettings(), self.schedule, raw.get("schedule", {})),
            providers=providers,
            email=email,
            custom_clauses=custom,
            content=ContentSettings(
                suspect_confirmations=self.number(
                    monitor, "suspect_confirmations", "monitor", 2, Range(1, 100, True)
                ),
                max_text_bytes=self.number(
                    monitor,
                    "max_text_bytes",
                    "monitor",
                    2_000_000,
                    Range(1000, 2_000_000_000, True),
                ),
            ),
        )

    def fetch(self, monitor: dict[str, Any]) -> FetchSettings:
        w = "monitor"
        return FetchSettings(
            user_agent=self.get(monitor, "user_agent", w, str, default=DEFAULT_USER_AGENT),
            concurrency=self.number(monitor, "concurrency", w, 8, Range(1, 1000, True)),
            per_host=self.number(monitor, "per_host", w, 2, Range(1, 1000, True)),
            timeout=self.number(monitor, "timeout", w, 30.0, Range(0.1, 3600)),
            retries=self.number(monitor, "retries", w, 3, Range(0, 20, True)),
            backoff=self.number(monitor, "backoff", w, 1.0, Range(0, 3600)),
            max_bytes=self.number(
                monitor, "max_bytes", w, 20_000_000, Range(1024, 2_000_000_000, True)
            ),
            max_redirects=self.number(monitor, "max_redirects", w, 5, Range(0, 50, True)),
            allow_redirect_hosts=self.hosts(monitor, "allow_redirect_hosts", w),
        )

    def alert_rules(self, monitor: dict[str, Any]) -> AlertRules:
        w = "monitor"
        return AlertRules(
            revert_window=self.number(monitor, "revert_window", w, 10, Range(1, 1000, True)),
            revert_days=self.number(monitor, "revert_days", w, 30, Range(1, 3650, True)),
            alert_after_failures=self.number(
                monitor, "alert_after_failures", w, 2, Range(1, 1000, True)
            ),
        )

    def custom_clauses(self, raw: Any) -> tuple[ClauseDefinition, ...]:
        out = []
        for key, sub in self.table(
            raw, "clauses", set(raw) if isinstance(raw, dict) else set()
        ).items():
            where = f"clauses.{key}"
            if not _ID.match(key) or key in BUILTIN_CLAUSES:
                self.problem(
                    where,
                    "a custom clause key must be lower-case letters, digits, "
                    "'-' or '_' and differ from the built-in keys "
                    f"({', '.join(BUILTIN_CLAUSES)})",
                )
                continue
            sub = self.attempt(None, self.table, sub, where, {"patterns", "headings"})
            if sub is None:
                continue
            patterns = self.patterns(self.strings(sub, "patterns", where), "patterns", where)
            headings = self.patterns(self.strings(sub, "headings", where), "headings", where)
            out.append(ClauseDefinition(key, patterns, headings))
        return tuple(out)

    def providers(
        self, raw: Any, custom: tuple[ClauseDefinition, ...], rules: AlertRules
    ) -> tuple[ProviderConfig, ...]:
        providers = self.table(raw, "providers", set(raw) if isinstance(raw, dict) else set())
        seen_urls: dict[str, str] = {}
        out = []
        for pid, praw in providers.items():
            where = f"providers.{pid}"
            if not _ID.match(pid):
                self.problem(where, "provider ids must be lower-case letters, digits, '-' or '_'")
            p = self.attempt(dict[str, Any](), self.table, praw, where, {"name", "documents"})
            name = self.get(p, "name", where, str, default=pid)
            docs = []
            tables = self.attempt(
                dict[str, Any](), self.documents_table, p.get("documents", {}), where
            )
            for did, d in tables.items():
                doc = self.attempt(None, self.document, pid, name, did, d, custom, rules)
                if doc is None:
                    continue
                same = normalise_url(doc.url)
                if same in seen_urls:
                    self.problem(
                        f"{where}.documents.{did}",
                        f"the url {doc.url} is already watched by {seen_urls[same]}; "
                        "each url may appear once (compared without the #fragment, "
                        "ignoring the case of scheme and host and a default port)",
                    )
                    continue
                seen_urls[same] = doc.key
                docs.append(doc)
            out.append(ProviderConfig(pid, name, tuple(docs)))
        return tuple(out)

    def documents_table(self, raw: Any, where: str) -> dict[str, Any]:
        """``[providers.ID.documents]``: a table of document tables, one per document id."""
        if not isinstance(raw, dict):
            got = "an array of tables ([[...]])" if isinstance(raw, list) else repr(raw)
            raise self.fail(
                f"{where}.documents",
                f"must be a table of documents, one [{where}.documents.DOC] table each; got {got}",
            )
        return raw

    def document(
        self,
        pid: str,
        pname: str,
        did: str,
        raw: Any,
        custom: tuple[ClauseDefinition, ...],
        rules: AlertRules,
    ) -> DocumentConfig | None:
        """The document, or None without a usable url (its other problems reported too)."""
        where = f"providers.{pid}.documents.{did}"
        clause_keys = set(BUILTIN_CLAUSES) | {c.key for c in custom}
        if not _ID.match(did):
            self.problem(where, "document ids must be lower-case letters, digits, '-' or '_'")
        d = self.table(
            raw,
            where,
            {
                "name",
                "url",
                "select",
                "remove",
                "tier",
                "ignore",
                "clauses",
                "schedule",
                "alert_after_failures",
            },
        )
        url = self.attempt("", self.get, d, "url", where, str, required=True)
        usable = bool(url) and self.check_url(url, where, "url")
        tier = self.get(d, "tier", where, str)
        if tier is not None and tier not in TIERS:
            self.problem(where, f"`tier` must be one of {', '.join(TIERS)}, got {tier!r}")
        document = DocumentConfig(
            provider=pid,
            id=did,
            name=self.get(d, "name", where, str, default=did),
            provider_name=pname,
            url=url,
            select=self.attempt((), self.selectors, d, "select", where, required=True),
            remove=self.selectors(d, "remove", where),
            tier=tier,
            ignore=self.patterns(self.strings(d, "ignore", where), "ignore", where),
            clauses=self.clause_rules(d.get("clauses", {}), f"{where}.clauses", clause_keys),
            schedule=self.document_schedule(d, where),
            custom_clauses=custom,
            alerting=replace(
                rules,
                alert_after_failures=self.number(
                    d,
                    "alert_after_failures",
                    where,
                    rules.alert_after_failures,
                    Range(1, 1000, True),
                ),
            ),
        )
        return document if usable else None

    def document_schedule(self, d: dict[str, Any], where: str) -> str | None:
        """A per-document cron override, checked here so `sources validate` catches it."""
        from .triggers import parse_cron

        schedule: str | None = self.get(d, "schedule", where, str)
        if schedule is not None:
            try:
                parse_cron(schedule, UTC)
            except ValueError as exc:
                self.problem(where, f"`schedule`: {exc}")
        return schedule

    def clause_rules(self, raw: Any, where: str, clause_keys: set[str]) -> tuple[ClauseRule, ...]:
        rules = []
        for key, raw_rule in self.attempt(
            dict[str, Any](), self.table, raw, where, clause_keys
        ).items():
            w = f"{where}.{key}"
            sub = self.attempt(None, self.table, raw_rule, w, {"select", "heading"})
            if sub is None:
                continue
            select = self.selectors(sub, "select", w)
            heading = self.get(sub, "heading", w, str)
            if heading is not None:
                self.patterns((heading,), "heading", w)
            if "select" not in sub and heading is None:
                self.problem(w, 'give `select = ["css", ...]` or `heading = "regex"`')
            if "select" in sub and heading is not None:
                self.problem(w, "give either `select` or `heading`, not both")
            rules.append(ClauseRule(key, select, heading))
        return tuple(rules)


def resolve_sqlite_path(url: str, base: Path) -> str:
    """Make a relative ``sqlite:///file.db`` path relative to ``base`` (sources.toml's folder)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return url
    file = url[len(prefix) :]
    if file.startswith("/") or not file:
        return url
    return prefix + str((base / file).resolve())
