"""``tosmon reextract``: re-read stored history with the current rules (see ``reextract``)."""

from __future__ import annotations

import click
from rich.text import Text

from .cli_common import (
    App,
    app_options,
    clean,
    console,
    pick_documents,
    print_json,
    selection_options,
)
from .cli_progress import RunProgress, wants_bar
from .cli_tables import Col, print_table
from .reextract import DocumentReextraction, reextract_documents


@click.command()
@app_options
@selection_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
def reextract(
    app: App, providers: tuple[str, ...], documents: tuple[str, ...], as_json: bool
) -> None:
    """Re-read every stored version from its stored snapshot with the current rules.

    Run after upgrading tos-monitor or changing select/remove/ignore: text, clauses and
    positions of each version are read again (one transaction per document). What the
    new reading changed is listed by `tosmon history` as "reading improved"; versions keep
    their numbers, nothing is alerted, and a second run changes nothing.
    """
    docs = pick_documents(app.config, providers, documents)
    with RunProgress("reextract", "versions", bar=wants_bar(as_json)) as progress:

        def advance(key: str, done: int, total: int) -> None:
            progress.update(done, total, key)

        reports = reextract_documents(app.sessions, docs, advance)
    if as_json:
        print_json({"documents": [r.as_dict() for r in reports]})
    else:
        _print(reports)


def _print(reports: list[DocumentReextraction]) -> None:
    out = console()
    if not reports:
        out.print(Text("No stored history to re-read: run `tosmon check` first."))
        return
    rows: list[list[str | Text]] = []
    for r in reports:
        improved = ", ".join(f"v{n}" for n in r.improved) or "-"
        cosmetic = ", ".join(f"v{n}" for n in r.cosmetic) or "-"
        name = f"{r.provider}/{r.document}"
        if r.locked:
            rows.append([name, "", Text(clean(f"skipped: {r.locked}"), style="yellow"), "", ""])
            continue
        rows.append([name, str(r.versions), improved, cosmetic, str(r.changes_updated)])
    cols = [Col("document", keep=True), Col("versions", keep=True), Col("reading improved")]
    cols += [Col("now cosmetic"), Col("changes redone", keep=True)]
    print_table(f"Re-read {len(reports)} document(s)", cols, rows, out=out)
    for r in reports:
        for e in r.errors:
            out.print(
                Text(
                    clean(
                        f"{r.provider}/{r.document} v{e.version} kept its old reading "
                        f"({e.kind}): {e.error}"
                    ),
                    style="red",
                )
            )
