"""What every ``tosmon`` command shares: --config/--db, error mapping, safe output.

Commands stay thin: they call the pipeline or ``store`` and print. Our own errors
become ``click.ClickException``s (bad configuration exits 2). Text that came from
a fetched page is *untrusted*: ``clean`` strips terminal control sequences, and
output goes through rich ``Text`` objects, never markup strings.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from .config import Config, load_config
from .db import SessionFactory, fault_message, open_database, reader
from .errors import ConfigError, TosmonError
from .safe_json import dump_json

F = TypeVar("F", bound=Callable[..., Any])
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class ConfigProblem(click.ClickException):
    """Bad configuration: exit code 2, nothing written."""

    exit_code = 2


@dataclass
class App:
    """Lazily loaded configuration and database for one command."""

    config_path: str
    db_url: str | None
    _config: Config | None = field(default=None, repr=False)
    _sessions: SessionFactory | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = load_config(self.config_path, self.db_url)
            except ConfigError as exc:
                raise ConfigProblem(str(exc)) from exc
        return self._config

    @property
    def sessions(self) -> SessionFactory:
        if self._sessions is None:
            try:
                self._sessions = open_database(self.config.database)
            except TosmonError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._sessions

    @property
    def reader(self) -> SessionFactory:
        """Read-only sessions: they read while a running check writes (``db.reader``)."""
        return reader(self.sessions)

    def close(self) -> None:
        """Close the database connections the command opened."""
        if self._sessions is not None:
            self._sessions.kw["bind"].dispose()
            self._sessions = None


def app_options(func: F) -> F:
    """Add --config and --db to a command and pass it an ``App`` as ``app``."""

    @click.option(
        "--config",
        "config_path",
        default="sources.toml",
        show_default=True,
        envvar="TOSMON_CONFIG",
        type=click.Path(dir_okay=False),
        help="sources.toml to use (env TOSMON_CONFIG).",
    )
    @click.option(
        "--db",
        "db_url",
        default=None,
        envvar="TOSMON_DB",
        metavar="URL",
        help="SQLAlchemy database URL; overrides [monitor].database (env TOSMON_DB).",
    )
    @functools.wraps(func)
    def wrapper(config_path: str, db_url: str | None, **kwargs: Any) -> Any:
        app = App(config_path, db_url)
        try:
            return func(app=app, **kwargs)
        except ConfigError as exc:
            raise ConfigProblem(str(exc)) from exc
        except TosmonError as exc:
            raise click.ClickException(str(exc)) from exc
        except SQLAlchemyError as exc:  # a database failure: one clear line, no traceback
            raise click.ClickException(fault_message(_database_of(app), exc)) from exc
        finally:
            app.close()

    return wrapper  # type: ignore[return-value]


def _database_of(app: App) -> str:
    """The database URL a command used (for error messages), as well as it is known."""
    if app._config is not None:
        return app._config.database
    return app.db_url or "(from the configuration)"


def clean(text: str) -> str:
    """Untrusted text made safe for a terminal: no escape sequences or bidi overrides."""
    return _CONTROL.sub("", text)


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    click.echo(dump_json(data))


def parse_when(value: str, end_of_day: bool = True) -> datetime:
    """An ISO date or datetime (UTC unless an offset is given); a date means that day's end."""
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD or ISO 8601)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def is_terminal() -> bool:
    return sys.stdout.isatty()


def progress_bar(enabled: bool) -> Progress:
    """The progress bar of long commands (check, backfill, reextract), on stderr, shown only
    when ``enabled`` (a terminal, no --json) and cleared when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        disable=not enabled,
        transient=True,
    )
