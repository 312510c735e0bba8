"""Rendering of ``compare`` and ``export`` for people: terminal, Markdown, CSV, HTML.

Page text (evidence sentences, clause texts) is untrusted everywhere: in the terminal it is
stripped of control sequences and printed as rich ``Text`` (never markup); in Markdown
every character that could format or open HTML is backslash-escaped; HTML templates are
autoescaped and carry no script and no external resource.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .cli_common import clean
from .model import blocks_from_text
from .position_text import SHORT, label, readings_text
from .positions import POSITION_KEYS, Position
from .render import template
from .reports import Cell, Export, Matrix, Row, iso
from .safe_json import dump_json

WIDE = 120  # columns from which the terminal shows tables; below, one block per document
COLUMN = 14  # terminal width of one position column: a date, padding and a border
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LEADING = re.compile(r"^([#+\-=])")
_MD_NUMBER = re.compile(r"^(\d+)([.)])")


def day(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d")


def position_phrase(p: Position) -> str:
    return readings_text(p.key, p.value, p.scope, p.readings)


def cell_text(cell: Cell | None) -> str:
    return "-" if cell is None else position_phrase(cell.position)


def stated(cell: Cell | None) -> bool:
    return cell is not None and cell.position.value not in (None, (), [])


def doc_label(row: Row) -> str:
    tier = f" ({row.doc.tier})" if row.doc.tier else ""
    return f"{row.doc.provider}/{row.doc.id}{tier}"


def version_label(row: Row) -> str:
    if row.version is None:
        return "no history yet"
    return f"v{row.version}, captured {day(row.captured_at)}"


# -- terminal --------------------------------------------------------------------------------


def _cell(cell: Cell | None, evidence: bool) -> Text:
    text = Text(clean(cell_text(cell)))
    if cell is not None and cell.since is not None and stated(cell):
        text.append(f"\n{day(cell.since)}", style="dim")
    if evidence and cell is not None:
        for sentence in cell.position.evidence:
            text.append(f"\n“{clean(sentence)}”", style="italic dim")
    return text


def compare_tables(matrix: Matrix, evidence: bool, width: int) -> list[Table]:
    """A row per document, a column per position, as few tables as fit ``width`` (the
    positions split into column groups); document ids are never cut or wrapped."""
    names = [w for r in matrix.rows for w in (f"{r.doc.provider}/", r.doc.id)]
    first = max(12, *(len(w) for w in names)) + 3
    per_table = max(1, (width - first) // COLUMN)
    keys = list(POSITION_KEYS)
    groups = [keys[i : i + per_table] for i in range(0, len(keys), per_table)]
    tables = []
    for n, group in enumerate(groups, 1):
        part = f" ({n}/{len(groups)})" if len(groups) > 1 else ""
        table = Table(title=f"Positions at {day(matrix.at)}{part}", show_lines=True, box=box.SQUARE)
        table.add_column("document", no_wrap=True, overflow="fold", min_width=first - 3)
        for key in group:
            table.add_column(SHORT[key], overflow="fold", max_width=COLUMN - 3)
        for row in matrix.rows:
            tier = f"\n({row.doc.tier})" if row.doc.tier else ""
            head = Text(f"{row.doc.provider}/\n{row.doc.id}{tier}")
            head.append(f"\n{version_label(row)}", style="dim")
            table.add_row(head, *(_cell(row.cell(k), evidence) for k in group))
        tables.append(table)
    return tables


def compare_blocks(matrix: Matrix, evidence: bool) -> Group:
    """One block per document, a line per position: readable at 80 columns."""
    parts: list[Text] = [Text(f"Positions at {day(matrix.at)}\n", style="bold")]
    for row in matrix.rows:
        block = Text(doc_label(row), style="bold")
        block.append(f" — {version_label(row)}\n", style="dim")
        for key in POSITION_KEYS if row.cells else ():
            cell = row.cell(key)
            block.append(f"  {label(key):<24}{clean(cell_text(cell))}")
            if cell is not None and cell.since is not None and stated(cell):
                block.append(f"  (since {day(cell.since)})", style="dim")
            block.append("\n")
            for sentence in cell.position.evidence if evidence and cell else ():
                block.append(f"      “{clean(sentence)}”\n", style="italic dim")
        parts.append(block)
    return Group(*parts)


def print_compare(matrix: Matrix, out: Console, evidence: bool) -> None:
    """Tables from ``WIDE`` columns on, one block per document below."""
    if out.width < WIDE:
        out.print(compare_blocks(matrix, evidence))
        return
    for table in compare_tables(matrix, evidence, out.width):
        out.print(table)


# -- Markdown, CSV -----------------------------------------------------------------------


def md(text: str) -> str:
    """``text`` as one line of literal Markdown (GitHub): characters that format, open
    HTML or an entity, or start a block are escaped."""
    line = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()).replace("&", "&amp;"))
    return _MD_NUMBER.sub(r"\1\\\2", _MD_LEADING.sub(r"\\\1", line))


def compare_markdown(matrix: Matrix, evidence: bool) -> str:
    head = ["document", "version", *(SHORT[k] for k in POSITION_KEYS)]
    lines = [
        f"Positions at {day(matrix.at)}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    notes = []
    for row in matrix.rows:
        cells = []
        for key in POSITION_KEYS:
            cell = row.cell(key)
            since = f"<br>since {day(cell.since)}" if cell and stated(cell) else ""
            cells.append(md(cell_text(cell)) + since)
            for sentence in cell.position.evidence if evidence and cell else ():
                notes.append(f"- **{md(doc_label(row))}, {label(key)}**: “{md(sentence)}”")
        lines.append(
            f"| {md(doc_label(row))} | {md(version_label(row))} | " + " | ".join(cells) + " |"
        )
    if notes:
        lines += ["", "Evidence:", "", *notes]
    return "\n".join(lines) + "\n"


def compare_csv(matrix: Matrix, evidence: bool) -> str:
    """One row per document; per position its value, scope and since (and evidence)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    extra = ("_value", "_scope", "_since", *(("_evidence",) if evidence else ()))
    writer.writerow(
        ["provider", "document", "tier", "version", "captured_at"]
        + [k + suffix for k in POSITION_KEYS for suffix in extra]
    )
    for row in matrix.rows:
        fields: list[str] = [
            row.doc.provider,
            row.doc.id,
            row.doc.tier or "",
            str(row.version or ""),
            iso(row.captured_at) or "",
        ]
        for key in POSITION_KEYS:
            cell = row.cell(key)
            data = cell.as_dict() if cell else {"value": None, "scope": None, "since": None}
            fields += [_csv_value(data["value"]), _csv_value(data["scope"]), data["since"] or ""]
            if evidence:
                fields.append(" | ".join(cell.position.evidence) if cell else "")
        writer.writerow(fields)
    return out.getvalue()


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


