"""Selectors compiled once are remembered beside the SQLite database (config_cache.py), so
later commands skip the selector engine; problems are reported the same on every load."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.config_cache import SUFFIX
from monitor.errors import ConfigError

SOURCES = """
[monitor]
database = "sqlite:///tos.db"

[providers.acme]
name = "Acme"

[providers.acme.documents.terms]
url = "https://acme.example/terms"
select = ["main", "article > .body"]
remove = ["nav"]
"""
BAD = SOURCES.replace('remove = ["nav"]', 'remove = ["nav", "div[["]')


def project(tmp_path: Path, text: str = SOURCES, database: bool = True) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    if database:
        sqlite3.connect(tmp_path / "tos.db").close()
    return path


def cache_file(tmp_path: Path) -> Path:
    return tmp_path / f"tos.db{SUFFIX}"


def test_valid_selectors_are_remembered_and_read_the_same(tmp_path: Path) -> None:
    """The first load remembers the selectors it compiled; the next loads the same config."""
    path = project(tmp_path)
    first = load_config(path)
    remembered = json.loads(cache_file(tmp_path).read_text(encoding="utf-8"))["valid"]
    assert remembered == ["article > .body", "main", "nav"]
    assert load_config(path) == first


def test_an_invalid_selector_is_reported_the_same_on_every_load(tmp_path: Path) -> None:
    """An invalid selector is never remembered: each load reports it in the same words,
    and a file with a problem writes no cache."""
    path = project(tmp_path, BAD)
    messages = []
    for _ in range(2):
        with pytest.raises(ConfigError) as err:
            load_config(path)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "invalid CSS selector 'div[['" in messages[0]
    assert not cache_file(tmp_path).exists()
    project(tmp_path)
    load_config(path)  # a good file: its selectors are remembered
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(ConfigError) as again:
        load_config(path)
    assert str(again.value) == messages[0]


def test_a_cache_of_another_version_vouches_for_nothing(tmp_path: Path) -> None:
    """A file written under another key (another tos-monitor, Python or soupsieve), or not
    JSON, is ignored: the selectors are compiled again."""
    path = project(tmp_path, BAD)
    for content in ('{"key": "tosmon 0.0.1", "valid": ["div[["]}', "not json"):
        cache_file(tmp_path).write_text(content, encoding="utf-8")
        with pytest.raises(ConfigError, match=r"invalid CSS selector 'div\[\['"):
            load_config(path)


def test_no_cache_without_a_database_file(tmp_path: Path) -> None:
    """Before the database exists nothing is written beside sources.toml."""
    path = project(tmp_path, database=False)
    load_config(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources.toml"]
