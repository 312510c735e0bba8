#!/usr/bin/env python3
"""tos-monitor benchmark: check cycles, startup, backfill, storage, clause history, urlwatch.

    python bench/run.py [--n 500] [--shared ../shared] [--skip urlwatch,backfill,...]

Writes one markdown table to stdout and to ``bench/results/latest.md`` (gitignored).
See ``bench/README.md`` for what each row measures and how.

Every ``tosmon`` (and ``urlwatch``) run is a subprocess reaped with ``os.wait4``, so its
CPU time (user + system) and peak RSS are its own; the page server
(``bench/pageserver.py``) runs in another process and is not counted.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import Cycle, Run, load_saved, readme_rows, save, table  # noqa: E402
from rss import TreeRss  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SHARED = REPO.parent / "shared"
URLWATCH_VENV = Path(os.environ.get("URLWATCH_VENV", "/tmp/urlwatch-venv"))
STEPS = ("check", "urlwatch", "startup", "stages", "backfill", "storage", "history", "memory")


# -- processes -------------------------------------------------------------------------------


def measure(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd``; its wall time, CPU seconds (``wait4``: with its reaped descendants), peak
    RSS of its largest process (``wait4``) and of its process tree summed (``/proc``)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env)
        with TreeRss(proc.pid) as tree:
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0,) and b"urlwatch" not in " ".join(cmd).encode():
        sys.stderr.write(stderr.decode(errors="replace")[-3000:])
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        code=proc.returncode,
        tree_rss_mb=tree.peak_mb,
        stdout=stdout,
    )


@contextmanager
def background(cmd: list[str]) -> Iterator[str]:
    """Start a server printing "listening on URL"; yield the URL; terminate it."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if match is None:
            raise RuntimeError(f"{cmd[1]} did not start: {line!r}")
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=600) as response:
        return json.loads(response.read())


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- the machine -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(),
        "versions": libraries(),
    }


LIBRARIES = (
    "tos-monitor",
    "lxml",
    "beautifulsoup4",
    "soupsieve",
    "cssselect",
    "selectolax",
    "SQLAlchemy",
    "httpx",
    "zstandard",
    "pypdf",
)


