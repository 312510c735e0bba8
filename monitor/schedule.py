"""``tosmon run``: APScheduler 3 in the foreground, until SIGTERM/SIGINT.

Jobs (all in one worker thread, so they never overlap inside the daemon):

* ``check`` — documents without their own ``schedule`` on ``[schedule] check``; one
  more job per distinct document ``schedule``. Each runs the check pipeline (under
  the document locks of ``locks.py``) and then sends pending alerts (``notify``).
* ``digest`` — on ``[schedule] digest``, in ``[schedule] timezone``.

Missed runs (the machine slept, a long job delayed the next) are coalesced into one
run if less than ``MISFIRE_GRACE`` late; ``max_instances=1``; check runs start up to
``[schedule] jitter`` seconds late so a fleet of monitors does not hit a provider at
once. On start, a check job whose documents were last checked before a scheduled
time that has since passed (the daemon was down) runs at once.

Shutdown: the signal sets ``stop``; the running check records what it has fetched
(each document its own transaction), abandons fetches in flight, and the process
exits 0. A second Ctrl-C exits at once (the database stays consistent either way).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import store
from .db import SessionFactory
from .jobs import CheckJob, check_jobs, digest_trigger, timezone_of
from .locks import Locks
from .model import Config, DocumentConfig

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from .pipeline import DocumentReport
from .triggers import next_fire_times

log = logging.getLogger(__name__)

MISFIRE_GRACE = 3600  # seconds a run may start late and still happen (coalesced)


def missed_run(job: CheckJob, last_checks: list[datetime | None], now: datetime) -> bool:
    """Whether a scheduled time of ``job`` passed since its documents were last checked.

    Never-checked documents do not count: a fresh install waits for its schedule.
    """
    known = [t for t in last_checks if t is not None]
    if not known:
        return False
    due = next_fire_times(job.trigger, min(known), 1)
    return bool(due) and due[0] <= now


def last_checks(
    sessions: SessionFactory, docs: tuple[DocumentConfig, ...]
) -> list[datetime | None]:
    """When each document last had a live check attempt (``None``: never)."""
    out: list[datetime | None] = []
    with sessions() as s:
        for doc in docs:
            row = store.find_document(s, doc.provider, doc.id)
            out.append(store.check_health(s, row.id).last_attempt if row else None)
    return out


class Daemon:
    """The scheduler of ``tosmon run`` with its jobs; ``run()`` blocks until ``stop`` is set."""

    def __init__(
        self,
        config: Config,
        sessions: SessionFactory,
        stop: threading.Event | None = None,
        notify: Callable[[Config, SessionFactory], None] | None = None,
        digest: Callable[[Config, SessionFactory], None] | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.stop = stop or threading.Event()
        # the check pipeline, notify and digest load with the daemon, not for `status`
        from .digest import run_digest
        from .notify import notify_after_check

        self.notify = notify or notify_after_check
        self.digest = digest or run_digest
        self.jobs = check_jobs(config)
        self.digest_trigger = digest_trigger(config)
        self.locks: Locks | None = None

    def run(self) -> None:
        tz = timezone_of(self.config)
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(
            timezone=tz,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE,
            },
        )
        now = datetime.now(tz)
        for job in self.jobs:
            extra: dict[str, Any] = {}
            if missed_run(job, last_checks(self.sessions, job.documents), now):
                log.info("%s: a scheduled run was missed while stopped; running now", job.id)
                extra["next_run_time"] = now
            scheduler.add_job(self._check, job.trigger.trigger(), args=(job,), id=job.id, **extra)
        scheduler.add_job(self._digest, self.digest_trigger.trigger(), id="digest")
        with Locks(self.sessions) as self.locks:
            scheduler.start()
            self._log_plan(scheduler)
            while not self.stop.wait(0.5):
                pass
            log.info("stopping: finishing the document in hand")
            scheduler.shutdown(wait=True)
        log.info("stopped")

    def _log_plan(self, scheduler: BackgroundScheduler) -> None:
        for job in self.jobs:
            when = scheduler.get_job(job.id).next_run_time
            log.info(
                "%s: %d document(s) on '%s', next run %s",
                job.id,
                len(job.documents),
                job.expression,
                when.isoformat() if when else "never",
            )
        when = scheduler.get_job("digest").next_run_time
        log.info(
            "digest: on '%s', next run %s",
            self.config.schedule.digest,
            when.isoformat() if when else "never",
        )

    def _check(self, job: CheckJob) -> None:
        if self.stop.is_set():
            return
        log.info("%s: checking %d document(s)", job.id, len(job.documents))
        from .pipeline import check_documents

        try:
            report = asyncio.run(
                check_documents(
                    self.config,
                    self.sessions,
                    job.documents,
                    on_result=log_result,
                    stop=self.stop,
                    locks=self.locks,
                )
            )
        except Exception:
            log.error("%s: the check run failed", job.id, exc_info=True)
            return
        outcomes = [r.outcome for r in report.results]
        log.info(
            "%s: done: %d checked, %d changed, %d failed, %d locked elsewhere%s",
            job.id,
            len(outcomes),
            sum(r.change is not None for r in report.results),
            outcomes.count("error"),
            outcomes.count("locked"),
            " (interrupted)" if self.stop.is_set() else "",
        )
        if not self.stop.is_set():
            self._guarded("notify", self.notify)

    def _digest(self) -> None:
        if not self.stop.is_set():
            self._guarded("digest", self.digest)

    def _guarded(self, name: str, func: Callable[[Config, SessionFactory], None]) -> None:
        """Run a notify/digest stage; a failure is logged and never stops the daemon.

        Those stages serialise their own sending (the ``outbox`` lock of notify.py).
        """
        try:
            func(self.config, self.sessions)
        except Exception:
            log.error("%s: failed", name, exc_info=True)


def log_result(result: DocumentReport) -> None:
    """One log line per checked document."""
    if result.outcome == "error":
        log.warning("%s: error (%s): %s", result.key, result.error_kind, result.error)
    elif result.outcome == "locked":
        log.info("%s: skipped, %s", result.key, result.warning)
    elif result.change is not None:
        severity = result.change.get("severity")
        log.info(
            "%s: %s v%s%s: %s",
            result.key,
            result.change.get("kind"),
            result.version,
            f" [{severity.upper()}]" if severity else "",
            result.change.get("summary") or "",
        )
    else:
        log.info("%s: %s", result.key, result.outcome)
    if result.warning and result.outcome != "locked":
        log.warning("%s: %s", result.key, result.warning)
