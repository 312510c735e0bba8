"""The head revision of the shipped migrations, read from their files without alembic or
SQLAlchemy (``db.upgrade`` and the lean status reading compare it with the database's)."""

from __future__ import annotations

import re
from importlib.resources import files

_REVISION = re.compile(
    r"^(revision|down_revision)\b[^=\n]*=\s*(?:[\"']([^\"'\n]*)[\"']|None)", re.MULTILINE
)


def shipped_head() -> str | None:
    """The head revision of the shipped migrations, read from their files (revision and
    down_revision lines) without loading alembic; ``None`` when that reading is unsure."""
    revisions, parents = set(), set()
    for entry in (files("monitor.migrations") / "versions").iterdir():
        if not entry.name.endswith(".py") or entry.name.startswith("__"):
            continue
        found = dict(_REVISION.findall(entry.read_text(encoding="utf-8")))
        if not found.get("revision"):
            return None
        revisions.add(found["revision"])
        parents.add(found.get("down_revision") or "")
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None
