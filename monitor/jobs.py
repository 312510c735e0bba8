"""The check jobs and the digest trigger of a configuration: what ``tosmon run`` schedules
and ``tosmon status`` shows as next runs (pure: no database, no scheduler threads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from .cron import Cron
from .errors import ConfigError
from .model import Config, DocumentConfig
from .triggers import parse_cron, parse_digest, parse_timezone


@dataclass(frozen=True)
class CheckJob:
    """One check schedule and the documents that follow it."""

    id: str
    expression: str
    trigger: Cron  # APScheduler's: ``trigger.trigger()``
    documents: tuple[DocumentConfig, ...]


def timezone_of(config: Config) -> tzinfo:
    try:
        return parse_timezone(config.schedule.timezone)
    except ValueError as exc:  # config.py validates; this guards hand-built configs
        raise ConfigError(f"{config.path}: [schedule]: `timezone`: {exc}") from None


def check_jobs(config: Config, jitter: bool = True) -> list[CheckJob]:
    """The check jobs of ``config``: the default schedule first, then each override."""
    tz = timezone_of(config)
    groups: dict[str, list[DocumentConfig]] = {}
    for doc in config.documents():
        groups.setdefault(doc.schedule or config.schedule.check, []).append(doc)
    jobs = []
    for n, (expr, docs) in enumerate(groups.items()):
        try:
            trigger = parse_cron(expr, tz, config.schedule.jitter if jitter else 0)
        except ValueError as exc:
            where = "[schedule]: `check`"
            if expr != config.schedule.check:
                where = f"[providers.{docs[0].provider}.documents.{docs[0].id}]: `schedule`"
            raise ConfigError(f"{config.path}: {where}: {exc}") from None
        job_id = "check" if expr == config.schedule.check else f"check-{n}"
        jobs.append(CheckJob(job_id, expr, trigger, tuple(docs)))
    return jobs


def digest_trigger(config: Config) -> Cron:
    try:
        return parse_digest(config.schedule.digest, timezone_of(config))
    except ValueError as exc:
        raise ConfigError(f"{config.path}: [schedule]: `digest`: {exc}") from None