def libraries() -> str:
    """Versions of the libraries that do the measured work (those installed)."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found)


# -- check cycles ----------------------------------------------------------------------------


def provider_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def write_sources(
    folder: Path, base: str, docs: list[dict[str, Any]], concurrency: int, name: str = "sources"
) -> Path:
    """A sources.toml for the served documents (all on one host: per_host = concurrency)."""
    lines = [
        "[monitor]",
        f'database = "sqlite:///{folder / "tosmon.db"}"',
        f"concurrency = {concurrency}",
        f"per_host = {concurrency}",
        "timeout = 120",
        "retries = 1",
        "backoff = 0.1",
    ]
    providers: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        providers.setdefault(provider_id(doc["provider"]), []).append(doc)
    for pid, entries in providers.items():
        lines += ["", f"[providers.{pid}]", f'name = "{entries[0]["provider"]}"']
        for doc in entries:
            lines += [
                "",
                f"[providers.{pid}.documents.{doc['slug']}]",
                f'name = "{doc["slug"]}"',
                f'url = "{base}{doc["path"]}"',
                f"select = {json.dumps(doc['select'])}",
                f"remove = {json.dumps(doc['remove'])}",
            ]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def outcomes_since(db: Path, after_id: int) -> tuple[dict[str, int], int]:
    """Outcome counts of live attempts with id > ``after_id``; and the new max id."""
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT outcome, count(*) FROM fetch_attempts WHERE id > ? GROUP BY outcome",
            (after_id,),
        ).fetchall()
        top = con.execute("SELECT coalesce(max(id), 0) FROM fetch_attempts").fetchone()[0]
    return dict(rows), int(top)


def tosmon(*args: str) -> list[str]:
    """``python -P -m monitor ARGS``: the installed package (or ``--snapshot``'s copy on
    PYTHONPATH), never the source tree of the current directory (``-P``: a run from the
    checkout would otherwise import ``./monitor``, which has no ``monitor.migrations``)."""
    return [sys.executable, "-P", "-m", "monitor", *args]


def profiled(out: Path, args: list[str]) -> list[str]:
    """``tosmon ARGS`` under bench/profiling.py (cProfile of every thread, written to ``out``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return [sys.executable, "-P", str(HERE / "profiling.py"), str(out), "-m", "monitor", *args]


@dataclass(frozen=True)
class Code:
    """The tos-monitor that ``tosmon(...)`` runs: where it is and how it relates to here."""

    path: str  # the imported package folder
    version: str
    describe: str  # git describe of the checkout (or the snapshot's commit)
    differs: tuple[str, ...]  # checkout files whose installed copy is different or missing

    def label(self) -> str:
        if self.path.startswith(str(REPO / "monitor")):
            return f"checkout {self.describe} (editable install)"
        where = f"tos-monitor {self.version} at {self.path}"
        if not self.differs:
            return f"{where} (same files as checkout {self.describe})"
        return f"{where}, NOT the checkout {self.describe}: {len(self.differs)} files differ"


_PROBE = """
import importlib.metadata as md, json, monitor, monitor.migrations, monitor.templates
print(json.dumps([monitor.__path__[0], md.version("tos-monitor")]))
"""


def code_under_test() -> Code:
    """Import the package the way the measured commands will (``-P``), with its migrations
    and templates; compare its ``.py`` files with the checkout's ``monitor/``."""
    probe = subprocess.run(
        [sys.executable, "-P", "-c", _PROBE], capture_output=True, text=True, cwd=REPO
    )
    if probe.returncode != 0:
        raise SystemExit(
            f"{sys.executable} cannot import tos-monitor with its migrations:\n"
            f"{probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else ''}\n"
            "install it into this interpreter first: pip install . (or pip install -e .)"
        )
    path, version = json.loads(probe.stdout)
    installed = Path(path)
    differs = tuple(
        str(f.relative_to(REPO))
        for f in sorted((REPO / "monitor").glob("*.py"))
        if not (installed / f.name).is_file() or (installed / f.name).read_bytes() != f.read_bytes()
    )
    describe = (
        os.environ.get("TOSMON_BENCH_CODE")
        or subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    return Code(path, version, describe or "?", differs)


def cheapest(cmd: list[str], repeat: int = 5) -> Run:
    """The run of least CPU among ``repeat`` runs of ``cmd`` (the others met more noise)."""
    runs = [measure(cmd) for _ in range(repeat)]
    return min(runs, key=lambda r: r.cpu)


def urlwatch_bin() -> Path:
    """urlwatch in its own virtualenv (created on first use, never in the project's)."""
    exe = URLWATCH_VENV / "bin" / "urlwatch"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(URLWATCH_VENV)], check=True)
        subprocess.run(
            [str(URLWATCH_VENV / "bin" / "pip"), "install", "-q", "urlwatch", "lxml", "cssselect"],
            check=True,
        )
    return exe


def urlwatch_version(exe: Path) -> str:
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
    return out.stdout.strip()


def write_urlwatch(folder: Path, base: str, docs: list[dict[str, Any]]) -> list[str]:
    """urls.yaml (css selector with exclude, then html2text), config, cache in ``folder``."""
    jobs = []
    for doc in docs:
        css: dict[str, Any] = {"selector": ", ".join(doc["select"])}
        if doc["remove"]:
            css["exclude"] = ", ".join(doc["remove"])
        jobs.append(
            json.dumps(
                {
                    "name": doc["slug"],
                    "url": base + doc["path"],
                    "filter": [{"css": css}, "html2text"],
                }
            )
        )
    (folder / "urls.yaml").write_text("\n---\n".join(jobs) + "\n", encoding="utf-8")
    config = {
        "display": {"new": True, "error": True, "unchanged": False, "empty-diff": False},
        "report": {
            "text": {"details": True, "footer": False, "line_length": 75, "minimal": False},
            "stdout": {"enabled": True, "color": False},
            "html": {"diff": "unified"},
            "markdown": {"details": True, "footer": False, "minimal": False},
            "email": {"enabled": False},
        },
        "job_defaults": {"all": {}, "shell": {}, "url": {}, "browser": {}},
    }
    (folder / "urlwatch.yaml").write_text(json.dumps(config), encoding="utf-8")
    return [
        "--urls",
        str(folder / "urls.yaml"),
        "--config",
        str(folder / "urlwatch.yaml"),
        "--hooks",
        str(folder / "hooks.py"),
        "--cache",
        str(folder / "cache.db"),
    ]


