#!/usr/bin/env python3
"""The benchmark's page server: N distinct legal pages on 127.0.0.1, built from real pages.

    python bench/pageserver.py --pages ../shared/corpus/pages --n 500   # prints "listening on URL"

Runs in its own process (so its CPU is not counted against the client) on ``LocalServer``
from ``tests/servers.py``. Document ``i`` is real page ``i % len(pages)`` (HTML pages of
the corpus manifest; ``--with-pdf`` adds the PDF) with a small textual variation: a
sentence of its selected region gains the words "copy k", so the N texts are distinct.

Every page also carries *tracking tokens* as real sites do (a CSRF meta tag, a request
id and build id in an inline script, ``nonce`` attributes, a hashed asset URL, a hidden
form token); they depend on the server's *generation*.

Control routes (GET):

* ``/_docs`` — JSON list of documents: path, slug, provider, select, remove, content type;
* ``/_validators?on=0|1`` — send ETag/Last-Modified and answer conditional requests
  with 304 (on, the default), or send neither and always answer 200;
* ``/_churn`` — next generation: every page's tokens rotate, and 10 % of the documents
  (a different tenth each time) get a word change in their selected region;
* ``/_reset`` — back to generation 0 (same bytes as at start).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import threading
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, NavigableString

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers import LocalServer, Reply, Request  # noqa: E402

CHURN_FRACTION = 10  # one document in ten changes its words per churn


@dataclass
class BasePage:
    entry: dict[str, Any]
    raw: str  # HTML text (latin-1 round trip for the PDF)
    content_type: str
    sentences: list[tuple[int, str]]  # (offset in raw, text): visible text nodes to edit


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)


def visible_sentences(raw: str, select: list[str], remove: list[str]) -> list[tuple[int, str]]:
    """Long visible text nodes of the selected region, found verbatim once in ``raw`` outside
    scripts (a Next.js payload repeats the text in JSON), as (offset, text)."""
    scripts = [m.span() for m in _SCRIPT.finditer(raw)]
    soup = BeautifulSoup(raw, "lxml")
    for sel in remove:
        for el in soup.select(sel):
            el.decompose()
    roots = [el for sel in select for el in soup.select(sel)] or [soup]
    out: list[tuple[int, str]] = []
    for root in roots:
        for node in root.descendants:
            if not isinstance(node, NavigableString) or type(node) is not NavigableString:
                continue
            if node.parent is None or node.parent.name in ("script", "style", "noscript"):
                continue
            text = str(node)
            if len(text.strip()) < 60 or " " not in text:
                continue
            where = [m.start() for m in re.finditer(re.escape(text), raw)]
            where = [w for w in where if not any(a <= w < b for a, b in scripts)]
            if len(where) == 1:
                out.append((where[0], text))
    return sorted(set(out))


def load_pages(folder: Path, with_pdf: bool) -> list[BasePage]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    pages = []
    for entry in manifest:
        data = (folder / entry["file"]).read_bytes()
        if entry["file"].endswith(".pdf"):
            if with_pdf:
                pages.append(BasePage(entry, data.decode("latin-1"), "application/pdf", []))
            continue
        raw = data.decode("utf-8")
        sentences = visible_sentences(raw, entry["select"], entry["remove"])
        if len(sentences) < 2:
            print(f"skipping {entry['file']}: no editable sentence", file=sys.stderr)
            continue
        pages.append(BasePage(entry, raw, "text/html; charset=utf-8", sentences))
    return pages


def token(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


_NONCE = re.compile(r'nonce="[^"]*"')


def render(page: BasePage, copy: int, index: int, generation: int, revision: int) -> bytes:
    """The bytes of document ``index`` (copy ``copy`` of ``page``) at ``generation``.

    ``revision`` counts the word changes this document has had (0: original wording).
    """
    tok = token(index, generation)
    if page.content_type == "application/pdf":  # no editable text: a trailing comment
        return (page.raw + f"\n%copy {copy} {tok[:32]}\n").encode("latin-1")
    edits = [(page.sentences[0], f" This is copy {copy} of the page. ")]
    if revision:
        target = page.sentences[1 + (revision - 1) % (len(page.sentences) - 1)]
        edits.append((target, f" The provider revised these words in revision {revision}. "))
    html = page.raw
    for (offset, text), words in sorted(edits, reverse=True):
        end = offset + len(text)
        html = html[:offset] + text.rstrip() + words + html[end:]
    html = _NONCE.sub(f'nonce="{tok[:22]}"', html)
    head = (
        f'<meta name="csrf-token" content="{tok[:40]}">'
        f'<script nonce="{tok[:22]}">window.__REQUEST_ID="{tok[22:54]}";'
        f'window.__BUILD_ID="{tok[54:64]}";</script>'
        f'<link rel="stylesheet" href="/static/app.css?v={tok[:12]}">'
    )
    tail = f'<form hidden><input type="hidden" name="authenticity_token" value="{tok}"></form>'
    html = re.sub(r"<head[^>]*>", lambda m: m.group(0) + head, html, count=1)
    html = html.replace("</body>", tail + "</body>", 1) if "</body>" in html else html + tail
    return html.encode("utf-8")


class Site:
    """N documents, their current bytes, and the switches of the control routes."""

    def __init__(self, pages: list[BasePage], n: int) -> None:
        self.pages = pages
        self.n = n
        self.validators = True
        self.generation = 0
        self.revisions = [0] * n
        self.lock = threading.Lock()
        self.bodies: list[tuple[bytes, str, str]] = []  # bytes, etag, last-modified
        self._build()

    def doc(self, i: int) -> tuple[BasePage, int]:
        return self.pages[i % len(self.pages)], i // len(self.pages)

    def _build(self) -> None:
        bodies = []
        for i in range(self.n):
            page, copy = self.doc(i)
            data = render(page, copy, i, self.generation, self.revisions[i])
            etag = '"' + hashlib.sha1(data).hexdigest()[:20] + '"'
            modified = formatdate(1_750_000_000 + 86_400 * self.generation, usegmt=True)
            bodies.append((data, etag, modified))
        self.bodies = bodies

    def churn(self) -> dict[str, Any]:
        with self.lock:
            self.generation += 1
            changed = [i for i in range(self.n) if i % CHURN_FRACTION == self.generation % 10]
            changed = [i for i in changed if self.doc(i)[0].sentences]
            for i in changed:
                self.revisions[i] += 1
            self._build()
            return {"generation": self.generation, "word_changes": len(changed)}

    def reset(self) -> dict[str, Any]:
        with self.lock:
            self.generation, self.revisions = 0, [0] * self.n
            self._build()
            return {"generation": 0}

    def reply(self, i: int) -> Reply:
        data, etag, modified = self.bodies[i]
        page, _ = self.doc(i)
        if self.validators:
            return Reply(
                body=data, content_type=page.content_type, etag=etag, last_modified=modified
            )
        return Reply(body=data, content_type=page.content_type)

    def docs(self) -> list[dict[str, Any]]:
        out = []
        for i in range(self.n):
            page, copy = self.doc(i)
            e = page.entry
            out.append(
                {
                    "path": f"/d/{i}",
                    "slug": f"{e['slug']}-{copy}",
                    "provider": e["provider"],
                    "select": e["select"],
                    "remove": e["remove"],
                    "content_type": page.content_type,
                    "bytes": len(self.bodies[i][0]),
                }
            )
        return out


def _json(data: Any) -> Reply:
    return Reply(body=json.dumps(data), content_type="application/json")


def serve(pages: Path, n: int, with_pdf: bool) -> LocalServer:
    site = Site(load_pages(pages, with_pdf), n)
    server = LocalServer()
    for i in range(n):
        server.route(f"/d/{i}", lambda req, i=i: site.reply(i))
    server.route("/_docs", lambda req: _json(site.docs()))

    def validators(req: Request) -> Reply:
        site.validators = req.query.get("on", "1") == "1"
        return _json({"validators": site.validators})

    server.route("/_validators", validators)
    server.route("/_churn", lambda req: _json(site.churn()))
    server.route("/_reset", lambda req: _json(site.reset()))
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, required=True)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--with-pdf", action="store_true")
    args = parser.parse_args()
    server = serve(args.pages, args.n, args.with_pdf)
    server.requests = _Discard()  # type: ignore[assignment]  # no per-request memory
    server.start()
    print(f"listening on {server.url('')}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


class _Discard(list):  # type: ignore[type-arg]
    def append(self, item: object) -> None:
        pass


if __name__ == "__main__":
    main()
