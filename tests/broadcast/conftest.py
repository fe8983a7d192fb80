"""Fixtures for the broadcast tests: a real Redis on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.broadcast.redis_server import RedisServer, running_redis


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture
def persistent_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis with `appendonly yes`: a restart keeps its data."""
    with running_redis(str(tmp_path)) as server:
        yield server