def urlwatch_outcomes(out: bytes) -> dict[str, int]:
    """Jobs per kind in urlwatch's text report (its summary lines: ``01. CHANGED: name``)."""
    counts: dict[str, int] = {}
    for kind in re.findall(rb"^\d+\. (NEW|CHANGED|ERROR|UNCHANGED): ", out, re.M):
        counts[kind.decode().lower()] = counts.get(kind.decode().lower(), 0) + 1
    return counts


def check_cycles(
    shared: Path,
    n: int,
    concurrency: int,
    with_urlwatch: bool,
    with_pdf: bool,
    with_status: bool,
    profile: Path | None = None,
) -> dict[str, Any]:
    """cold → warm-304 → warm-200 → churn for tosmon; cold and churn for urlwatch; then
    ``tosmon status`` of the N documents (the cheapest of 5, when ``with_status``)."""
    result: dict[str, Any] = {"cycles": [], "urlwatch": []}
    server = [
        sys.executable,
        str(HERE / "pageserver.py"),
        "--pages",
        str(shared / "corpus" / "pages"),
        "--n",
        str(n),
    ] + (["--with-pdf"] if with_pdf else [])
    with tempfile.TemporaryDirectory(prefix="tosmon-bench-") as tmp, background(server) as base:
        folder = Path(tmp)
        docs = get(base + "/_docs")
        result["pages"] = len({d["slug"].rsplit("-", 1)[0] for d in docs})
        result["mean_bytes"] = sum(d["bytes"] for d in docs) / len(docs)
        sources = write_sources(folder, base, docs, concurrency)
        db = folder / "tosmon.db"
        result["startup"] = cheapest(tosmon("--version"))
        check = ["check", "--config", str(sources), "--json", "--no-notify"]
        uw_args: list[str] = []
        if with_urlwatch:
            exe = urlwatch_bin()
            result["urlwatch_version"] = urlwatch_version(exe)
            uw_dir = folder / "urlwatch"
            uw_dir.mkdir()
            uw_args = [str(exe), *write_urlwatch(uw_dir, base, docs)]
        last_id = 0

        def cycle(name: str) -> Cycle:
            nonlocal last_id
            before = load()
            run = measure(profiled(profile / f"{name}.prof", check) if profile else tosmon(*check))
            outcomes, last_id = outcomes_since(db, last_id)
            c = Cycle(name, len(docs), run, outcomes, before)
            print(
                f"  tosmon {name:9} {run.wall:7.1f} s wall {run.cpu:7.1f} s CPU "
                f"{c.cpu_ms_per_doc:7.1f} ms/doc  {run.rss_mb:5.0f} MB  {outcomes}  load {before}",
                file=sys.stderr,
            )
            result["cycles"].append(c)
            return c

        def urlwatch(name: str) -> None:
            before = load()
            run = measure(uw_args, cwd=uw_dir, env={**os.environ, "HOME": str(uw_dir)})
            c = Cycle(name, len(docs), run, urlwatch_outcomes(run.stdout), before)
            print(
                f"  urlwatch {name:7} {run.wall:7.1f} s wall {run.cpu:7.1f} s CPU "
                f"{c.cpu_ms_per_doc:7.1f} ms/doc  {run.rss_mb:5.0f} MB  exit {run.code} "
                f"{c.outcomes}  load {before}",
                file=sys.stderr,
            )
            result["urlwatch"].append(c)

        cycle("cold")
        if with_urlwatch:
            urlwatch("cold")
        cycle("warm-304")
        # a check of one (not modified) document: the check command's own start-up, so the
        # per-document CPU of a cycle is (cycle - this) / (N - 1)
        one = write_sources(folder, base, docs[:1], concurrency, name="one")
        result["check_startup"] = cheapest(tosmon("check", "--config", str(one), "--no-notify"), 3)
        last_id = outcomes_since(db, last_id)[1]
        get(base + "/_validators?on=0")
        cycle("warm-200")
        get(base + "/_validators?on=1")
        result["churn"] = get(base + "/_churn")
        cycle("churn")
        if with_urlwatch:
            urlwatch("churn")
        floor = [sys.executable, str(HERE / "fetch_floor.py"), base, "--concurrency"]
        result["floor"] = cheapest([*floor, str(concurrency)], 3)
        result["floor_load"] = load()
        if with_status:
            result["status"] = cheapest(tosmon("status", "--config", str(sources)))
            result["status_load"] = load()
    return result