# -- HTML --------------------------------------------------------------------------------


def matrix_view(matrix: Matrix, link: bool = False) -> dict[str, Any]:
    """The matrix for the HTML templates (``link``: cells link to the document pages)."""
    rows = []
    for row in matrix.rows:
        page = f"{row.doc.provider}/{row.doc.id}/index.html"
        cells = []
        for key in POSITION_KEYS:
            cell = row.cell(key)
            cells.append(
                {
                    "key": key,
                    "text": cell_text(cell),
                    "stated": stated(cell),
                    "since": day(cell.since) if cell and stated(cell) else None,
                    "evidence": list(cell.position.evidence) if cell else [],
                    "href": f"{page}#pos-{key}" if link and row.cells else None,
                }
            )
        rows.append(
            {
                "provider": row.doc.provider_name,
                "provider_id": row.doc.provider,
                "document": row.doc.name,
                "id": f"{row.doc.provider}/{row.doc.id}",
                "tier": row.doc.tier,
                "version": version_label(row),
                "href": page if link else None,
                "cells": cells,
            }
        )
    return {
        "at": day(matrix.at),
        "columns": [{"key": k, "short": SHORT[k], "label": label(k)} for k in POSITION_KEYS],
        "rows": rows,
    }


def compare_html(matrix: Matrix, evidence: bool) -> str:
    return template("compare.html.j2").render(matrix=matrix_view(matrix), evidence=evidence)


