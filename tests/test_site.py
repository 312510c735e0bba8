"""`tosmon site OUT_DIR`: pages, Atom feeds read by a real feed reader, links, rebuilds."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import feedparser
import pytest
from history_fixture import ACME_URL, HOSTILE, Built, acme, build, run, run_json
from wayback import FakeWayback

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def archive() -> Iterator[FakeWayback]:
    with FakeWayback() as server:
        yield server


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, archive: FakeWayback) -> Built:
    return build(tmp_path_factory.mktemp("site"), archive)


@pytest.fixture(scope="module")
def site(built: Built) -> Path:
    out = built.config.parent / "public"
    run(built.config, "site", str(out))
    return out


class Links(HTMLParser):
    """Every href/src of a page, and every id it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
            if name == "id" and value is not None:
                self.ids.add(value)


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def substantive(built: Built, provider: str, document: str) -> list[dict[str, object]]:
    versions = run_json(built.config, "history", provider, document, "--json")["versions"]
    return [v for v in versions if v["change"] and v["change"]["kind"] == "substantive"]


def test_pages_and_feeds_are_at_fixed_paths(site: Path) -> None:
    """The index, a page per provider and per document, and a feed beside each."""
    for folder in ("", "acme/", "beta/", "acme/terms/", "beta/privacy/"):
        assert (site / f"{folder}index.html").is_file()
        assert (site / f"{folder}feed.atom").is_file()


def test_every_internal_link_resolves(site: Path) -> None:
    """Every relative link of every page opens an existing file, and its #fragment an id
    on that page; the only absolute links are the watched documents' own URLs."""
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 5
    checked = 0
    for page in pages:
        for link in parse(page).links:
            parts = urlsplit(link)
            if parts.scheme:
                assert link in (ACME_URL, "https://beta.test/privacy"), f"{page}: {link}"
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page}: {link} → {target}"
            if parts.fragment:
                assert parts.fragment in parse(target).ids, f"{page}: #{parts.fragment} missing"
            checked += 1
    index = set(parse(site / "index.html").links)
    assert {"acme/index.html", "beta/index.html", "acme/terms/index.html"} <= index
    assert "acme/terms/index.html#pos-retention_days" in index  # a matrix cell → its evidence
    assert "#change-2" in parse(site / "acme/terms/index.html").links
    assert checked >= 5 * 3  # every page links at least home, its feed and onwards


