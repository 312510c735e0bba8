#!/usr/bin/env python3
"""A floor for the check cycles: fetch every page of the benchmark's server once with httpx,
the HTTP client tos-monitor uses, and do nothing else (no parsing, no storing).

    python bench/fetch_floor.py BASE_URL [--concurrency 8]

``bench/run.py`` runs it as a process of its own after the churn cycle, on the same server
and bytes as the churn cycles of tos-monitor and urlwatch, so its wall time (Python start-up
and the import of httpx included, as theirs are) is what a check whose every other step cost
nothing would take. It prints the pages and bytes fetched as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import httpx


async def fetch_all(base: str, concurrency: int) -> tuple[int, int]:
    """(pages, bytes) of every document listed by ``BASE/_docs``, each fetched once, at most
    ``concurrency`` at a time on one client (one host: ``per_host`` is the same bound)."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=60) as client:
        docs = (await client.get(base + "/_docs")).json()

        async def one(path: str) -> int:
            async with limit:
                reply = await client.get(base + path)
                reply.raise_for_status()
                return len(reply.content)

        sizes = await asyncio.gather(*(one(d["path"]) for d in docs))
    return len(sizes), sum(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the page server's URL (bench/pageserver.py)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    pages, size = asyncio.run(fetch_all(args.base.rstrip("/"), args.concurrency))
    print(json.dumps({"pages": pages, "bytes": size}))


if __name__ == "__main__":
    main()