# -- backfill and storage --------------------------------------------------------------------


UNLIMITED_RATE = 1_000_000.0  # [archive] rate's maximum: requests/s never wait


def backfill_step(shared: Path, folder: Path) -> dict[str, Any]:
    """All replay captures through ``monitor.backfill`` (bench/backfill_replay.py's run) with
    the rate unlimited; CPU of this process and its workers, so CPU ÷ wall = cores busy."""
    sys.path.insert(0, str(HERE))
    import backfill_replay

    before = load()
    timed = backfill_replay.run(shared, folder, rate=UNLIMITED_RATE)
    summary, elapsed, cpu, scores = timed.report.as_dict(), timed.seconds, timed.cpu, timed.scores
    return {
        "captures": summary["captures"],
        "seconds": elapsed,
        "cpu": cpu,
        "rate": summary["captures"] / elapsed if elapsed else 0.0,
        "versions": summary["versions"],
        "substantive": summary["substantive_changes"],
        "errors": len(summary["errors"]),
        "error_kinds": _kinds(summary["errors"]),
        "false": sum(len(s.false) for s in scores),
        "missed": sum(len(s.missed) for s in scores),
        "cores": cpu / elapsed if elapsed else 0.0,
        "load": before,
        "load_after": load(),
    }


def _kinds(errors: list[dict[str, Any]]) -> str:
    kinds: dict[str, int] = {}
    for error in errors:
        kinds[error["kind"]] = kinds.get(error["kind"], 0) + 1
    return ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))


def replay_captures(shared: Path) -> list[tuple[str, str, bytes]]:
    """(captured_at, path in an OTA-like repository, raw bytes) of every replay capture."""
    manifest = json.loads((shared / "corpus" / "replay" / "manifest.json").read_text())
    out = []
    for doc in manifest:
        with lzma.open(shared / "corpus" / "replay" / doc["file"], "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    cap = json.loads(line)
                    name = f"{doc['provider']}/{doc['document']}.html"
                    out.append((cap["captured_at"], name, cap["html"].encode("utf-8")))
    return out


def sqlite_sizes(db: Path) -> dict[str, int]:
    """File size after a WAL checkpoint, after VACUUM, and snapshot blob bytes."""
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = db.stat().st_size
        blobs = con.execute("SELECT coalesce(sum(length(content)), 0) FROM snapshots").fetchone()[0]
        tables: dict[str, int] = {}
        try:
            for name, pgsize in con.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ):
                tables[name] = int(pgsize)
        except sqlite3.OperationalError:
            pass
        con.execute("VACUUM")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        vacuumed = db.stat().st_size
    finally:
        con.close()
    return {"file": size, "vacuumed": vacuumed, "snapshot_blobs": int(blobs), "tables": tables}  # type: ignore[dict-item]