def test_feeds_parse_and_hold_one_entry_per_substantive_change(built: Built, site: Path) -> None:
    """Each feed parses cleanly with feedparser; entries match the substantive changes of
    the history (titles = summaries, updated = captured_at), newest first, each linking to
    its change on the document page."""
    changes = substantive(built, "acme", "terms")
    assert len(changes) == 2
    for path in ("feed.atom", "acme/feed.atom", "acme/terms/feed.atom"):
        parsed = feedparser.parse((site / path).read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.feed.title and parsed.feed.updated == "2024-06-01T00:00:00Z"
        entries = parsed.entries
        assert [e.updated for e in entries] == [c["captured_at"] for c in reversed(changes)]
        for entry, change in zip(entries, reversed(changes), strict=True):
            summary = change["change"]["summary"]  # type: ignore[index]
            assert entry.title.endswith(f"Acme Terms of Service: {summary}")
            assert entry.link.endswith(f"acme/terms/index.html#change-{change['version']}")
            assert summary in entry.content[0].value
    alternates = [
        link.href
        for link in feedparser.parse((site / "acme/terms/feed.atom").read_bytes()).feed.links
        if link.rel == "alternate"
    ]
    assert [urljoin("/acme/terms/feed.atom", a) for a in alternates] == ["/acme/terms/index.html"]
    assert feedparser.parse((site / "beta/feed.atom").read_bytes()).entries == []


def test_document_page_shows_positions_timeline_and_each_change(site: Path) -> None:
    """The document page lists positions with evidence, every version, each change with its
    position before → after and a word-level diff, and clause-by-clause history."""
    html = (site / "acme/terms/index.html").read_text(encoding="utf-8")
    assert 'id="pos-retention_days"' in html and "Acme retains Customer Content for 90" in html
    assert all(f"<td>v{n}</td>" in html for n in (1, 2, 3))
    change = html[html.index('id="change-2"') :]
    assert "<del>30 days</del>" in change and "<ins>90 days</ins>" in change
    assert "<del>30</del>" in change and "<ins>90</ins>" in change  # the word-level diff
    assert "<h3>retention</h3>" in html


def test_page_text_is_escaped_and_nothing_is_loaded_from_elsewhere(site: Path) -> None:
    """Markup quoted from a watched page is text on the site and in feeds; pages have no
    script, no image, no stylesheet or font from elsewhere."""
    for page in site.rglob("*.html"):
        tags = parse(page).tags
        assert not tags & {"script", "img", "iframe", "object", "embed"}, page
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text and "@import" not in text and "url(" not in text
    html = (site / "acme/terms/index.html").read_text(encoding="utf-8")
    assert HOSTILE not in html and "&lt;script&gt;alert(&#39;PWNED&#39;)&lt;/script&gt;" in html
    raw = (site / "acme/terms/feed.atom").read_text(encoding="utf-8")
    assert "<script" not in raw and "&lt;script" not in raw  # escaped twice: text in HTML in XML
    content = feedparser.parse(raw.encode()).entries[0].content[0].value
    assert "&lt;script&gt;alert(" in content and "<script" not in content


def test_rebuilding_rewrites_only_what_changed(tmp_path: Path) -> None:
    """A second build writes nothing; a new capture of one document rewrites its page and
    feed, its provider's, the index and the global feed — never the other provider's."""
    with FakeWayback() as archive:
        built = build(tmp_path, archive)
        out = tmp_path / "public"
        run(built.config, "site", str(out))
        stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
        again = run(built.config, "site", str(out)).stdout
        archive.add(ACME_URL, "20240901000000", acme(45, "September 1, 2024"))
        run(built.config, "backfill")
    assert "0 file(s) written, 10 unchanged" in again
    report = run(built.config, "site", str(out)).stdout
    assert "6 file(s) written, 4 unchanged" in report
    changed = {p.relative_to(out).as_posix() for p in stamps if p.stat().st_mtime_ns != stamps[p]}
    assert changed == {
        "index.html", "feed.atom", "acme/index.html", "acme/feed.atom",
        "acme/terms/index.html", "acme/terms/feed.atom",
    }  # fmt: skip
    ids = [e.id for e in feedparser.parse((out / "feed.atom").read_bytes()).entries]
    assert len(ids) == 3 and len(set(ids)) == 3
    first = feedparser.parse((out / "acme/terms/feed.atom").read_bytes()).entries
    assert [e.updated for e in first][0] == "2024-09-01T00:00:00Z"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed")
def test_index_and_a_document_page_render_in_a_headless_browser(site: Path, tmp_path: Path) -> None:
    """The index and a document page open in headless Chromium with the matrix visible
    (its cells in the rendered DOM); screenshots go to test-artifacts/."""
    exe = chromium()
    assert exe is not None
    ARTIFACTS.mkdir(exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update"]  # fmt: skip
    for name, page in (
        ("site-index", site / "index.html"),
        ("site-doc", site / "acme/terms/index.html"),
    ):
        dom = subprocess.run(
            [exe, *flags, f"--user-data-dir={tmp_path / name}", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert dom.returncode == 0, dom.stderr
        assert re.search(r"<table class=\"matrix\">", dom.stdout) and "90 days" in dom.stdout
        shot = ARTIFACTS / f"{name}.png"
        subprocess.run(
            [exe, *flags, f"--user-data-dir={tmp_path / (name + '-shot')}",
             f"--screenshot={shot}", "--window-size=1280,900", page.as_uri()],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_site_refuses_an_output_path_that_is_a_file(built: Built, tmp_path: Path) -> None:
    """OUT_DIR must be a directory: a file there is a usage error, nothing is written."""
    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    result = run(built.config, "site", str(target), ok=False)
    assert result.exit_code == 2 and "is a file" in result.output
    assert target.read_text(encoding="utf-8") == "x"


def test_base_url_makes_feed_links_absolute(built: Built, tmp_path: Path) -> None:
    """With --base-url, every link of a feed is absolute under that URL."""
    out = tmp_path / "abs"
    run(built.config, "site", str(out), "--base-url", "https://terms.example/watch/")
    parsed = feedparser.parse((out / "acme/terms/feed.atom").read_bytes())
    links = [link.href for link in parsed.feed.links] + [e.link for e in parsed.entries]
    assert "https://terms.example/watch/acme/terms/feed.atom" in links
    assert all(link.startswith("https://terms.example/watch/acme/terms/") for link in links)
