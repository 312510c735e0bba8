"""Listing a document's archived captures: every CDX page of it, never cut silently.

    wayback: ask with ``showResumeKey``; follow each ``resumeKey`` the archive sends.
    pywb:    ask with ``showNumPages``; a paged (ZipNum) index answers its page count and
             each ``page`` is fetched; a plain index answers rows.
    Then, unless the archive paged for us, continue ``from`` the last timestamp listed
    while that brings new captures: pywb's ``query_limit`` (and any server limit) cuts an
    answer without saying so. The Internet Archive is only asked again when an answer
    filled the whole page.

What cannot be listed in full becomes a warning of the backfill report: an archive that
ignores ``from`` (so the listing may stop at its limit), too many queries, or only rows
that are not captures of the page (pywb's fuzzy matches when nothing matches the query,
redirects, errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .archive import (
    PAGE_ROWS,
    ArchivedCapture,
    ArchiveLayout,
    CdxAnswer,
    cdx_url,
    collapse_digests,
    in_range,
    read_cdx,
)
from .fetch import Fetcher

MAX_QUERIES = 500  # CDX queries per document and backfill


@dataclass
class Listing:
    """A document's captures in range, oldest first, and what kept it from being whole."""

    captures: list[ArchivedCapture] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    queries: int = 0


@dataclass
class _Lister:
    fetcher: Fetcher
    where: ArchiveLayout
    url: str
    since: date | None
    until: date | None
    page_rows: int
    found: dict[str, ArchivedCapture] = field(default_factory=dict)
    queries: int = 0
    dropped: int = 0  # rows not usable: fuzzy matches, other statuses

    async def ask(
        self,
        start: str | None = None,
        resume_key: str | None = None,
        page: int | None = None,
        count_pages: bool = False,
    ) -> CdxAnswer:
        """One CDX query; a failed one raises its FetchError (ArchiveError if unreadable)."""
        self.queries += 1
        query = cdx_url(
            self.where,
            self.url,
            self.since,
            self.until,
            start=start,
            resume_key=resume_key,
            page=page,
            count_pages=count_pages,
        )
        result = await self.fetcher.fetch(query)
        if result.error is not None:
            raise result.error
        answer = read_cdx(result.content or b"")
        self.dropped += answer.rows - len(answer.captures)
        return answer

    def add(self, answer: CdxAnswer) -> int:
        """Keep the answer's captures; how many were new."""
        new = [c for c in answer.captures if c.timestamp not in self.found]
        for capture in new:
            self.found[capture.timestamp] = capture
        return len(new)


async def list_captures(
    fetcher: Fetcher,
    where: ArchiveLayout,
    url: str,
    since: date | None = None,
    until: date | None = None,
    page_rows: int = PAGE_ROWS,
) -> Listing:
    """Every capture of ``url`` in [since, until]; raises FetchError when a query fails."""
    lister = _Lister(fetcher, where, url, since, until, page_rows)
    warnings: list[str] = []
    if where.kind == "pywb":
        first = await lister.ask(count_pages=True)
        if first.pages is not None:
            for page in range(min(first.pages, MAX_QUERIES)):
                lister.add(await lister.ask(page=page))
            if first.pages > MAX_QUERIES:
                warnings.append(_too_many())
        else:
            lister.add(first)
            await _continue(lister, warnings)
    else:
        answer = await lister.ask()
        lister.add(answer)
        while answer.resume_key is not None and lister.queries < MAX_QUERIES:
            answer = await lister.ask(resume_key=answer.resume_key)
            lister.add(answer)
        if answer.resume_key is not None:
            warnings.append(_too_many())
        elif answer.rows >= page_rows:
            await _continue(lister, warnings)
    captures = [c for c in lister.found.values() if in_range(c, since, until)]
    if not captures and lister.dropped:
        warnings.append(
            f"the archive has no successful capture of {url}, only {lister.dropped} row(s) "
            "of fuzzy matches or other statuses (ignored); check the document's url"
        )
    return Listing(collapse_digests(captures), warnings, lister.queries)


async def _continue(lister: _Lister, warnings: list[str]) -> None:
    """Ask again from the last timestamp listed while that brings new captures."""
    while lister.found:
        if lister.queries >= MAX_QUERIES:
            warnings.append(_too_many())
            return
        cursor = max(lister.found)
        answer = await lister.ask(start=cursor)
        if lister.add(answer):
            continue
        if any(c.timestamp < cursor for c in answer.captures):
            warnings.append(
                f"the archive ignores from= in CDX queries, so this listing may stop at its "
                f"row limit: {len(lister.found)} captures listed, the last at {cursor}"
            )
        return


def _too_many() -> str:
    return f"listing stopped after {MAX_QUERIES} CDX queries: later captures are not listed"