def git_pack(captures: list[tuple[str, str, bytes]], folder: Path) -> dict[str, int]:
    """Captures as an Open Terms Archive-style git repository: one file per document, one
    commit per capture that changed its file (chronological), ``git gc --aggressive``."""
    repo = folder / "ota-snapshots"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    stream = bytearray()
    last: dict[str, bytes] = {}
    mark = 0
    commits = 0
    for when, name, data in sorted(captures):
        if last.get(name) == data:
            continue
        last[name] = data
        mark += 1
        stamp = int(datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp())
        msg = f"Record snapshot of {name}".encode()
        stream += b"commit refs/heads/main\n"
        stream += b"committer bench <bench@localhost> %d +0000\n" % stamp
        stream += b"data %d\n%s\n" % (len(msg), msg)
        stream += b'M 100644 inline "%s"\n' % name.encode()
        stream += b"data %d\n%s\n" % (len(data), data)
        commits += 1
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(stream), check=True
    )
    start = time.perf_counter()
    subprocess.run(
        ["git", "-C", str(repo), "gc", "--aggressive", "--prune=now", "--quiet"], check=True
    )
    gc_seconds = time.perf_counter() - start
    packs = list((repo / ".git" / "objects" / "pack").glob("*.pack"))
    return {
        "commits": commits,
        "pack": sum(p.stat().st_size for p in packs),
        "idx": sum(p.with_suffix(".idx").stat().st_size for p in packs),
        "gc_seconds": int(gc_seconds),
    }


def storage_step(shared: Path, db: Path, folder: Path) -> dict[str, Any]:
    captures = replay_captures(shared)
    return {
        "captures": len(captures),
        "raw": sum(len(d) for _, _, d in captures),
        "distinct_raw": sum(len(d) for d in {d for _, _, d in captures}),
        "sqlite": sqlite_sizes(db),
        "git": git_pack(captures, folder),
    }


# -- clause history over 10,000 versions ----------------------------------------------------


def history_step(folder: Path, versions: int = 10_000, documents: int = 10) -> dict[str, Any]:
    """A database of ``versions`` versions (each after the first of a document a change
    whose clause changes include ``training``), built with ``monitor.store``; then the time
    of ``views.clause_history`` in-process and of ``tosmon history --clause`` end to end."""
    from monitor import store, views
    from monitor.config import DocumentConfig
    from monitor.db import open_database

    db = folder / "history.db"
    sf = open_database(f"sqlite:///{db}")
    keys = ["training", "retention", "ownership", "audit", "subprocessors", "changes"]
    base = datetime(2020, 1, 1, tzinfo=UTC)
    per_doc = versions // documents
    start = time.perf_counter()
    for d in range(documents):
        doc = DocumentConfig(
            provider="bench",
            id=f"doc-{d}",
            name=f"Document {d}",
            provider_name="Bench",
            url=f"https://example.org/{d}",
            select=(),
        )
        with sf.begin() as s:
            row = store.ensure_document(s, doc)
            previous = None
            texts = {k: f"{k} clause, first wording. " * 8 for k in keys}
            for i in range(per_doc):
                at = base + timedelta(hours=i, minutes=d)
                changed = ["training", keys[1 + i % (len(keys) - 1)]] if previous else []
                old = dict(texts)
                for k in changed:
                    texts[k] = f"{k} clause wording {i} of document {d}. " * 8
                text = "\n\n".join(texts.values())
                snap = store.put_snapshot(s, row.id, f"<p>{text}</p>".encode(), "text/html")
                version = store.add_version(
                    s, row.id, at, text, snap, "live", [(k, t, "rule") for k, t in texts.items()]
                )
                if previous is not None:
                    summary = {
                        "kind": "substantive",
                        "severity": "high",
                        "summary": f"{', '.join(changed)} changed",
                        "clause_diffs": {
                            k: {"added": [], "removed": [], "modified": [[old[k], texts[k]]]}
                            for k in changed
                        },
                        "facts": [],
                    }
                    store.add_change(
                        s,
                        row.id,
                        previous,
                        version,
                        summary,
                        [(k, old[k], texts[k]) for k in changed],
                        "none",
                    )
                previous = version
    build = time.perf_counter() - start
    config = folder / "history.toml"
    config.write_text(
        f'[monitor]\ndatabase = "sqlite:///{db}"\n\n[providers.bench]\nname = "Bench"\n\n'
        '[providers.bench.documents.doc-0]\nname = "D"\nurl = "https://example.org/0"\n'
        'select = ["main"]\n'
    )
    timings = []
    with sf() as s:
        changes = len(views.clause_history(s, "training")["changes"])
    for _ in range(5):
        with sf() as s:
            t = time.perf_counter()
            views.clause_history(s, "training")
            timings.append(time.perf_counter() - t)
    one_doc = []
    for _ in range(5):
        with sf() as s:
            t = time.perf_counter()
            views.clause_history(s, "training", "bench", "doc-0")
            one_doc.append(time.perf_counter() - t)
    cli = min(
        (
            measure(tosmon("history", "--config", str(config), "--clause", "training", "--json"))
            for _ in range(3)
        ),
        key=lambda r: r.wall,
    )
    cli_text = min(
        (
            measure(tosmon("history", "--config", str(config), "--clause", "training"))
            for _ in range(3)
        ),
        key=lambda r: r.wall,
    )
    return {
        "versions": per_doc * documents,
        "documents": documents,
        "changes": changes,
        "build_s": build,
        "view_ms": 1000 * min(timings),
        "view_one_doc_ms": 1000 * min(one_doc),
        "cli_json": cli,
        "cli_text": cli_text,
        "load": load(),
    }


