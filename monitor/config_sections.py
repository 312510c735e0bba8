"""The settings tables of sources.toml (``[archive]``, ``[schedule]``, ``[email]``), for
config.py: each read into its frozen type of model.py, every problem reported (see
``TableReader``) and replaced by the default so that the rest of the file is checked too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .archive import ARCHIVE_KINDS, template_problem
from .config_checks import Range, host_name_problem
from .config_reader import TableReader
from .model import ALERT_LEVELS, SECURITY, ArchiveSettings, EmailSettings, ScheduleSettings
from .urls import private_host

log = logging.getLogger("monitor.config")


class SectionReader(TableReader):
    """Reads the settings tables; config.py's parser adds the providers and documents."""

    def archive(self, raw: Any) -> ArchiveSettings:
        w = "archive"
        keys = {"wayback_url", "rate", "retries", "timeout", "kind", "cdx_url", "capture_url"}
        archive = self.table(raw, w, keys)
        url = self.get(archive, "wayback_url", w, str, default="https://web.archive.org")
        self.check_url(url, w, "wayback_url")
        kind = self.get(archive, "kind", w, str, default="wayback")
        if kind not in ARCHIVE_KINDS:
            self.problem(w, f"`kind` must be one of {', '.join(ARCHIVE_KINDS)}, got {kind!r}")
            kind = "wayback"
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
            self.problem("archive", f"`{key}` {problem}: {value!r}")
            return None
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
            self.problem(w, f"`timezone`: {exc}")
            tz = parse_timezone("UTC")
        for key, parse in (("check", parse_cron), ("digest", parse_digest)):
            try:
                parse(getattr(settings, key), tz)
            except ValueError as exc:
                self.problem(w, f"`{key}`: {exc}")
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
            self.problem(w, f"`security` must be one of {', '.join(SECURITY)}, got {security!r}")
            security = "starttls"
        alerts = self.get(email, "alerts", w, str, default="high")
        if alerts not in ALERT_LEVELS:
            self.problem(w, f"`alerts` must be one of {', '.join(ALERT_LEVELS)}, got {alerts!r}")
            alerts = "high"
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
        provider_to: dict[str, tuple[str, ...]] = {}
        subs = self.attempt(
            dict[str, Any](),
            self.table,
            email.get("providers", {}),
            "email.providers",
            provider_ids,
        )
        for pid, sub in subs.items():
            provider_to[pid] = self.attempt((), self.recipients, sub, pid)
        sender = self.attempt(None, self.get, email, "from", w, str, required=True)
        senders = (sender,) if sender is not None else ()
        settings = EmailSettings(
            smtp_host=self.attempt("", self.get, email, "smtp_host", w, str, required=True),
            smtp_port=self.number(email, "smtp_port", w, default_port, Range(1, 65535, True)),
            security=security,
            sender=(self.addresses(senders, "from", w) or ("",))[0],
            to=self.addresses(
                self.attempt((), self.strings, email, "to", w, required=True), "to", w
            ),
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
        if settings.smtp_host and host_problem is not None:
            self.problem(w, f"`smtp_host`: {settings.smtp_host!r} {host_problem}")
        self.warn_plaintext_auth(settings)
        return settings

    def recipients(self, sub: Any, pid: str) -> tuple[str, ...]:
        """``[email.providers.ID] to``: the addresses told about that provider alone."""
        where = f"email.providers.{pid}"
        to = self.strings(self.table(sub, where, {"to"}), "to", where, True)
        return self.addresses(to, "to", where)

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
