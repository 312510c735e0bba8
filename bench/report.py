"""bench/run.py's figures: the measured runs, the markdown table with the issue's targets,
and the JSON they are saved as (no page content) for re-rendering with ``--render``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CREDIT = "Data: Open Terms Archive (https://opentermsarchive.org), ODC-BY 1.0."
STARTUP_LIMIT_S = 0.3  # tosmon --version / tosmon status
CPU_LIMITS_MS = {"warm-304": 2.0, "warm-200": 3.0}  # CPU per document, without startup
URLWATCH_RATIOS = {"cold": 2.0, "churn": 3.0}  # tosmon docs/s ÷ urlwatch docs/s
STAGES_LIMIT_MS = 10.0  # extract + clauses + positions, median per page
BACKFILL_RATE = 50.0  # captures/s
MEMORY_GROWTH = 1.10  # peak RSS at the larger N ≤ 1.1 × at N: memory does not grow with N


@dataclass
class Run:
    """One measured subprocess."""

    wall: float
    cpu: float  # user + system seconds of the process (and its reaped children)
    rss_mb: float  # peak resident set size of its largest process (wait4)
    code: int
    stdout: bytes = b""
    tree_rss_mb: float = 0.0  # peak of the summed RSS of the process and its workers


@dataclass
class Cycle:
    name: str
    n: int
    run: Run
    outcomes: dict[str, int] = field(default_factory=dict)
    load: str = ""

    @property
    def docs_per_s(self) -> float:
        return self.n / self.run.wall if self.run.wall else 0.0

    @property
    def cpu_ms_per_doc(self) -> float:
        return 1000 * self.run.cpu / self.n


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def tree(r: Run) -> float:
    """Peak memory of the run's process tree (main process + workers), MB, as sampled from
    /proc. Not ``wait4``'s figure: a child's ``ru_maxrss`` also counts the peak RSS of the
    process that spawned it (the benchmark, which holds the replay corpus after the storage
    step), so it is only a bound; the sampled tree is the check's own."""
    return r.tree_rss_mb if r.tree_rss_mb > 0 else r.rss_mb


def rss_cell(r: Run) -> str:
    """Largest process's peak RSS, and the tree's when workers added to it."""
    if r.tree_rss_mb <= 0:
        return f"{r.rss_mb:.0f} MB"
    return f"{r.tree_rss_mb:.0f} MB (process tree; wait4: {r.rss_mb:.0f} MB)"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def marginal(c: Cycle, mem: dict[str, Any] | None) -> Cycle | None:
    """The memory step's cycle of the same kind with more documents, if measured."""
    for big in (mem or {}).get("cycles", []):
        if big.name == c.name and big.n > c.n:
            found: Cycle = big
            return found
    return None


def per_doc_ms(c: Cycle, chk: dict[str, Any], mem: dict[str, Any] | None = None) -> float:
    """CPU ms per document without the process start-up: the marginal cost between this
    cycle and the memory step's larger one of the same kind when measured (start-up and
    noise cancel out), else above a one-document check's CPU, else above ``--version``'s."""
    big = marginal(c, mem)
    if big is not None:
        return 1000 * (big.run.cpu - c.run.cpu) / (big.n - c.n)
    one: Run | None = chk.get("check_startup")
    if one is not None and c.n > 1:
        return 1000 * (c.run.cpu - one.cpu) / (c.n - 1)
    start: Run = chk["startup"]
    return 1000 * (c.run.cpu - start.cpu) / c.n


def how_per_doc(c: Cycle, chk: dict[str, Any], mem: dict[str, Any] | None = None) -> str:
    big = marginal(c, mem)
    if big is not None:
        return f"marginal, N = {c.n} → {big.n}"
    return "above a one-document check" if chk.get("check_startup") else "above `--version`"


def _outcomes(c: Cycle) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(c.outcomes.items()))


