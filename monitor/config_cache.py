"""CSS selectors known to be valid, remembered beside the SQLite database (``tosmon.db`` →
``tosmon.db-selectors.json``), so that a command does not load and run the selector engine
(soupsieve, which loads BeautifulSoup, and compiles its own patterns on first use) for the
selectors of sources.toml every time it starts: ``tosmon status`` and a check of unchanged
pages need no selector engine at all.

The file lists selectors that soupsieve compiled, under a key naming the tos-monitor
version, the Python and the soupsieve installation (its files' path, size and
modification time, read without importing it); a file of another key, unreadable or
malformed, is ignored and rewritten. Only valid selectors are remembered: an invalid one
is compiled, and reported in the same words, every time. The file is written only after
sources.toml was read without any problem, only beside a database file that exists (never
for PostgreSQL), and atomically; failing to write it changes nothing but speed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

from . import __version__

SUFFIX = "-selectors.json"


def engine_key() -> str | None:
    """What the validity of a selector depends on; ``None`` when that cannot be told."""
    spec = find_spec("soupsieve")
    if spec is None or spec.origin is None:
        return None
    meta = Path(spec.origin).with_name("__meta__.py")  # where soupsieve keeps its version
    try:
        st = meta.stat()
    except OSError:
        return None
    return f"tosmon {__version__}; Python {sys.version}; {meta} {st.st_size} {st.st_mtime_ns}"


def cache_path(database_url: str) -> Path | None:
    """The cache file beside ``database_url``'s SQLite file, when that file exists."""
    if not database_url.startswith("sqlite:///") or "?" in database_url:
        return None
    db = Path(database_url[len("sqlite:///") :])
    return db.with_name(db.name + SUFFIX) if db.is_file() else None


class KnownSelectors:
    """The selectors remembered as valid, and those found valid during this reading."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.key = engine_key() if path is not None else None
        self.valid: set[str] = set()
        self.learned: set[str] = set()
        if self.path is not None and self.key is not None:
            self.valid = _read(self.path, self.key)

    @classmethod
    def beside(cls, database_url: str) -> KnownSelectors:
        return cls(cache_path(database_url))

    def __contains__(self, selector: str) -> bool:
        return selector in self.valid

    def learn(self, selector: str) -> None:
        """``selector`` compiled: remember it (written by ``save``)."""
        if selector not in self.valid:
            self.learned.add(selector)

    def save(self) -> None:
        """Write the remembered and the learned selectors, when any was learned."""
        if self.path is None or self.key is None or not self.learned:
            return
        data = {"key": self.key, "valid": sorted(self.valid | self.learned)}
        try:
            fd, tmp = tempfile.mkstemp(prefix=self.path.name, dir=self.path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _read(path: Path, key: str) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(data, dict) or data.get("key") != key:
        return set()
    valid = data.get("valid")
    return {s for s in valid if isinstance(s, str)} if isinstance(valid, list) else set()
