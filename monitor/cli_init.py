"""``tosmon init``: a starter sources.toml from the shipped catalogue, then its history.

The catalogue (``monitor/catalogue.toml``, shipped in the package) lists the providers'
documents with a comment per provider saying how its pages are read. ``init`` writes it
(or the chosen providers of it) to ``--config`` (default ``./sources.toml``), validated
before anything is written, and — with ``--backfill``, or when the user says yes on a
terminal — runs the archive backfill so the first ``tosmon history`` has years of
versions.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path

import click
from sqlalchemy import make_url

from .cli_backfill import backfill_and_report
from .cli_common import App, ConfigProblem, app_options
from .config import load_config
from .errors import ConfigError

_PROVIDER = re.compile(r"^\[providers\.([a-z0-9_-]+)\]\s*$", re.MULTILINE)
_DAY = click.DateTime(formats=["%Y-%m-%d"])


@dataclass(frozen=True)
class Catalogue:
    """The catalogue's text cut in two: settings (before the first provider) and one
    block per provider, its comment included."""

    preamble: str
    providers: dict[str, str]  # provider id -> its text, in file order


def read_catalogue() -> Catalogue:
    return split_catalogue(files("monitor").joinpath("catalogue.toml").read_text("utf-8"))


def split_catalogue(text: str) -> Catalogue:
    """Cut ``text`` before each ``[providers.ID]`` table and the comment lines above it."""
    starts: list[tuple[int, str]] = []
    for found in _PROVIDER.finditer(text):
        start = found.start()
        while start > 0:  # take in the comment lines right above the table
            above = text.rfind("\n", 0, start - 1) + 1
            if not text.startswith("#", above):
                break
            start = above
        starts.append((start, found.group(1)))
    if not starts:
        return Catalogue(text, {})
    ends = [start for start, _ in starts[1:]] + [len(text)]
    blocks = {pid: text[start:end] for (start, pid), end in zip(starts, ends, strict=True)}
    return Catalogue(text[: starts[0][0]], blocks)


def starter_text(
    catalogue: Catalogue,
    providers: tuple[str, ...] = (),
    archive: str | None = None,
    rate: float | None = None,
) -> str:
    """The sources.toml to write: the catalogue's settings (archive and rate replaced when
    given) and the chosen providers' blocks (all when ``providers`` is empty)."""
    preamble = catalogue.preamble
    if archive is not None:
        preamble = _set(preamble, "wayback_url", json.dumps(archive))
    if rate is not None:
        preamble = _set(preamble, "rate", repr(rate))
    chosen = providers or tuple(catalogue.providers)
    return preamble + "".join(catalogue.providers[p] for p in chosen).rstrip("\n") + "\n"


def _set(preamble: str, key: str, value: str) -> str:
    """Replace ``key = ...`` in the catalogue's [archive] table, keeping its comment."""
    archive = preamble.index("[archive]")
    pattern = re.compile(rf"^{key} = [^#\n]*?(\s*(#.*)?)$", re.MULTILINE)
    head, tail = preamble[:archive], preamble[archive:]
    new, count = pattern.subn(lambda m: f"{key} = {value}{m.group(1)}", tail, count=1)
    if count != 1:
        new = tail.replace("[archive]\n", f"[archive]\n{key} = {value}\n", 1)
    return head + new


@click.command()
@app_options
@click.option(
    "--provider",
    "-p",
    "providers",
    multiple=True,
    metavar="ID",
    help="Only this catalogue provider (repeatable; default: all).",
)
@click.option("--archive", metavar="URL", help="Wayback-compatible archive for the backfill.")
@click.option("--rate", type=click.FloatRange(min=0.01), help="Archive requests per second.")
@click.option(
    "--backfill/--no-backfill",
    default=None,
    help="Fill in past versions from the archive now (default: ask on a terminal, else no).",
)
@click.option(
    "--from",
    "since",
    type=_DAY,
    metavar="YYYY-MM-DD",
    help="Backfill from this day (implies --backfill).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(
    app: App,
    providers: tuple[str, ...],
    archive: str | None,
    rate: float | None,
    backfill: bool | None,
    since: datetime | None,
    force: bool,
) -> None:
    """Write a starter sources.toml (the shipped catalogue), then optionally its history.

    With --backfill (or a yes on a terminal) the archive's captures of every document are
    replayed, oldest first, so `tosmon history` starts years back. Interrupt it at any
    time: `tosmon backfill` continues where it stopped.
    """
    target = Path(app.config_path)
    catalogue = read_catalogue()
    chosen = tuple(dict.fromkeys(providers))
    _check_providers(chosen, catalogue)
    text = starter_text(catalogue, chosen, archive, rate)
    kept = target.exists() and _same_text(target, text)
    if target.exists() and not (kept or force):
        raise ConfigProblem(
            f"{target} already exists: keep it (`tosmon check`, `tosmon backfill`) "
            "or pass --force to overwrite it"
        )
    if not kept:
        _write(target, text)
    config = app.config
    docs = config.documents()
    counts = ", ".join(f"{p.id} {len(p.documents)}" for p in config.providers)
    done = "Kept" if kept else "Wrote"
    click.echo(f"{done} {target}: {len(docs)} documents of {len(config.providers)} providers")
    click.echo(f"  ({counts}); history goes to {_database(config.database)}")
    if backfill is None:
        backfill = since is not None or _ask(config.archive.wayback_url, config.archive.rate)
    if backfill:
        backfill_and_report(app, docs, since.date() if since else None, None, False)
    _next_steps(app.config_path, backfill)


def _same_text(target: Path, text: str) -> bool:
    """Whether ``target`` already holds ``text`` (the catalogue of a fresh checkout)."""
    try:
        return target.read_text("utf-8") == text
    except (OSError, UnicodeError):
        return False


def _database(url: str) -> str:
    """The SQLite file, or the database URL without its password."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    return make_url(url).render_as_string(hide_password=True)


def _check_providers(chosen: tuple[str, ...], catalogue: Catalogue) -> None:
    known = list(catalogue.providers)
    for pid in chosen:
        if pid not in catalogue.providers:
            close = difflib.get_close_matches(pid, known, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise click.UsageError(
                f"no provider {pid!r} in the catalogue.{hint} It has: {', '.join(known)}"
            )


def _write(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` only once it loads as a valid configuration."""
    if not target.parent.is_dir():
        raise ConfigProblem(f"folder {target.parent} does not exist: create it first")
    handle, temp = tempfile.mkstemp(prefix=".init-", suffix=".toml", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        try:
            load_config(temp)
        except ConfigError as exc:  # e.g. --archive that is not an http(s) URL
            raise ConfigProblem(str(exc).replace(temp, str(target))) from exc
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _ask(archive: str, rate: float) -> bool:
    """On a terminal, ask whether to backfill now; elsewhere, don't."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    return click.confirm(
        f"Fill in past versions from {archive} now ({rate:g} request(s)/s; it can take a "
        "while, and Ctrl-C is safe: `tosmon backfill` continues)?",
        default=True,
    )


def _next_steps(config_path: str, backfilled: bool) -> None:
    option = "" if config_path == "sources.toml" else f" --config {config_path}"
    steps = [
        ("check", "fetch today's versions (then from cron: see docs/deployment.md)"),
        ("history --clause training", "when the training clause changed"),
        ("compare", "every document's positions side by side"),
    ]
    if not backfilled:
        steps.insert(0, ("backfill", "fill in past versions from the archive"))
    click.echo("\nNext:")
    for command, what in steps:
        click.echo(f"  tosmon {command}{option}\n      {what}")