def startup_rows(chk: dict[str, Any], n: int) -> list[str]:
    rows = []
    labels = (
        ("`tosmon --version`", "startup"),
        ("`tosmon status`", "status"),
        ("`tosmon check` of one document (304)", "check_startup"),
    )
    for label, key in labels:
        st: Run | None = chk.get(key)
        if st is None:
            continue
        if key == "check_startup":
            rows.append(
                f"| start-up: {label} | {st.wall:.2f} s | | {1000 * st.cpu:.0f} ms | "
                f"{st.rss_mb:.0f} MB | | cheapest of 3: subtracted from the cycles' CPU for "
                "their per-document figures |"
            )
            continue
        extra = f" of the {n} documents; load {chk['status_load']}" if key == "status" else ""
        rows.append(
            f"| start-up: {label} | {st.wall:.2f} s | | {1000 * st.cpu:.0f} ms | "
            f"{st.rss_mb:.0f} MB | ≤ {STARTUP_LIMIT_S:g} s: {verdict(st.cpu <= STARTUP_LIMIT_S)} "
            f"(on CPU; wall depends on the load) | cheapest of 5{extra}; exit {st.code} |"
        )
    return rows


def cycle_rows(chk: dict[str, Any], mem: dict[str, Any] | None = None) -> list[str]:
    rows = []
    for c in chk["cycles"]:
        excl, how = per_doc_ms(c, chk, mem), how_per_doc(c, chk, mem)
        limit = CPU_LIMITS_MS.get(c.name)
        target = f"≤ {limit:g} ms/doc without start-up: {verdict(excl <= limit)}" if limit else ""
        rows.append(
            f"| tosmon check, {c.name} | {c.run.wall:.1f} s | {c.docs_per_s:.1f} docs/s | "
            f"{c.cpu_ms_per_doc:.1f} ms/doc ({excl:.1f} without start-up: {how}) | "
            f"{rss_cell(c.run)} | {target} | {_outcomes(c)}; load {c.load} |"
        )
    ours = {c.name: c for c in chk["cycles"]}
    for u in chk["urlwatch"]:
        t = ours[u.name]
        ratio = t.docs_per_s / u.docs_per_s
        want = URLWATCH_RATIOS.get(u.name, 3.0)
        rows.append(
            f"| urlwatch, {u.name} | {u.run.wall:.1f} s | {u.docs_per_s:.1f} docs/s | "
            f"{u.cpu_ms_per_doc:.1f} ms/doc | {u.run.rss_mb:.0f} MB | "
            f"tosmon ≥ {want:g}× urlwatch's docs/s: {verdict(ratio >= want)} | "
            f"tosmon/urlwatch: throughput {ratio:.2f}×, wall {u.run.wall / t.run.wall:.2f}×, "
            f"CPU {t.run.cpu / u.run.cpu:.2f}× (tosmon CPU ÷ urlwatch CPU); exit {u.run.code}; "
            f"{_outcomes(u)}; load {u.load} |"
        )
    floor: Run | None = chk.get("floor")
    if floor is not None:
        n = chk["cycles"][0].n
        rows.append(
            f"| floor: fetching the {n} pages with httpx alone | {floor.wall:.1f} s | "
            f"{n / floor.wall:.1f} docs/s | {1000 * floor.cpu / n:.1f} ms/doc | "
            f"{floor.rss_mb:.0f} MB | | {floor_note(chk)}; load {chk['floor_load']} |"
        )
    return rows


def floor_note(chk: dict[str, Any]) -> str:
    """What the fetch-only floor says of the urlwatch targets: the wall time each target
    leaves for a whole check, against the fetching alone."""
    floor: Run = chk["floor"]
    parts = [
        "no reading or storing, a process of its own (start-up included) after the churn "
        "cycles, same server and bytes, cheapest of 3"
    ]
    for u in chk["urlwatch"]:
        want = URLWATCH_RATIOS.get(u.name, 3.0)
        budget = u.run.wall / want
        parts.append(
            f"{want:g}× urlwatch's {u.name} leaves {budget:.2f} s for a whole check: "
            f"the fetching alone takes {floor.wall / budget:.2f}× that"
        )
    return "; ".join(parts)


def stages_rows(sg: dict[str, Any]) -> list[str]:
    rows = []
    for name in ("extract", "clauses", "positions", "total"):
        s = sg[name]
        label = "extract + clauses + positions" if name == "total" else name
        target = (
            f"median ≤ {STAGES_LIMIT_MS:g} ms: {verdict(s['p50'] <= STAGES_LIMIT_MS)}"
            if name == "total"
            else ""
        )
        rows.append(
            f"| changed page, {label} ({sg['pages']} corpus pages) | | | "
            f"p50 {s['p50']:.1f} / p95 {s['p95']:.1f} / max {s['max']:.1f} ms per page | | "
            f"{target} | slowest: {s['slowest']}; cheapest of {sg['repeat']} first reads per "
            f"page, each in a fresh process; load {sg['load']} |"
        )
    return rows


