"""Fixtures for the broadcast tests: a real Redis on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.broadcast.redis_server import RedisServer, running_redis


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server
