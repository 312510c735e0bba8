"""bench/run.py, the README's benchmark, run as documented: ``python bench/run.py`` from the
checkout with the project installed (CI installs it non-editable, as a user would).

A run from the checkout used to import the source tree (``python -m monitor`` puts the
current directory first), which has no ``monitor.migrations``: every check failed.
Skipped when ``../shared/corpus`` is absent (the pages are Open Terms Archive captures).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not (SHARED / "corpus" / "pages").is_dir(), reason="no ../shared corpus"),
]


def test_benchmark_runs_from_the_checkout_and_measures_the_installed_package(
    tmp_path: Path,
) -> None:
    """From the checkout, the benchmark's check cycles store and re-check every served
    document with the installed tos-monitor, and its table says which code it measured."""
    out = tmp_path / "latest.md"
    skip = "urlwatch,startup,stages,backfill,storage,history,memory"
    run = subprocess.run(
        [sys.executable, "bench/run.py", "--n", "3", "--skip", skip, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "ModuleNotFoundError" not in run.stderr
    table = out.read_text(encoding="utf-8")
    rows = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("| ")}
    assert "new_version 3;" in rows["| tosmon check, cold"]
    assert "not_modified 3;" in rows["| tosmon check, warm-304"]
    assert "unchanged 3;" in rows["| tosmon check, warm-200"]
    assert "NOT the checkout" not in table
    assert "same files as checkout" in table or "(editable install)" in table
    assert "Open Terms Archive" in table