# -- changed-page stages and memory -----------------------------------------------------------


def stages_step(shared: Path, repeat: int = 5) -> dict[str, Any]:
    """extract / clauses / positions CPU per corpus page (bench/stages.py): each page's first
    reads, ``repeat`` fresh processes."""
    sys.path.insert(0, str(HERE))
    import stages

    before = load()
    times = stages.measure(shared, repeat)
    return {**stages.summarize(times), "repeat": repeat, "load": before}


def memory_step(shared: Path, n: int, concurrency: int) -> dict[str, Any]:
    """Peak RSS and CPU of a cold, a warm-304 and a warm-200 cycle of ``n`` documents
    (compared in the table with the N-document cycles of the check step: memory growth, and
    the marginal CPU per document between the two sizes)."""
    server = [
        sys.executable,
        str(HERE / "pageserver.py"),
        "--pages",
        str(shared / "corpus" / "pages"),
        "--n",
        str(n),
    ]
    out: dict[str, Any] = {"n": n, "cycles": []}
    with tempfile.TemporaryDirectory(prefix="tosmon-bench-mem-") as tmp, background(server) as base:
        folder = Path(tmp)
        docs = get(base + "/_docs")
        sources = write_sources(folder, base, docs, concurrency)
        check = tosmon("check", "--config", str(sources), "--json", "--no-notify")
        last_id = 0
        for name in ("cold", "warm-304", "warm-200"):
            if name == "warm-200":
                get(base + "/_validators?on=0")
            before = load()
            run = measure(check)
            outcomes, last_id = outcomes_since(folder / "tosmon.db", last_id)
            out["cycles"].append(Cycle(name, len(docs), run, outcomes, before))
            print(
                f"  memory {name:9} N = {len(docs)}: {run.wall:7.1f} s wall {run.cpu:7.1f} s CPU "
                f"{run.rss_mb:5.0f} MB  {outcomes}  load {before}",
                file=sys.stderr,
            )
    return out


