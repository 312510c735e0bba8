"""What every ``tosmon`` command shares: --config/--db, error mapping, safe output.

Commands stay thin: they call the pipeline or ``store`` and print. Our own errors
become ``click.ClickException``s (bad configuration exits 2). Text that came from
a fetched page is *untrusted*: ``clean`` strips terminal control sequences, and
output goes through rich ``Text`` objects, never markup strings.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import ConfigError, TosmonError
from .timefmt import end_of, parse_iso

if TYPE_CHECKING:  # imported on use: `tosmon --version` and --help load none of them
    from rich.console import Console

    from .db import SessionFactory
    from .model import Config, DocumentConfig

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
    log_level: str | None = None  # as given (option or env); None: the command's default
    verbose: bool = False
    _config: Config | None = field(default=None, repr=False)
    _sessions: SessionFactory | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                from .config import load_config

                self._config = load_config(self.config_path, self.db_url)
            except ConfigError as exc:
                raise ConfigProblem(str(exc)) from exc
        return self._config

    @property
    def sessions(self) -> SessionFactory:
        if self._sessions is None:
            try:
                from .db import open_database

                self._sessions = open_database(self.config.database)
            except TosmonError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._sessions

    @property
    def reader(self) -> SessionFactory:
        """Read-only sessions: they read while a running check writes (``db.reader``)."""
        from .db import reader

        return reader(self.sessions)

    def close(self) -> None:
        """Close the database connections the command opened."""
        if self._sessions is not None:
            self._sessions.kw["bind"].dispose()
            self._sessions = None


@dataclass(frozen=True)
class Globals:
    """The options every command takes, given before the subcommand (``tosmon --config X
    check``) or after it (``tosmon check --config X``); after wins. ``None``: not given."""

    config_path: str | None = None
    db_url: str | None = None
    log_level: str | None = None
    verbose: bool = False

    def over(self, earlier: Globals) -> Globals:
        """These options, with what was not given here taken from ``earlier``."""
        return Globals(
            self.config_path or earlier.config_path,
            self.db_url or earlier.db_url,
            self.log_level or earlier.log_level,
            self.verbose or earlier.verbose,
        )


def global_options(func: F) -> F:
    """--config, --db, --log-level and --verbose, as options of a group or a command (no
    defaults here: ``resolve`` applies the environment and defaults once, at the end)."""
    from .logs import LEVELS

    options = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="sources.toml to use [default: sources.toml; env TOSMON_CONFIG].",
        ),
        click.option(
            "--db",
            "db_url",
            metavar="URL",
            help="SQLAlchemy database URL; overrides [monitor].database (env TOSMON_DB).",
        ),
        click.option(
            "--log-level",
            type=click.Choice(LEVELS, case_sensitive=False),
            help="Log level of the one-line stderr log [default: WARNING, `run`: INFO; "
            "env TOSMON_LOG_LEVEL].",
        ),
        click.option("--verbose", is_flag=True, help="Add tracebacks to logged errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def given_globals(ctx: click.Context | None = None) -> Globals:
    """The global options given before the subcommand (stored by the ``tosmon`` group)."""
    ctx = ctx or click.get_current_context()
    found = ctx.find_object(Globals)
    return found if found is not None else Globals()


def app_options(func: F) -> F:
    """Add the global options to a command and pass it an ``App`` as ``app``.

    A command that sets up logging itself (``run``) reads ``app.log_level``/``app.verbose``;
    for the others a --log-level or --verbose given after the subcommand applies here.
    """

    @global_options
    @functools.wraps(func)
    def wrapper(
        config_path: str | None,
        db_url: str | None,
        log_level: str | None,
        verbose: bool,
        **kwargs: Any,
    ) -> Any:
        here = Globals(config_path, db_url, log_level, verbose)
        opts = here.over(given_globals())
        if here.log_level or here.verbose:
            from .logs import setup_logging

            setup_logging(
                opts.log_level or os.environ.get("TOSMON_LOG_LEVEL") or "WARNING", opts.verbose
            )
        app = App(
            opts.config_path or os.environ.get("TOSMON_CONFIG") or "sources.toml",
            opts.db_url or os.environ.get("TOSMON_DB") or None,
            log_level=opts.log_level or os.environ.get("TOSMON_LOG_LEVEL") or None,
            verbose=opts.verbose,
        )
        try:
            return func(app=app, **kwargs)
        except ConfigError as exc:
            raise ConfigProblem(str(exc)) from exc
        except TosmonError as exc:
            raise click.ClickException(str(exc)) from exc
        except Exception as exc:
            _database_fault(app, exc)
            raise
        finally:
            app.close()

    return wrapper  # type: ignore[return-value]


class UnknownId(click.ClickException):
    """A provider or document id that sources.toml does not configure: exit code 2."""

    exit_code = 2


def _unknown(
    config: Config, what: str, given: str, known: Sequence[str], of: str = ""
) -> UnknownId:
    close = difflib.get_close_matches(given, known, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return UnknownId(
        f"{config.path}: no {what} {given!r}{of}.{hint} Configured: {', '.join(known) or 'none'}"
    )


def pick_documents(
    config: Config, providers: Sequence[str] = (), documents: Sequence[str] = ()
) -> list[DocumentConfig]:
    """The configured documents of any of ``providers`` whose id is any of ``documents``
    (empty: all), in file order. An id that matches nothing is an ``UnknownId`` listing
    the configured ones, with the closest as a suggestion."""
    every = config.documents()
    known_providers = list(dict.fromkeys(d.provider for d in every))
    for provider in providers:
        if provider not in known_providers:
            raise _unknown(config, "provider", provider, known_providers)
    docs = [d for d in every if not providers or d.provider in providers]
    known_documents = list(dict.fromkeys(d.id for d in docs))
    of = f" of {', '.join(providers)}" if providers else ""
    for document in documents:
        if document not in known_documents:
            raise _unknown(config, "document", document, known_documents, of)
    return [d for d in docs if not documents or d.id in documents]


def selection_options(func: F) -> F:
    """Repeatable ``-p/--provider`` and ``-d/--document`` (``providers``, ``documents``)."""
    func = click.option(
        "--document",
        "-d",
        "documents",
        multiple=True,
        metavar="ID",
        help="Only this document id (repeatable).",
    )(func)
    return click.option(
        "--provider",
        "-p",
        "providers",
        multiple=True,
        metavar="ID",
        help="Only this provider id (repeatable).",
    )(func)


def configured_document(config: Config, provider: str, document: str) -> DocumentConfig:
    """The one document PROVIDER DOCUMENT names, or an ``UnknownId`` saying what exists."""
    [doc] = pick_documents(config, (provider,), (document,))
    return doc


def _database_fault(app: App, exc: Exception) -> None:
    """A database failure becomes one clear line, no traceback (sqlalchemy is loaded by
    then: only a command that opened the database can raise one)."""
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is not None and isinstance(exc, errors.SQLAlchemyError):
        from .db import fault_message

        raise click.ClickException(fault_message(_database_of(app), exc)) from exc


def _database_of(app: App) -> str:
    """The database URL a command used (for error messages), as well as it is known."""
    if app._config is not None:
        return app._config.database
    return app.db_url or "(from the configuration)"


OUTCOME_WORDS = {
    "new_version": "new version",
    "cosmetic": "cosmetic",
    "unchanged": "no change",
    "not_modified": "not modified (304)",
    "suspect": "suspect (held)",
    "locked": "skipped (locked)",
    "error": "error",
}


def outcome_word(outcome: str) -> str:
    """What a check's outcome (``not_modified``, ...) means, as a table shows it."""
    return OUTCOME_WORDS.get(outcome, outcome.replace("_", " "))


def clean(text: str) -> str:
    """Untrusted text made safe for a terminal: no escape sequences or bidi overrides."""
    return _CONTROL.sub("", text)


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    from .safe_json import dump_json

    click.echo(dump_json(data))


def parse_when(value: str, end_of_day: bool = True) -> datetime:
    """An ISO date or datetime (UTC unless an offset is given); a date means that day's end."""
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).date()
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        moment = parse_iso(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD or ISO 8601)") from None
    return end_of(value, moment) if end_of_day else moment


def is_terminal() -> bool:
    return sys.stdout.isatty()