def backfill_rows(bf: dict[str, Any]) -> list[str]:
    return [
        f"| backfill, replay corpus, rate unlimited | {bf['seconds']:.1f} s | "
        f"{bf['rate']:.1f} captures/s | {1000 * bf['cpu'] / bf['captures']:.0f} ms/capture, "
        f"{bf['cores']:.2f} cores busy (CPU ÷ wall) | | ≥ {BACKFILL_RATE:g} captures/s: "
        f"{verdict(bf['rate'] >= BACKFILL_RATE)} | {bf['captures']} captures, "
        f"{bf['versions']} versions, {bf['substantive']} substantive changes "
        f"({bf['false']} false, {bf['missed']} missed), {bf['errors']} capture errors "
        f"({bf['error_kinds']}); load {bf['load']} → {bf.get('load_after', '?')} |"
    ]


def memory_rows(mem: dict[str, Any], chk: dict[str, Any] | None, n: int) -> list[str]:
    base: Run | None = chk["startup"] if chk else None
    small = {c.name: c for c in chk["cycles"]} if chk else {}
    rows = []
    for big in mem["cycles"]:
        ref = small.get(big.name)
        per = (
            f"{1000 * (tree(big.run) - base.rss_mb) / big.n:.0f} kB/doc above `--version`'s "
            f"{base.rss_mb:.0f} MB"
            if base
            else ""
        )
        if ref is None or base is None:
            rows.append(
                f"| peak RSS, {big.name}, N = {big.n} | {big.run.wall:.1f} s | | | "
                f"{rss_cell(big.run)} | | {per}; {_outcomes(big)} |"
            )
            continue
        ref_per = 1000 * (tree(ref.run) - base.rss_mb) / ref.n
        ok = tree(big.run) <= MEMORY_GROWTH * tree(ref.run)
        rows.append(
            f"| peak RSS, {big.name}: N = {ref.n} vs N = {big.n} | {big.run.wall:.1f} s | "
            f"{big.docs_per_s:.1f} docs/s | {big.cpu_ms_per_doc:.1f} ms/doc | "
            f"{tree(ref.run):.0f} MB → {tree(big.run):.0f} MB (process tree) | no growth with N "
            f"(≤ {MEMORY_GROWTH:.2f}×): {verdict(ok)} | per document: {ref_per:.0f} kB at "
            f"N = {ref.n}, {per} at N = {big.n}; {_outcomes(big)}; load {big.load} |"
        )
    return rows


def storage_rows(sto: dict[str, Any]) -> list[str]:
    sq, git = sto["sqlite"], sto["git"]
    tables = sq.get("tables", {})
    biggest = ", ".join(
        f"{k} {mb(v)}" for k, v in list(tables.items())[:5] if not k.startswith("sqlite_")
    )
    return [
        f"| storage: raw captures | | | | | | {mb(sto['raw'])}, {sto['captures']} captures |",
        f"| storage: git pack, OTA style | | | | | | {mb(git['pack'])} .pack "
        f"(+ {mb(git['idx'])} .idx): {git['commits']} commits, `git gc --aggressive` |",
        f"| storage: tos-monitor SQLite after the backfill | | | | | "
        f"≤ the pack: {verdict(sq['file'] <= git['pack'])} | {mb(sq['file'])} = "
        f"{sq['file'] / git['pack']:.1f}× the pack, raw ÷ {sto['raw'] / sq['file']:.0f} "
        f"({mb(sq['vacuumed'])} after VACUUM); snapshot blobs {mb(sq['snapshot_blobs'])}; "
        f"pages: {biggest} |",
    ]


def history_rows(hi: dict[str, Any]) -> list[str]:
    cli_json, cli_text = hi["cli_json"], hi["cli_text"]
    return [
        f"| history of a clause, {hi['versions']:,} versions "
        f"({hi['documents']} documents): `views.clause_history` | {hi['view_ms']:.0f} ms | "
        f"| | | < 200 ms: {verdict(hi['view_ms'] < 200)} | all documents: "
        f"{hi['changes']:,} changes of the clause listed, with diffs |",
        f"| same, one document ({hi['versions'] // hi['documents']:,} versions) | "
        f"{hi['view_one_doc_ms']:.0f} ms | | | | < 200 ms: "
        f"{verdict(hi['view_one_doc_ms'] < 200)} | |",
        f"| `tosmon history --clause training` (all documents), end to end | "
        f"{cli_json.wall * 1000:.0f} ms `--json`, {cli_text.wall * 1000:.0f} ms text | | "
        f"{cli_json.cpu * 1000:.0f} ms | {rss_cell(cli_json)} | | process startup "
        f"included; load {hi['load']} |",
    ]


