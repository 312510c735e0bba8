"""``tosmon history``, ``diff``, ``show`` and ``clauses``: reading the stored history;
registered by cli.py (imported only when one of them runs)."""

from __future__ import annotations

from typing import Any

import click
from rich.text import Text

from . import store
from . import views as v
from .cli_common import (
    App,
    app_options,
    clean,
    configured_document,
    console,
    is_terminal,
    parse_when,
    print_json,
)
from .cli_positions import print_positions, print_reextractions
from .cli_tables import Col, Row, print_table, wrap_lines
from .diff import render_word_diff, word_diff_segments
from .timefmt import short_text

# -- reading history -----------------------------------------------------------------------


@click.command()
@app_options
@click.argument("provider", required=False)
@click.argument("document", required=False)
@click.option(
    "--clause", "-c", "clause", metavar="KEY", help="History of one clause (training, ...)."
)
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="With --clause: the newest N changes (0 = all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def history(
    app: App,
    provider: str | None,
    document: str | None,
    clause: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Versions of a document, oldest first; or, with --clause, when that clause changed.

    `tosmon history --clause training` without PROVIDER DOCUMENT shows that clause's
    changes across every document, newest first.
    """
    if (provider is None) != (document is None):
        raise click.UsageError("give both PROVIDER and DOCUMENT, or neither (with --clause)")
    if provider is None and clause is None:
        raise click.UsageError("give PROVIDER DOCUMENT, or --clause KEY")
    if provider is not None and document is not None:
        configured_document(app.config, provider, document)
    if clause is not None and clause not in app.config.clause_keys:
        raise click.UsageError(
            f"unknown clause {clause!r}; known: {', '.join(app.config.clause_keys)}"
        )
    with app.reader() as s:
        if clause is not None:
            data = v.clause_history(s, clause, provider, document, limit or None)
        else:
            assert provider is not None and document is not None
            data = v.document_history(s, provider, document)
    if as_json:
        print_json(data)
    elif clause is not None:
        _print_clause_history(data)
    else:
        _print_history(data)


def _print_history(data: dict[str, Any]) -> None:
    rows: list[Row] = []
    for ver in data["versions"]:
        change = ver["change"]
        if change is None:
            label = Text("first version (baseline)", style="dim")
        else:
            sev = f"[{change['severity'].upper()}] " if change.get("severity") else ""
            kind = change["kind"]
            if kind == "revert":
                kind = f"back to v{change.get('reverts_to') or '?'}"
            label = Text(
                clean(f"{kind}: {sev}{change.get('summary') or ''}"),
                style="dim" if change["kind"] in ("cosmetic", "revert") else "",
            )
        rows.append([f"v{ver['version']}", short_text(ver["captured_at"]), ver["origin"], label])
    print_table(
        f"{data['provider']}/{data['document']}: {len(data['versions'])} version(s)",
        [Col("#", keep=True), Col("captured (UTC)", keep=True), Col("origin", keep=True)]
        + [Col("change")],
        rows,
    )
    print_reextractions(data["reextractions"])


def _print_clause_history(data: dict[str, Any]) -> None:
    out = console()
    where = f" of {data['provider']}/{data['document']}" if "provider" in data else ""
    if not data["changes"]:
        out.print(
            Text(f"The {data['clause']} clause{where} has not changed in the stored history.")
        )
        return
    out.print(
        Text(
            f"{data['clause']} clause{where}: {data['total']} change(s), newest first",
            style="bold",
        )
    )
    if data["total"] > len(data["changes"]):
        out.print(
            Text(f"showing the newest {len(data['changes'])}; --limit 0 shows all", style="dim")
        )
    for ch in data["changes"]:
        sev = f" [{ch['severity'].upper()}]" if ch.get("severity") else ""
        out.print(
            Text(
                f"\n{short_text(ch['captured_at'])}  {ch['provider']}/{ch['document']} "
                f"v{ch['version']}  {ch['kind']}{sev}",
                style="bold cyan",
            )
        )
        out.print(Text(clean(ch.get("summary") or "")), soft_wrap=False)
        _print_unified(ch["diff"])


def _print_unified(diff_text: str) -> None:
    """A unified diff, each line wrapped at word boundaries under its ``+``/``-`` sign."""
    out = console()
    for line in diff_text.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
        style = "bold" if line.startswith(("---", "+++")) else style
        for part in wrap_lines(clean(line), out.width, "  " if line[:1] in "+- " else ""):
            out.print(Text(part, style=style))


@click.command()
@app_options
@click.argument("provider")
@click.argument("document")
@click.option(
    "--from", "from_n", type=int, help="Older version number (default: the one before --to)."
)
@click.option("--to", "to_n", type=int, help="Newer version number (default: the latest).")
@click.option("--clause", "-c", metavar="KEY", help="Diff only this clause's text (training, ...).")
@click.option(
    "--words", "-w", is_flag=True, help="Sentence view: added, removed, modified (changed words)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the change summary as JSON.")
def diff(
    app: App,
    provider: str,
    document: str,
    from_n: int | None,
    to_n: int | None,
    clause: str | None,
    words: bool,
    as_json: bool,
) -> None:
    """Diff two versions of a document (default: the last two), or of one clause.

    Unified line diff by default; `--words` lists added and removed sentences and shows
    modified ones with the changed words highlighted; `--json` prints the change summary
    (kind, severity, clauses, summary, added/removed/modified, facts).
    """
    configured_document(app.config, provider, document)
    if clause is not None and clause not in app.config.clause_keys:
        raise click.UsageError(
            f"unknown clause {clause!r}; known: {', '.join(app.config.clause_keys)}"
        )
    with app.reader() as s:
        data = v.version_diff(s, provider, document, from_n, to_n, clause)
    if as_json:
        print_json(data)
        return
    part = data["clause"] or data
    if data.get("kind") == "revert":
        note = (
            f"v{data['to']['version']} returns to the text of v{data.get('reverts_to') or '?'} "
            "(a revert: stored, never alerted)"
        )
        click.echo(note, err=not is_terminal())
    if clause is not None and part["before"] is None and part["after"] is None:
        console().print(Text(f"Neither version addresses the {clause} clause."))
    elif not part["diff"]:
        what = f"the same {clause} clause text" if clause else "the same text"
        console().print(Text(f"The two versions have {what}."))
    elif words:
        _print_sentences(data, part)
    elif is_terminal():
        _print_unified(part["diff"])
    else:
        click.echo(clean(part["diff"]), nl=False)


_WORD_STYLES = {"insert": "bold green underline", "delete": "red strike", "equal": ""}


def _print_sentences(data: dict[str, Any], part: dict[str, Any]) -> None:
    """``diff --words``: ``+``/``-`` sentences, and ``~`` ones with their changed words
    styled (plain ``[-old-]{+new+}`` markers when the output is not a terminal)."""
    out, styled = console(), is_terminal()
    where = f" {part['key']} clause" if data["clause"] else ""
    out.print(
        Text(
            f"{data['provider']}/{data['document']}{where}: v{data['from']['version']} → "
            f"v{data['to']['version']}",
            style="bold",
        )
    )
    for sentence in part["removed"]:
        out.print(Text("- " + clean(sentence), style="red"), soft_wrap=False)
    for sentence in part["added"]:
        out.print(Text("+ " + clean(sentence), style="green"), soft_wrap=False)
    for modified in part["modified"]:
        ops = [(tag, text) for tag, text in modified["ops"]]
        if not styled:
            out.print(Text("~ " + clean(render_word_diff(ops))), soft_wrap=False)
            continue
        line = Text("~ ")
        for text, tag in word_diff_segments(ops):
            line.append(clean(text), style=_WORD_STYLES[tag])
        out.print(line, soft_wrap=False)


@click.command()
@app_options
@click.argument("provider")
@click.argument("document")
@click.option("--version", "-v", "number", type=int, help="Version number (default: the latest).")
def show(app: App, provider: str, document: str, number: int | None) -> None:
    """Print the normalized text of a version."""
    configured_document(app.config, provider, document)
    with app.reader() as s:
        row = v.require_document(s, provider, document)
        version = v.pick_version(store.versions(s, row.id), number, f"{provider}/{document}")
        click.echo(clean(version.text))


@click.command()
@app_options
@click.argument("provider")
@click.argument("document")
@click.option("--at", "at", help="Date (YYYY-MM-DD) or ISO time; default: the latest version.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def clauses(app: App, provider: str, document: str, at: str | None, as_json: bool) -> None:
    """The positions and clause texts in force at a date (training, retention, ...)."""
    configured_document(app.config, provider, document)
    when = parse_when(at) if at else None
    with app.reader() as s:
        data = v.clauses_at(s, provider, document, app.config.clause_keys, when)
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(
        Text(
            f"{provider}/{document} v{data['version']} "
            f"(captured {short_text(data['captured_at'])} UTC)",
            style="bold",
        )
    )
    print_positions(data["positions"])
    for key, clause in data["clauses"].items():
        out.print(
            Text(f"\n{key}", style="bold cyan"), Text(f"  ({clause['source']})" if clause else "")
        )
        if clause:
            out.print(Text(clean(clause["text"])), soft_wrap=False)
        else:
            out.print(Text("  not addressed", style="dim"))
