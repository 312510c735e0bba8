"""Whether the CSS selector engine works on the running Python.

Why it matters: soupsieve (the selector engine) needs Python >= 3.11.5; on 3.11.0-3.11.4
the regular-expression engine mishandles the possessive quantifiers soupsieve relies on,
and ``select = ["main"]`` is refused as "invalid CSS selector 'main'". A virtualenv can
run such a Python without anyone choosing it: when its interpreter lives in a folder the
user cannot read (``/root/.pyenv``, run as user ``nobody``), the dynamic loader cannot
follow the interpreter's library path, loads the system's libpython instead and, with it,
the system's standard library. Config loading asks ``selector_engine_problem`` before it
calls any selector invalid, so the user learns which Python runs and what to do.
"""

from __future__ import annotations

import sys
from importlib import metadata

import soupsieve


def engine_problem(version: tuple[int, int, int], stdlib: str, engine: str, needs: str) -> str:
    """The message for a selector engine (``engine`` = name and version, needing Python
    ``needs``) that fails on Python ``version`` whose standard library is in ``stdlib``."""
    running = ".".join(map(str, version))
    return (
        f"this process runs Python {running} (standard library in {stdlib}), on which the "
        f"CSS selector engine {engine} (needs Python {needs}) cannot read even `main`; "
        "if your virtualenv was made with a newer Python in a folder this user cannot read "
        "(such as /root/.pyenv), the system's Python was loaded instead: create the "
        "virtualenv with a Python this user can read, or install tos-monitor with this one"
    )


def selector_engine_problem() -> str | None:
    """``None`` when soupsieve compiles a plain selector; else what is wrong, in words."""
    try:
        soupsieve.compile("main")
        return None
    except Exception:  # the engine itself is broken here, not the user's selector
        pass
    try:
        meta = metadata.metadata("soupsieve")
        engine, needs = f"soupsieve {meta['Version']}", meta["Requires-Python"] or "?"
    except (metadata.PackageNotFoundError, KeyError):
        engine, needs = "soupsieve", "?"
    info = sys.version_info
    return engine_problem((info.major, info.minor, info.micro), sys.base_prefix, engine, needs)
