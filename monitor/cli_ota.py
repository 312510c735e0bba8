"""``tosmon sources import-ota PATH...``: Open Terms Archive declarations → sources.toml.

Files (or folders of ``*.json``, history files left out) are read with ``ota.py``; the
documents are printed as sources.toml text, or appended to ``--config`` with ``--write``
(only once the whole file still validates; a document already configured, by id or URL,
is skipped). What could not be expressed is reported per document on stderr (or in
``--json``), and written as comments under the document.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

from .cli_common import App, ConfigProblem, app_options, clean, console, print_json
from .cli_init import _write as write_validated
from .config import load_config
from .errors import ConfigError
from .ota import Declaration, DeclarationError, Skipped, read_declaration, to_toml
from .urls import normalise_url


@dataclass
class Reading:
    """What the given paths held: declarations by source file, and unreadable files."""

    declarations: list[tuple[str, Declaration]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, why)


def declaration_files(paths: tuple[Path, ...]) -> list[Path]:
    """The files named, and every declaration (``*.json`` but ``*.history.json``) of the
    folders named, in order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.json"))
            files += [p for p in found if not p.name.endswith(".history.json")]
        else:
            files.append(path)
    return files


def read_paths(paths: tuple[Path, ...]) -> Reading:
    reading = Reading()
    for path in declaration_files(paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            reading.declarations.append((path.name, read_declaration(path.stem, data)))
        except OSError as exc:
            reading.failed.append((str(path), f"cannot read it: {exc.strerror or exc}"))
        except UnicodeDecodeError:
            reading.failed.append((str(path), "not UTF-8 text"))
        except json.JSONDecodeError as exc:
            reading.failed.append((str(path), f"not JSON (line {exc.lineno}: {exc.msg})"))
        except DeclarationError as exc:
            reading.failed.append((str(path), f"not an Open Terms Archive declaration: {exc}"))
    return reading


def without_configured(reading: Reading, target: Path) -> list[str]:
    """Drop the documents ``target`` already has (same ids, or same URL); return the
    providers it configures."""
    if not target.exists():
        return []
    try:
        config = load_config(target)
    except ConfigError as exc:
        raise ConfigProblem(f"{exc} (fix it before importing into it)") from exc
    keys = {(d.provider, d.id) for d in config.documents()}
    urls = {normalise_url(d.url): d.key for d in config.documents()}
    for i, (source, decl) in enumerate(reading.declarations):
        kept, skipped = [], list(decl.skipped)
        for doc in decl.documents:
            if (doc.provider, doc.document) in keys:
                skipped.append(Skipped(doc.provider, doc.document, f"already in {target}"))
            elif (other := urls.get(normalise_url(doc.url))) is not None:
                skipped.append(Skipped(doc.provider, doc.document, f"its URL is {other}'s"))
            else:
                kept.append(doc)
        reading.declarations[i] = (
            source,
            Declaration(decl.provider, decl.name, tuple(kept), tuple(skipped)),
        )
    return [p.id for p in config.providers]


def validated_alone(text: str) -> None:
    """Fail (exit 2) unless ``text`` on its own is a valid sources.toml."""
    handle, temp = tempfile.mkstemp(prefix=".import-ota-", suffix=".toml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        load_config(temp)
    except ConfigError as exc:
        raise ConfigProblem(f"the imported documents do not validate: {exc}") from exc
    finally:
        os.unlink(temp)


def report_lines(reading: Reading) -> list[str]:
    """What was imported, noted and skipped, one line each (notes indented)."""
    lines: list[str] = []
    for source, decl in reading.declarations:
        for doc in decl.documents:
            tier = f" (tier {doc.tier})" if doc.tier else ""
            lines.append(f"imported {doc.provider}/{doc.document}{tier} from {source}")
            lines += [f"  note: {note}" for note in doc.notes]
        for skip in decl.skipped:
            lines.append(f"skipped  {skip.provider}/{skip.document} from {source}: {skip.reason}")
    lines += [f"failed   {path}: {why}" for path, why in reading.failed]
    return [clean(line) for line in lines]


def as_data(reading: Reading, text: str, written: Path | None) -> dict[str, object]:
    return {
        "imported": [asdict(d) for _, decl in reading.declarations for d in decl.documents],
        "skipped": [asdict(s) for _, decl in reading.declarations for s in decl.skipped],
        "failed": [{"file": path, "reason": why} for path, why in reading.failed],
        "written": str(written) if written else None,
        "toml": text,
    }


@click.command("import-ota")
@app_options
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--write", is_flag=True, help="Append them to sources.toml (--config).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
def import_ota(app: App, paths: tuple[Path, ...], write: bool, as_json: bool) -> None:
    """Turn Open Terms Archive declarations (files, or folders of them) into sources.toml
    documents: printed, or appended with --write. Exit 1 when a file could not be read."""
    reading = read_paths(paths)
    target = Path(app.config_path)
    known = without_configured(reading, target) if write else []
    text = to_toml(reading.declarations, known)
    if text:
        if write:
            existing = target.read_text(encoding="utf-8") if target.exists() else ""
            write_validated(target, existing.rstrip("\n") + "\n\n" + text if existing else text)
        else:
            validated_alone(text)
    if as_json:
        print_json(as_data(reading, text, target if write and text else None))
    else:
        err = console(stderr=True)
        for line in report_lines(reading):
            err.print(line, markup=False)
        if text and not write:
            click.echo(text, nl=False)
        elif text:
            err.print(f"appended to {clean(str(target))}", markup=False)
    if reading.failed:
        raise SystemExit(1)
    if not text:
        raise click.ClickException("no document to import (see the lines above)")