def table(m: dict[str, str], res: dict[str, Any], n: int) -> str:
    """The results as one markdown table (with the targets of the benchmark issue)."""
    rows = [
        "| measurement | wall | throughput | CPU | peak RSS | target | notes |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    chk = res.get("check")
    if chk:
        rows += startup_rows(chk, n) + cycle_rows(chk, res.get("memory"))
    if res.get("stages"):
        rows += stages_rows(res["stages"])
    if res.get("backfill"):
        rows += backfill_rows(res["backfill"])
    if res.get("memory"):
        rows += memory_rows(res["memory"], chk, n)
    if res.get("storage"):
        rows += storage_rows(res["storage"])
    if res.get("history"):
        rows += history_rows(res["history"])
    head = [
        f"tos-monitor benchmark, {m['date']}: {m['nproc']} × {m['cpu']}, {m['ram']} RAM, "
        f"Python {m['python']}, SQLite {m['sqlite']}; N = {n} documents; code: "
        f"{m.get('code', 'not recorded')}; load average at the start {m.get('load', '?')}; "
        f"{m.get('versions', '')}.",
    ]
    if chk:
        head.append(
            f"Pages: {chk['pages']} real pages, mean {chk['mean_bytes'] / 1000:.0f} kB; churn: "
            f"{chk['churn']['word_changes']} documents with a word change, every page's "
            f"tracking tokens rotated; {chk.get('urlwatch_version', 'urlwatch not run')} "
            f"(css + html2text). CPU = user + system of the process. {CREDIT}"
        )
    else:
        head.append(f"CPU = user + system. {CREDIT}")
    return "\n".join(head) + "\n\n" + "\n".join(rows) + "\n"


def _plain(o: Any) -> Any:
    if isinstance(o, Run):
        return {k: v for k, v in asdict(o).items() if k != "stdout"}
    if isinstance(o, Cycle):
        return {
            "name": o.name,
            "n": o.n,
            "run": _plain(o.run),
            "outcomes": o.outcomes,
            "load": o.load,
        }
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_plain(v) for v in o]
    return o


def save(res: dict[str, Any], m: dict[str, str], n: int, path: Path) -> None:
    """The figures as JSON next to the table (no page content), for re-rendering."""
    data = {"machine": m, "n": n, **_plain(res)}
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _cycles(items: list[dict[str, Any]]) -> list[Cycle]:
    return [Cycle(c["name"], c["n"], Run(**c["run"]), c["outcomes"], c["load"]) for c in items]


def load_saved(path: Path) -> tuple[dict[str, Any], dict[str, str], int]:
    data = json.loads(path.read_text(encoding="utf-8"))
    chk = data.get("check")
    if chk:
        for key in ("startup", "status", "check_startup", "floor"):
            if chk.get(key):
                chk[key] = Run(**chk[key])
        for key in ("cycles", "urlwatch"):
            chk[key] = _cycles(chk[key])
    if data.get("memory"):
        data["memory"]["cycles"] = _cycles(data["memory"]["cycles"])
    hi = data.get("history")
    if hi:
        hi["cli_json"], hi["cli_text"] = Run(**hi["cli_json"]), Run(**hi["cli_text"])
    keys = ("check", "stages", "backfill", "memory", "storage", "history")
    res = {k: data[k] for k in keys if data.get(k)}
    return res, data["machine"], data["n"]


# -- the condensed table of README.md's "Benchmarks" section -----------------------------------