# -- export ------------------------------------------------------------------------------


def positions_view(positions: dict[Any, Position]) -> list[dict[str, Any]]:
    return [
        {
            "key": k,
            "label": label(k),
            "text": position_phrase(p),
            "evidence": list(p.evidence),
        }
        for k, p in positions.items()
    ]


def export_view(e: Export) -> dict[str, Any]:
    return {
        "title": f"{e.doc.provider_name} {e.doc.name}",
        "id": e.doc.key,
        "data": e.as_dict(),
        "positions": positions_view(e.positions),
        "clauses": [
            {
                "key": k,
                "label": label(k),
                "text": c[0] if c else None,
                "source": c[1] if c else None,
            }
            for k, c in e.clauses.items()
        ],
        "blocks": blocks_from_text(e.text),
    }


def _md_block(kind: str, text: str, level: int) -> str:
    if kind == "heading":
        return "#" * min(6, 2 + max(1, level)) + " " + md(text)
    if kind == "item":
        return "  " * max(0, level - 1) + "- " + md(text)
    return md(text)


def export_markdown(e: Export) -> str:
    view = export_view(e)
    d = view["data"]
    lines = [
        f"# {md(view['title'])} — terms in force",
        "",
        "| provenance | |",
        "|---|---|",
        *(
            f"| {name} | {md(str(d[name])) if d[name] is not None else '—'} |"
            for name in ("url", "version", "captured_at", "origin", "snapshot_sha256")
            + ("archive_url", "tosmon_version", "rules")
        ),
        "",
        "## Positions",
        "",
        "| position | value | evidence |",
        "|---|---|---|",
        *(
            f"| {p['label']} | {md(p['text'])} | {'<br>'.join(md(s) for s in p['evidence'])} |"
            for p in view["positions"]
        ),
        "",
        "## Clauses",
    ]
    for c in view["clauses"]:
        lines += ["", f"### {c['label']}", ""]
        if c["text"] is None:
            lines.append("_Not addressed._")
        else:
            lines += [
                f"> {_md_block(b.kind, b.text, b.level)}\n>" for b in blocks_from_text(c["text"])
            ]
    lines += ["", "## Full text", ""]
    lines += [_md_block(b.kind, b.text, b.level) + "\n" for b in view["blocks"]]
    return "\n".join(lines).rstrip() + "\n"


def export_html(e: Export) -> str:
    return template("export.html.j2").render(**export_view(e))


def export_index(exports: Sequence[Export], names: Sequence[str], fmt: str) -> str:
    """The index of an ``export --all`` directory, in the files' format."""
    rows = [(e, name) for e, name in zip(exports, names, strict=True)]
    if fmt == "json":
        entries = [
            {
                k: e.as_dict()[k]
                for k in ("provider", "document", "version", "captured_at", "origin")
            }
            | {"file": n}
            for e, n in rows
        ]
        return dump_json({"documents": entries}) + "\n"
    if fmt == "html":
        return template("export_index.html.j2").render(
            rows=[
                {"title": f"{e.doc.provider_name} {e.doc.name}", "file": n, **e.as_dict()}
                for e, n in rows
            ]
        )
    lines = [
        "# Terms in force",
        "",
        "| document | version | captured_at | origin | file |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {md(e.doc.key)} | {e.version} | {iso(e.captured_at)} | {e.origin} | [{md(n)}]({n}) |"
        for e, n in rows
    ]
    return "\n".join(lines) + "\n"