def snapshot_and_rerun(args: argparse.Namespace) -> None:
    """Copy monitor/ (with its migrations and templates), bench/ and tests/servers.py to a
    temp dir and exec this script from there with that copy first on PYTHONPATH."""
    snap = Path(tempfile.mkdtemp(prefix="tosmon-bench-code-"))
    ignore = shutil.ignore_patterns("__pycache__", "results")
    shutil.copytree(REPO / "monitor", snap / "monitor", ignore=ignore)
    shutil.copytree(REPO / "migrations", snap / "monitor" / "migrations", ignore=ignore)
    shutil.copytree(REPO / "templates", snap / "monitor" / "templates", ignore=ignore)
    shutil.copytree(HERE, snap / "bench", ignore=ignore)
    (snap / "tests").mkdir()
    shutil.copy2(REPO / "tests" / "servers.py", snap / "tests" / "servers.py")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    print(f"running a snapshot of the code ({commit}) from {snap}", file=sys.stderr)
    argv = [a for a in sys.argv[1:] if a != "--snapshot"]
    argv += ["--shared", str(args.shared.resolve()), "--out", str(args.out.resolve())]
    env = {**os.environ, "PYTHONPATH": str(snap), "TOSMON_BENCH_CODE": commit}
    os.execve(sys.executable, [sys.executable, str(snap / "bench" / "run.py"), *argv], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="documents served (default 500)")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--memory-n", type=int, default=2000, help="documents of the memory step (default 2000)"
    )
    parser.add_argument("--with-pdf", action="store_true", help="serve the corpus PDF too")
    parser.add_argument("--skip", default="", help=f"comma-separated steps among {STEPS}")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.md")
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="first copy the code to a temp dir and run that (edits in the tree during a "
        "long run then change nothing)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="write a cProfile of each check cycle (all threads) to DIR/CYCLE.prof; "
        "its timings then include the profiler's overhead",
    )
    parser.add_argument("--render", type=Path, help="only print the table of a saved .json")
    parser.add_argument(
        "--readme", action="store_true", help="with --render: README's condensed table"
    )
    args = parser.parse_args()
    if args.render:
        res, m, n = load_saved(args.render)
        print("\n".join(readme_rows(res, n)) if args.readme else table(m, res, n))
        return
    if args.snapshot:
        snapshot_and_rerun(args)
    skip = {s for s in args.skip.split(",") if s}
    if skip - set(STEPS):
        parser.error(f"--skip: unknown step(s) {', '.join(sorted(skip - set(STEPS)))}")
    code = code_under_test()
    m = {**machine(), "code": code.label(), "load": load()}
    if code.differs and not code.path.startswith(str(REPO / "monitor")):
        print(
            f"WARNING: measuring the installed package, which differs from the checkout in "
            f"{', '.join(code.differs[:5])}{' …' if len(code.differs) > 5 else ''}: "
            "pip install . again to measure the checkout",
            file=sys.stderr,
        )
    print(f"machine: {m}", file=sys.stderr)
    run_steps(args, skip, m)


def run_steps(args: argparse.Namespace, skip: set[str], m: dict[str, str]) -> None:
    """Every step not skipped, most important first; the table and JSON are rewritten after
    each step, so an interrupted run keeps what it measured."""
    res: dict[str, Any] = {}

    def done(step: str) -> None:
        print(f"  {step} done; load {load()}", file=sys.stderr)
        md = table(m, res, args.n) + f"\nload average at the end: {load()}\n"
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(md, encoding="utf-8")
        save(res, m, args.n, args.out.with_suffix(".json"))

    if "check" not in skip:
        urlwatch, startup = "urlwatch" not in skip, "startup" not in skip
        res["check"] = check_cycles(
            args.shared, args.n, args.concurrency, urlwatch, args.with_pdf, startup, args.profile
        )
        done("check")
    if "stages" not in skip:
        res["stages"] = stages_step(args.shared)
        done("stages")
    if "memory" not in skip:  # before the backfill and storage steps grow this process
        res["memory"] = memory_step(args.shared, args.memory_n, args.concurrency)
        done("memory")
    with tempfile.TemporaryDirectory(prefix="tosmon-bench-") as tmp:
        folder = Path(tmp)
        if "backfill" not in skip:
            res["backfill"] = backfill_step(args.shared, folder)
            done("backfill")
            if "storage" not in skip:
                res["storage"] = storage_step(args.shared, folder / "tosmon.db", folder)
                done("storage")
        if "history" not in skip:
            res["history"] = history_step(folder)
            done("history")
    print(args.out.read_text(encoding="utf-8") if res else "nothing measured")


if __name__ == "__main__":
    main()
