"""``tosmon compare``, ``tosmon export`` and ``tosmon site``: thin commands over
``reports`` (queries), ``report_render`` (formats) and ``site`` (the static site)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.console import Console

from . import reports
from .cli_common import (
    App,
    app_options,
    configured_document,
    parse_when,
    pick_documents,
    print_json,
)
from .model import TIERS
from .report_render import (
    compare_csv,
    compare_html,
    compare_markdown,
    export_html,
    export_index,
    export_markdown,
    print_compare,
)
from .reports import Export, History
from .safe_json import dump_json

FORMATS = ("md", "html", "json")


def _at(value: str | None) -> datetime | None:
    return None if value is None else parse_when(value)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from exc


@click.command()
@app_options
@click.option(
    "--provider", "-p", "providers", multiple=True, help="Only this provider (repeatable)."
)
@click.option(
    "--tier", "tiers", multiple=True, type=click.Choice(TIERS), help="Only this tier (repeatable)."
)
@click.option(
    "--at", "at", metavar="DATE", help="The matrix as it stood then (YYYY-MM-DD or ISO 8601)."
)
@click.option("--evidence", is_flag=True, help="Show the sentence(s) each value rests on.")
@click.option("--json", "fmt", flag_value="json", help="Print the JSON contract.")
@click.option("--markdown", "fmt", flag_value="markdown", help="Print a Markdown table.")
@click.option("--csv", "fmt", flag_value="csv", help="Print CSV (one row per document).")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write a self-contained HTML page.",
)
def compare(
    app: App,
    providers: tuple[str, ...],
    tiers: tuple[str, ...],
    at: str | None,
    evidence: bool,
    fmt: str | None,
    html_file: Path | None,
) -> None:
    """The positions of every document side by side (a row per document, a column per
    position), each with since when it holds."""
    when = _at(at)
    pick_documents(app.config, providers)  # an unknown id: exit 2 with what is configured
    docs = reports.select_documents(app.config, providers, tiers)
    with app.reader() as s:
        matrix = reports.compare(History(s), docs, when)
    if html_file is not None:
        _write(html_file, compare_html(matrix, evidence=True))
        click.echo(f"wrote {html_file} ({len(matrix.rows)} documents)")
    elif fmt == "json":
        print_json(matrix.as_dict())
    elif fmt == "markdown":
        click.echo(compare_markdown(matrix, evidence), nl=False)
    elif fmt == "csv":
        click.echo(compare_csv(matrix, evidence), nl=False)
    else:
        print_compare(matrix, Console(highlight=False), evidence)


def _render_export(e: Export, fmt: str) -> str:
    if fmt == "json":
        return dump_json(e.as_dict()) + "\n"
    return export_html(e) if fmt == "html" else export_markdown(e)


@click.command()
@app_options
@click.argument("provider", required=False)
@click.argument("document", required=False)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every configured document, one file each, plus an index (needs --output DIR).",
)
@click.option("--at", "at", metavar="DATE", help="The version in force then (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="File (or directory with --all) to write; default: print.",
)
def export(
    app: App,
    provider: str | None,
    document: str | None,
    every: bool,
    at: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """The terms of a document in force at a date — positions, clauses, full text — with
    provenance (URL, capture time, snapshot SHA-256, origin, archive URL, rules)."""
    when = _at(at)
    if every == bool(provider or document):
        raise click.UsageError("give PROVIDER DOCUMENT, or --all --output DIR")
    if every:
        if output is None:
            raise click.UsageError("--all writes one file per document: give --output DIR")
        _export_all(app, when, fmt, output)
        return
    if not (provider and document):
        raise click.UsageError("give both PROVIDER and DOCUMENT")
    doc = configured_document(app.config, provider, document)
    with app.reader() as s:
        text = _render_export(reports.export(History(s), app.config, doc, when), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
        click.echo(f"wrote {output}")


def _export_all(app: App, when: datetime | None, fmt: str, folder: Path) -> None:
    exports, names, missing = [], [], []
    with app.reader() as s:
        history = History(s)
        for doc in app.config.documents():
            stored = history.document(doc)
            if stored is None or history.in_force(stored.id, when) is None:
                missing.append(doc.key)
                continue
            e = reports.export(history, app.config, doc, when)
            name = f"{doc.provider}--{doc.id}.{fmt}"
            _write(folder / name, _render_export(e, fmt))
            exports.append(e)
            names.append(name)
    index = folder / f"index.{fmt}"
    _write(index, export_index(exports, names, fmt))
    click.echo(f"wrote {len(exports)} document(s) and {index}")
    if missing:
        click.echo(f"no version to export for: {', '.join(missing)}", err=True)


@click.command()
@app_options
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--base-url", metavar="URL", help="Public URL of OUT_DIR, for absolute links in the feeds."
)
def site(app: App, out_dir: Path, base_url: str | None) -> None:
    """Write a static site (matrix, a page per provider and per document, Atom feeds) to
    OUT_DIR; only files whose content changed are rewritten."""
    from .site import build_site

    with app.reader() as s:
        report = build_site(History(s), app.config, out_dir, base_url)
    click.echo(
        f"{out_dir}: {report.written} file(s) written, {report.unchanged} unchanged"
        f" ({report.pages} pages, {report.feeds} feeds, {report.entries} feed entries)"
    )
