"""Logging for long-running use: one line per event on stderr.

    2026-11-30T06:00:04Z INFO    schedule: check: 12 document(s) due

Level from ``--log-level`` or the ``TOSMON_LOG_LEVEL`` environment variable (default
INFO). Without ``--verbose`` an exception adds its type and message to the same line;
with ``--verbose`` the traceback follows. Control characters (and newlines) in a
message are replaced, so text from a fetched page can neither forge log lines nor
drive the terminal.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from typing import TextIO

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
ENV_LEVEL = "TOSMON_LOG_LEVEL"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class OneLineFormatter(logging.Formatter):
    """``TIME LEVEL logger: message [: ExcType: detail]``, tracebacks only when verbose."""

    def __init__(self, verbose: bool = False) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
        self.verbose = verbose
        self.converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        record.name = record.name.removeprefix("monitor.")
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text = saved
        line = _CONTROL.sub(" ", line)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line += _CONTROL.sub(" ", f": {type(exc).__name__}: {exc}")
            if self.verbose:
                line += "\n" + self.formatException(record.exc_info)
        return line


def resolve_level(level: str | None) -> int:
    """``level`` (or $TOSMON_LOG_LEVEL, or INFO) as a logging level; ValueError if unknown."""
    name = (level or os.environ.get(ENV_LEVEL) or "INFO").strip().upper()
    if name not in LEVELS:
        raise ValueError(f"unknown log level {name!r}; use one of {', '.join(LEVELS)}")
    return int(getattr(logging, name))


def setup_logging(
    level: str | None = None, verbose: bool = False, stream: TextIO | None = None
) -> None:
    """Route the ``monitor`` and ``apscheduler`` loggers to one stderr handler."""
    numeric = resolve_level(level)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter(verbose))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_tosmon", False):
            root.removeHandler(old)
    handler._tosmon = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(numeric)
    # APScheduler narrates every job at INFO; keep it for debugging.
    logging.getLogger("apscheduler").setLevel(max(numeric, logging.WARNING))
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
