"""Progress of the long commands (check, backfill, reextract, init --backfill).

On a terminal (stderr is one, no ``--json``): a rich bar with the counts, the time elapsed
and an estimate of the time left, cleared when done; notes (one line per backfilled
document) are printed above it and stay. Otherwise one INFO log line when the work is
known, then at most one every ``interval`` seconds (``TOSMON_PROGRESS_SECONDS``, default
30), and one at the end; notes are INFO lines too::

    2026-12-01T23:10:00Z INFO    progress: backfill: 120/1200 captures (10 %), 2 min 5 s
    elapsed, about 18 min 45 s left; openai/terms 20230105120000      (one line)

Log lines show with ``--log-level info`` (cron stays quiet by default).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

from .cli_common import clean as _clean

ENV_INTERVAL = "TOSMON_PROGRESS_SECONDS"
DEFAULT_INTERVAL = 30.0
BAR_WIDTH = 10
BAR_FIXED = 26  # elapsed, "ETA", time left (0:00:00 each), the gaps between columns, slack
log = logging.getLogger("monitor.progress")


def wants_bar(as_json: bool = False) -> bool:
    """A bar on a terminal; log lines when stderr is a file or pipe, or with ``--json``."""
    return not as_json and sys.stderr.isatty()


def interval_from_env() -> float:
    """Seconds between progress log lines (``TOSMON_PROGRESS_SECONDS``; bad values: 30)."""
    try:
        value = float(os.environ.get(ENV_INTERVAL, DEFAULT_INTERVAL))
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value >= 0 else DEFAULT_INTERVAL


def seconds_text(seconds: float) -> str:
    """``45 s``, ``2 min 5 s``, ``1 h 12 min``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


class RunProgress:
    """Counts of one long run, shown as a bar or as periodic log lines (see the module)."""

    def __init__(
        self,
        what: str,
        unit: str,
        *,
        bar: bool,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what, self.unit = what, unit
        self.interval = interval_from_env() if interval is None else interval
        self.clock = clock
        self.done, self.label = 0, ""
        self.total: int | None = None
        self._started = clock()
        self._logged_at: float | None = None
        self._logged_done: int | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        if bar:
            self._bar = Progress(  # counts and times first: the label is what gets cut
                TextColumn("{task.description}"),
                BarColumn(bar_width=BAR_WIDTH),
                MofNCompleteColumn(),
                TextColumn(unit),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[label]}", table_column=Column(no_wrap=True)),
                console=Console(stderr=True, highlight=False),
                transient=True,
            )

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=None, label="")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif exc_type is None and self._logged_done != self.done:
            self._log()

    def update(self, done: int, total: int | None, label: str = "") -> None:
        """``done`` of ``total`` (None: not known yet) units; ``label``: the latest item."""
        self.done, self.total, self.label = done, total, _clean(label)
        if self._bar is not None and self._task is not None:
            counts = 2 * len(str(total or done)) + 1  # MofN: "120/1200"
            fixed = len(self.what) + len(self.unit) + BAR_WIDTH + counts + BAR_FIXED
            room = self._bar.console.width - fixed
            label = self.label if len(self.label) <= room else self.label[: max(0, room - 1)] + "…"
            label = label if room >= 8 else ""
            self._bar.update(self._task, completed=done, total=total, label=label)
            self._bar.refresh()
            return
        if total is None:
            return
        now = self.clock()
        if self._logged_at is None or now - self._logged_at >= self.interval or done >= total:
            self._log()

    def note(self, message: str) -> None:
        """A line that stays: above the bar on a terminal, an INFO log line otherwise."""
        if self._bar is not None:
            self._bar.console.print(Text(_clean(message)))
        else:
            log.info("%s: %s", self.what, _clean(message))

    def line(self) -> str:
        """``120/1200 captures (10 %), 2 min 5 s elapsed, about 18 min left; LABEL``."""
        elapsed = self.clock() - self._started
        text = f"{self.done}/{self.total} {self.unit}"
        if self.total:
            text += f" ({100 * self.done // self.total} %)"
        text += f", {seconds_text(elapsed)} elapsed"
        if self.total and 0 < self.done < self.total:
            left = elapsed / self.done * (self.total - self.done)
            text += f", about {seconds_text(left)} left"
        return text + (f"; {self.label}" if self.label else "")

    def _log(self) -> None:
        if self.total is None:
            return
        self._logged_at, self._logged_done = self.clock(), self.done
        log.info("%s: %s", self.what, self.line())
