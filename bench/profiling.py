#!/usr/bin/env python3
"""Run a module or a script under cProfile with EVERY thread profiled, merged in one file.

    python -P bench/profiling.py OUT.prof -m monitor check --config sources.toml --no-notify
    python bench/profiling.py OUT.prof bench/backfill_replay.py --rate 1000000
    python -m pstats OUT.prof          # then: sort tottime / stats 30 / callers NAME

``python -m cProfile`` sees only the main thread, so the work tos-monitor hands to
``asyncio.to_thread`` (database transactions, parsing) would be missing from its profile;
here each new thread gets its own profiler (``threading.setprofile``) and the profiles are
added together at the end. The clock is each thread's CPU time (``time.thread_time``), so
waiting (network, locks, sleeping threads) and other work on the machine do not count.
Worker *processes* are not profiled (their CPU is the difference between the process's
``getrusage`` and the profile's total).
"""

from __future__ import annotations

import cProfile
import pstats
import runpy
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def profiled(out: Path) -> Iterator[None]:
    """Profile this thread and every thread started inside the block; dump to ``out``."""
    profiles: list[cProfile.Profile] = []

    def start(*_: object) -> None:  # the first profiling event of a new thread
        prof = cProfile.Profile(time.thread_time)
        profiles.append(prof)
        prof.enable()

    main = cProfile.Profile(time.thread_time)
    threading.setprofile(start)
    main.enable()
    try:
        yield
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]
        stats = pstats.Stats(main)
        for prof in profiles:
            stats.add(prof)
        stats.dump_stats(out)


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    out, target = Path(sys.argv[1]), sys.argv[2:]
    code: object = 0
    with profiled(out):
        try:
            if target[0] == "-m":
                sys.argv = [target[1], *target[2:]]
                runpy.run_module(target[1], run_name="__main__", alter_sys=True)
            else:
                sys.argv = target
                sys.path.insert(0, str(Path(target[0]).resolve().parent))
                runpy.run_path(target[0], run_name="__main__")
        except SystemExit as exc:
            code = exc.code
    print(f"profile written to {out} (python -m pstats {out})", file=sys.stderr)
    raise SystemExit(code)


if __name__ == "__main__":
    main()
