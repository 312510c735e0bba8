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
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC
from pathlib import Path
from typing import Any

from .archive import ARCHIVE_KINDS, template_problem
from .config_checks import Range, host_name_problem
from .config_reader import TableReader
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
from .urls import normalise_url, private_host

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
    config = _Parser(path, text).config(raw, database)
    if not config.documents():
        raise ConfigError(
            f"{path}: no documents configured{' (the file is empty)' if not raw else ''}; "
            "add at least one [providers.ID.documents.DOC] table with `url` and `select` "
            "(see README: sources.toml reference)"
        )
    return config


class _Parser(TableReader):
    """Walks the raw TOML tables of sources.toml into a ``Config`` (see ``TableReader``)."""

    # -- the tables -------------------------------------------------------------------

    def config(self, raw: dict[str, Any], database: str | None) -> Config:
        self.table(
            raw, "top level", {"monitor", "archive", "schedule", "email", "providers", "clauses"}
        )
        monitor = self.table(
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
        custom = self.custom_clauses(raw.get("clauses", {}))
        providers = self.providers(raw.get("providers", {}), custom, self.alert_rules(monitor))
        return Config(
            path=self.path,
            database=db,
            fetch=self.fetch(monitor),
            archive=self.archive(raw.get("archive", {})),
            schedule=self.schedule(raw.get("schedule", {})),
            providers=providers,
            email=self.email(raw["email"], {p.id for p in providers}) if "email" in raw else None,
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

    def archive(self, raw: Any) -> ArchiveSettings:
        w = "archive"
        keys = {"wayback_url", "rate", "retries", "timeout", "kind", "cdx_url", "capture_url"}
        archive = self.table(raw, w, keys)
        url = self.get(archive, "wayback_url", w, str, default="https://web.archive.org")
        self.check_url(url, w, "wayback_url")
        kind = self.get(archive, "kind", w, str, default="wayback")
        if kind not in ARCHIVE_KINDS:
            raise self.fail(w, f"`kind` must be one of {', '.join(ARCHIVE_KINDS)}, got {kind!r}")
        return ArchiveSettings(
            wayback_url=url.rstrip("/"),
            rate=self.number(archive, "rate", w, 1.0, Range(0.001, 1_000_000)),
            retries=self.number(archive, "retries", w, 4, Range(0, 20, True)),
            timeout=self.number(archive, "timeout", w, 60.0, Range(0.1, 3600)),
            kind=kind,
            cdx_url=self.template(archive, "cdx_url", (), ("url",)),
            capture_url=self.template(archive, "capture_url", ("timestamp", "url"), ()),
        )

    def template(
        self, raw: Mapping[str, Any], key: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> str | None:
        """An ``[archive]`` URL template, checked for its placeholders."""
        value: str | None = self.get(raw, key, "archive", str)
        if value is None:
            return None
        problem = template_problem(value, required, required + optional)
        if problem is not None:
            raise self.fail("archive", f"`{key}` {problem}: {value!r}")
        return value

    def schedule(self, raw: Any) -> ScheduleSettings:
        w = "schedule"
        sched = self.table(raw, w, {"check", "digest", "timezone", "jitter"})
        settings = ScheduleSettings(
            check=self.get(sched, "check", w, str, default="0 6 * * *"),
            digest=self.get(sched, "digest", w, str, default="mon 08:00"),
            timezone=self.get(sched, "timezone", w, str, default="UTC"),
            jitter=self.number(sched, "jitter", w, 60, Range(0, 86400, True)),
        )
        from .triggers import parse_cron, parse_digest, parse_timezone  # the grammar lives there

        try:
            tz = parse_timezone(settings.timezone)
        except ValueError as exc:
            raise self.fail(w, f"`timezone`: {exc}") from None
        for key, parse in (("check", parse_cron), ("digest", parse_digest)):
            try:
                parse(getattr(settings, key), tz)
            except ValueError as exc:
                raise self.fail(w, f"`{key}`: {exc}") from None
        return settings

    def email(self, raw: Any, provider_ids: set[str]) -> EmailSettings:
        w = "email"
        email = self.table(
            raw,
            w,
            {
                "smtp_host",
                "smtp_port",
                "security",
                "username",
                "password_env",
                "from",
                "to",
                "alerts",
                "providers",
                "timeout",
                "max_message_bytes",
            },
        )
        security = self.get(email, "security", w, str, default="starttls")
        if security not in SECURITY:
            raise self.fail(w, f"`security` must be one of {', '.join(SECURITY)}, got {security!r}")
        alerts = self.get(email, "alerts", w, str, default="high")
        if alerts not in ALERT_LEVELS:
            raise self.fail(w, f"`alerts` must be one of {', '.join(ALERT_LEVELS)}, got {alerts!r}")
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
        provider_to: dict[str, tuple[str, ...]] = {}
        for pid, sub in self.table(
            email.get("providers", {}), "email.providers", provider_ids
        ).items():
            where = f"email.providers.{pid}"
            to = self.strings(self.table(sub, where, {"to"}), "to", where, True)
            provider_to[pid] = self.addresses(to, "to", where)
        settings = EmailSettings(
            smtp_host=self.get(email, "smtp_host", w, str, required=True),
            smtp_port=self.number(email, "smtp_port", w, default_port, Range(1, 65535, True)),
            security=security,
            sender=self.addresses((self.get(email, "from", w, str, required=True),), "from", w)[0],
            to=self.addresses(self.strings(email, "to", w, required=True), "to", w),
            username=self.get(email, "username", w, str),
            password_env=self.get(email, "password_env", w, str),
            alerts=alerts,
            provider_to=provider_to,
            timeout=self.number(email, "timeout", w, 30.0, Range(0.1, 3600)),
            max_message_bytes=self.number(
                email, "max_message_bytes", w, 1_000_000, Range(10_000, 100_000_000, True)
            ),
        )
        host_problem = host_name_problem(settings.smtp_host)
        if host_problem is not None:
            raise self.fail(w, f"`smtp_host`: {settings.smtp_host!r} {host_problem}")
        self.warn_plaintext_auth(settings)
        return settings

    def warn_plaintext_auth(self, settings: EmailSettings) -> None:
        """A password sent unencrypted over the network deserves a warning (not an error:
        some relays on a trusted network want it); a relay on this machine does not."""
        if (
            settings.security == "none"
            and settings.username
            and not private_host(settings.smtp_host)
        ):
            log.warning(
                '%s: [email]: security = "none" with a username sends the SMTP password '
                'unencrypted to %s; use security = "starttls" or "ssl"',
                self.path,
                settings.smtp_host,
            )

    def custom_clauses(self, raw: Any) -> tuple[ClauseDefinition, ...]:
        out = []
        for key, sub in self.table(
            raw, "clauses", set(raw) if isinstance(raw, dict) else set()
        ).items():
            where = f"clauses.{key}"
            if not _ID.match(key) or key in BUILTIN_CLAUSES:
                raise self.fail(
                    where,
                    "a custom clause key must be lower-case letters, digits, "
                    "'-' or '_' and differ from the built-in keys "
                    f"({', '.join(BUILTIN_CLAUSES)})",
                )
            sub = self.table(sub, where, {"patterns", "headings"})
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
                raise self.fail(
                    where, "provider ids must be lower-case letters, digits, '-' or '_'"
                )
            p = self.table(praw, where, {"name", "documents"})
            name = self.get(p, "name", where, str, default=pid)
            docs = []
            for did, d in self.documents_table(p.get("documents", {}), where).items():
                doc = self.document(pid, name, did, d, custom, rules)
                same = normalise_url(doc.url)
                if same in seen_urls:
                    raise self.fail(
                        f"{where}.documents.{did}",
                        f"the url {doc.url} is already watched by {seen_urls[same]}; "
                        "each url may appear once (compared without the #fragment, "
                        "ignoring the case of scheme and host and a default port)",
                    )
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
    ) -> DocumentConfig:
        where = f"providers.{pid}.documents.{did}"
        clause_keys = set(BUILTIN_CLAUSES) | {c.key for c in custom}
        if not _ID.match(did):
            raise self.fail(where, "document ids must be lower-case letters, digits, '-' or '_'")
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
        url = self.get(d, "url", where, str, required=True)
        self.check_url(url, where, "url")
        tier = self.get(d, "tier", where, str)
        if tier is not None and tier not in TIERS:
            raise self.fail(where, f"`tier` must be one of {', '.join(TIERS)}, got {tier!r}")
        return DocumentConfig(
            provider=pid,
            id=did,
            name=self.get(d, "name", where, str, default=did),
            provider_name=pname,
            url=url,
            select=self.selectors(d, "select", where, required=True),
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

    def document_schedule(self, d: dict[str, Any], where: str) -> str | None:
        """A per-document cron override, checked here so `sources validate` catches it."""
        from .triggers import parse_cron

        schedule: str | None = self.get(d, "schedule", where, str)
        if schedule is not None:
            try:
                parse_cron(schedule, UTC)
            except ValueError as exc:
                raise self.fail(where, f"`schedule`: {exc}") from None
        return schedule

    def clause_rules(self, raw: Any, where: str, clause_keys: set[str]) -> tuple[ClauseRule, ...]:
        rules = []
        for key, sub in self.table(raw, where, clause_keys).items():
            w = f"{where}.{key}"
            sub = self.table(sub, w, {"select", "heading"})
            select = self.selectors(sub, "select", w)
            heading = self.get(sub, "heading", w, str)
            if heading is not None:
                self.patterns((heading,), "heading", w)
            if not select and heading is None:
                raise self.fail(w, 'give `select = ["css", ...]` or `heading = "regex"`')
            if select and heading is not None:
                raise self.fail(w, "give either `select` or `heading`, not both")
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
