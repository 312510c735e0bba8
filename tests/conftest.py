"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from servers import LocalServer


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A started ``LocalServer`` on 127.0.0.1 (see tests/servers.py), stopped after the test."""
    with LocalServer() as server:
        yield server
