"""``tosmon site OUT_DIR``: a static site of the history, with Atom feeds.

Layout (fixed paths, relative links, no script, no external request)::

    OUT_DIR/index.html                          the compare matrix, providers, latest changes
    OUT_DIR/feed.atom                           every substantive change
    OUT_DIR/<provider>/index.html, feed.atom    a provider's documents and changes
    OUT_DIR/<provider>/<document>/index.html    positions with evidence (#pos-KEY), versions
                                                timeline, each change (#change-N) with its
                                                positions before → after and word-level diff,
                                                clause-by-clause history
    OUT_DIR/<provider>/<document>/feed.atom

Feeds follow RFC 4287: one entry per substantive change, ``id`` stable across rebuilds
(document, capture time, text hash), ``updated`` = captured_at. Pages carry no build
time, so rebuilding writes only files whose content changed (rsync-friendly).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .archive import format_timestamp
from .errors import TosmonError
from .model import Config, DocumentConfig, ProviderConfig
from .models import Change, Version
from .position_text import label
from .render import diff_view, inline, safe_url, template, when
from .report_render import matrix_view, position_phrase
from .reports import History, Matrix, compare, iso, position_moves

SITE_DIFF_LIMIT = 200  # sentences shown per change on a page; the rest points to `tosmon diff`
LATEST = 20  # changes listed on the index and provider pages
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0


class SiteError(TosmonError):
    """The output directory cannot be written."""


@dataclass
class SiteReport:
    written: int = 0
    unchanged: int = 0
    pages: int = 0
    feeds: int = 0
    entries: int = 0
    files: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    """One substantive change as the site shows it (page section and feed entry)."""

    doc: DocumentConfig
    number: int
    captured_at: datetime
    text_sha256: str
    view: dict[str, Any]

    @property
    def page(self) -> str:
        """The document page, relative to OUT_DIR."""
        return f"{self.doc.provider}/{self.doc.id}/index.html"

    @property
    def atom_id(self) -> str:
        stamp = format_timestamp(self.captured_at)
        return f"tag:tos-monitor,2024:{self.doc.key}/{stamp}/{self.text_sha256[:16]}"


# -- views -------------------------------------------------------------------------------


def change_view(
    history: History, doc: DocumentConfig, n: int, before: Version, version: Version, change: Change
) -> dict[str, Any]:
    summary = json.loads(change.summary)
    moves = position_moves(history, before, version)
    return {
        "n": n,
        "anchor": f"change-{n}",
        "title": f"{doc.provider_name} {doc.name}",
        "severity": (change.severity or "").upper(),
        "kind": change.kind,
        "observed": when(version.captured_at),
        "history": version.origin != "live",
        "clauses": list(summary.get("clauses") or []),
        "summary": summary.get("summary") or "",
        "positions": [
            {
                "label": label(k),
                "before": position_phrase(old),
                "after": position_phrase(new),
                "evidence_before": list(old.evidence),
                "evidence_after": list(new.evidence),
            }
            for k, old, new in moves
        ],
        "diff": diff_view(
            summary, f"tosmon diff {doc.provider} {doc.id} --to {n} --words", SITE_DIFF_LIMIT
        ),
    }


def document_page(history: History, doc: DocumentConfig, matrix: Matrix) -> dict[str, Any]:
    """Everything a document page shows, and its feed entries (newest first)."""
    stored = history.document(doc)
    versions = history.versions(stored.id) if stored else []
    changes = {c.to_version_id: c for c in _changes(history, stored.id)} if stored else {}
    timeline, entries = [], []
    for n, version in enumerate(versions, 1):
        change = changes.get(version.id)
        item: dict[str, Any] = {
            "n": n,
            "observed": when(version.captured_at),
            "origin": version.origin,
            "kind": change.kind if change else ("baseline" if n == 1 else "unchanged"),
            "change": None,
        }
        if change is not None and change.kind == "substantive":
            view = change_view(history, doc, n, versions[n - 2], version, change)
            item["change"] = view
            entries.append(Entry(doc, n, version.captured_at, version.text_sha256, view))
        timeline.append(item)
    row = next(r for r in matrix.rows if r.doc == doc)
    cells = matrix_view(Matrix(matrix.at, (row,)))["rows"][0]["cells"]
    clause_history: dict[str, list[dict[str, Any]]] = {}
    for e in reversed(entries):
        for key in e.view["clauses"] or ["(outside clauses)"]:
            clause_history.setdefault(key, []).append(e.view)
    return {
        "doc": _doc_view(doc),
        "version": row.version,
        "captured": when(row.captured_at),
        "positions": [{**c, "label": label(c["key"])} for c in cells],
        "timeline": list(reversed(timeline)),
        "changes": [e.view for e in reversed(entries)],
        "clause_history": [{"key": k, "changes": v} for k, v in clause_history.items()],
        "entries": list(reversed(entries)),
    }


def _changes(history: History, document_id: int) -> Sequence[Change]:
    from . import store

    return list(store.changes_by_version(history.s, document_id).values())


def _doc_view(doc: DocumentConfig) -> dict[str, Any]:
    return {
        "provider": doc.provider_name,
        "provider_id": doc.provider,
        "name": doc.name,
        "id": doc.id,
        "tier": doc.tier,
        "url": safe_url(doc.url),
        "url_text": doc.url,
    }


def entry_view(e: Entry, prefix: str) -> dict[str, Any]:
    """A change in a list of latest changes (links relative to the page at ``prefix``)."""
    return {
        **e.view,
        "document": f"{e.doc.provider_name} {e.doc.name}",
        "href": f"{prefix}{e.page}#{e.view['anchor']}",
        "captured_at": e.captured_at,
    }


# -- feeds -------------------------------------------------------------------------------


def feed(entries: Sequence[Entry], title: str, path: str, page: str, base_url: str | None) -> str:
    """An Atom feed of ``entries`` at OUT_DIR/``path`` whose page is OUT_DIR/``page``."""

    def href(target: str) -> str:
        if base_url:
            return base_url.rstrip("/") + "/" + target
        depth = path.count("/")
        return "../" * depth + target

    macros: Any = template("_site_change.html.j2").module
    newest = max((e.captured_at for e in entries), default=EPOCH)
    items = [
        {
            "id": e.atom_id,
            "title": inline(f"[{e.view['severity']}] {e.view['title']}: {e.view['summary']}"),
            "updated": iso(e.captured_at),
            "href": href(f"{e.page}#{e.view['anchor']}"),
            "content": _NOT_XML.sub("", str(macros.change(e.view, False))),
        }
        for e in sorted(entries, key=lambda x: x.captured_at, reverse=True)
    ]
    return template("feed.atom.j2").render(
        id=f"tag:tos-monitor,2024:feed/{path}",
        title=title,
        updated=iso(newest),
        self_href=href(path),
        page_href=href(page),
        entries=items,
    )


# -- writing -----------------------------------------------------------------------------


def write_if_changed(root: Path, relative: str, text: str, report: SiteReport) -> None:
    path = root / relative
    data = text.encode("utf-8")
    try:
        if path.is_file() and path.read_bytes() == data:
            report.unchanged += 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            report.written += 1
    except OSError as exc:
        raise SiteError(f"cannot write {path}: {exc.strerror or exc}") from exc
    report.files.append(path)


def build_site(
    history: History, config: Config, out_dir: Path, base_url: str | None = None
) -> SiteReport:
    """Write the site for every configured document to ``out_dir``."""
    report = SiteReport()
    docs = config.documents()
    matrix = compare(history, docs)
    latest = max((r.captured_at for r in matrix.rows if r.captured_at), default=None)
    matrix = Matrix(latest or EPOCH, matrix.rows)
    pages = {d.key: document_page(history, d, matrix) for d in docs}
    every: list[Entry] = [e for p in pages.values() for e in p["entries"]]
    for doc in docs:
        page, base = pages[doc.key], f"{doc.provider}/{doc.id}/"
        html = template("site_document.html.j2").render(page=page, root="../../")
        write_if_changed(out_dir, base + "index.html", html, report)
        title = f"{doc.provider_name} {doc.name} — tos-monitor"
        atom = feed(page["entries"], title, base + "feed.atom", base + "index.html", base_url)
        write_if_changed(out_dir, base + "feed.atom", atom, report)
    for provider in config.providers:
        _write_provider(out_dir, provider, matrix, every, base_url, report)
    html = template("site_index.html.j2").render(
        matrix=_matrix_for(matrix, ""),
        providers=config.providers,
        latest=[entry_view(e, "") for e in _newest(every)],
        root="",
    )
    write_if_changed(out_dir, "index.html", html, report)
    atom = feed(every, "tos-monitor: all changes", "feed.atom", "index.html", base_url)
    write_if_changed(out_dir, "feed.atom", atom, report)
    report.pages = report.feeds = len(docs) + len(config.providers) + 1
    report.entries = len(every)
    return report


def _write_provider(
    out_dir: Path,
    provider: ProviderConfig,
    matrix: Matrix,
    every: Sequence[Entry],
    base_url: str | None,
    report: SiteReport,
) -> None:
    """A provider's page (its rows of the matrix, its latest changes) and feed."""
    mine = [e for e in every if e.doc.provider == provider.id]
    rows = tuple(r for r in matrix.rows if r.doc.provider == provider.id)
    html = template("site_provider.html.j2").render(
        provider=provider,
        matrix=_matrix_for(Matrix(matrix.at, rows), "../"),
        latest=[entry_view(e, "../") for e in _newest(mine)],
        root="../",
    )
    base = f"{provider.id}/"
    write_if_changed(out_dir, base + "index.html", html, report)
    title = f"{provider.name} — tos-monitor"
    atom = feed(mine, title, base + "feed.atom", base + "index.html", base_url)
    write_if_changed(out_dir, base + "feed.atom", atom, report)


def _newest(entries: Sequence[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: e.captured_at, reverse=True)[:LATEST]


def _matrix_for(matrix: Matrix, prefix: str) -> dict[str, Any]:
    """The matrix view with links made relative to a page ``prefix`` deep."""
    view = matrix_view(matrix, link=True)
    for row in view["rows"]:
        row["href"] = prefix + row["href"] if row["href"] else None
        for cell in row["cells"]:
            cell["href"] = prefix + cell["href"] if cell["href"] else None
    return view