def readme_rows(res: dict[str, Any], n: int) -> list[str]:
    """measurement | result | target, one row per target of issue 15 (and storage, history)."""
    rows = ["| measurement | result | target |", "| --- | --- | --- |"]
    chk, mem = res.get("check"), res.get("memory")
    if chk:
        for label, key in (("`tosmon --version`", "startup"), ("`tosmon status`", "status")):
            st: Run | None = chk.get(key)
            if st is not None:
                rows.append(
                    f"| start-up, {label} | {st.cpu:.2f} s CPU (wall {st.wall:.2f} s) | "
                    f"≤ {STARTUP_LIMIT_S:g} s: {verdict(st.cpu <= STARTUP_LIMIT_S)} |"
                )
        uw = {u.name: u for u in chk["urlwatch"]}
        for c in chk["cycles"]:
            result = (
                f"{c.run.wall:.1f} s, {c.docs_per_s:.1f} docs/s, {c.cpu_ms_per_doc:.1f} ms CPU/doc "
                f"({per_doc_ms(c, chk, mem):.1f} without start-up, "
                f"{how_per_doc(c, chk, mem)})"
            )
            target = ""
            if c.name in CPU_LIMITS_MS:
                limit = CPU_LIMITS_MS[c.name]
                target = f"≤ {limit:g} ms/doc: {verdict(per_doc_ms(c, chk, mem) <= limit)}"
            elif c.name in uw:
                u, want = uw[c.name], URLWATCH_RATIOS.get(c.name, 3.0)
                ratio = c.docs_per_s / u.docs_per_s
                target = (
                    f"≥ {want:g}× urlwatch: {verdict(ratio >= want)} ({ratio:.2f}×; urlwatch "
                    f"{u.run.wall:.1f} s, {u.docs_per_s:.1f} docs/s, "
                    f"{u.cpu_ms_per_doc:.1f} ms CPU/doc)"
                )
            rows.append(f"| check, {c.name} ({_outcomes(c)}) | {result} | {target} |")
        floor: Run | None = chk.get("floor")
        if floor is not None:
            rows.append(
                f"| floor: the {chk['cycles'][0].n} pages fetched with httpx alone | "
                f"{floor.wall:.2f} s, {1000 * floor.cpu / chk['cycles'][0].n:.1f} ms CPU/doc | "
                f"{floor_note(chk)} |"
            )
    sg = res.get("stages")
    if sg:
        parts = ", ".join(
            f"{k} {sg[k]['p50']:.1f} / {sg[k]['p95']:.1f} / {sg[k]['max']:.1f}"
            for k in ("extract", "clauses", "positions")
        )
        tot = sg["total"]
        rows.append(
            f"| changed page, CPU ms per page p50 / p95 / max ({sg['pages']} corpus pages) | "
            f"{parts}; sum {tot['p50']:.1f} / {tot['p95']:.1f} / {tot['max']:.1f} "
            f"(slowest {tot['slowest']}) | median ≤ {STAGES_LIMIT_MS:g} ms: "
            f"{verdict(tot['p50'] <= STAGES_LIMIT_MS)} |"
        )
    bf = res.get("backfill")
    if bf:
        rows.append(
            f"| backfill, {bf['captures']:,} replay captures, rate unlimited | "
            f"{bf['seconds']:.0f} s, "
            f"{bf['rate']:.1f} captures/s, {bf['cores']:.2f} cores busy; {bf['false']} false, "
            f"{bf['missed']} missed changes | ≥ {BACKFILL_RATE:g}/s: "
            f"{verdict(bf['rate'] >= BACKFILL_RATE)} |"
        )
    mem = res.get("memory")
    if mem and chk:
        small = {c.name: c for c in chk["cycles"]}
        for big in mem["cycles"]:
            ref = small.get(big.name)
            if ref is None:
                continue
            ok = tree(big.run) <= MEMORY_GROWTH * tree(ref.run)
            rows.append(
                f"| peak RSS of the process tree (check + workers), {big.name}, N = {ref.n} → "
                f"{big.n} | {tree(ref.run):.0f} MB → {tree(big.run):.0f} MB "
                f"({1000 * tree(ref.run) / ref.n:.0f} → {1000 * tree(big.run) / big.n:.0f} kB/doc)"
                f" | no growth: {verdict(ok)} |"
            )
    sto = res.get("storage")
    if sto:
        sq, git = sto["sqlite"], sto["git"]
        rows.append(
            f"| storage after that backfill | {mb(sq['file'])} (raw captures {mb(sto['raw'])}; "
            f"git pack, OTA style, {mb(git['pack'])}) | ≤ git pack: "
            f"{verdict(sq['file'] <= git['pack'])} |"
        )
    hi = res.get("history")
    if hi:
        rows.append(
            f"| `history --clause` over {hi['versions']:,} versions | `views.clause_history` "
            f"{hi['view_ms']:.0f} ms; `tosmon history --clause training --json` end to end "
            f"{hi['cli_json'].wall * 1000:.0f} ms | < 200 ms: {verdict(hi['view_ms'] < 200)} |"
        )
    return rows
