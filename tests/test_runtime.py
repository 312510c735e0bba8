"""The Python a command runs on: a selector engine broken by too old a Python is one clear
error naming that Python, never "invalid CSS selector 'main'"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from monitor.runtime import engine_problem, selector_engine_problem

CONFIG = """
[monitor]
database = "sqlite:///tos.db"

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
url = "https://acme.example/terms"
select = ["main"]
"""


def test_a_broken_selector_engine_names_the_python_and_what_to_do() -> None:
    """The message names the running Python, where its standard library is, the engine and
    the Python it needs, and how to fix the virtualenv; on this Python the engine works."""
    problem = engine_problem((3, 11, 2), "/usr", "soupsieve 4.1.3", ">=3.11.5")
    assert "runs Python 3.11.2 (standard library in /usr)" in problem
    assert "soupsieve 4.1.3 (needs Python >=3.11.5)" in problem
    assert "create the virtualenv with a Python this user can read" in problem
    assert selector_engine_problem() is None


def _as_nobody(*args: str) -> list[str]:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run a command as user nobody")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *args]


def test_as_nobody_validate_names_the_python_it_got_not_an_invalid_selector() -> None:
    """Run as user nobody, a virtualenv whose interpreter sits in a folder nobody cannot
    read gets the system's older Python: `tosmon sources validate` then prints one `Error:`
    line naming that Python — not "invalid CSS selector 'main'", as it did before. (Skipped
    where nobody gets a Python whose selector engine works.)"""
    probe = subprocess.run(
        _as_nobody(
            sys.executable,
            "-c",
            "from monitor.runtime import *; import sys; "
            "print(selector_engine_problem() is not None, *sys.version_info[:3])",
        ),
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    if probe.returncode != 0 or not probe.stdout.startswith("True"):
        pytest.skip(f"as user nobody this interpreter reads selectors: {probe.stdout.strip()}")
    running = ".".join(probe.stdout.split()[1:])
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        (folder / "sources.toml").write_text(CONFIG, encoding="utf-8")
        proc = subprocess.run(
            _as_nobody(sys.executable, "-m", "monitor", "sources", "validate"),
            capture_output=True,
            text=True,
            timeout=60,
            cwd=folder,
        )
    finally:
        shutil.rmtree(folder)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert f"runs Python {running}" in lines[0] and "soupsieve" in lines[0]
    assert "invalid CSS selector" not in proc.stderr
