"""Rooms between real `spangle run` workers through a Redis that restarts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.broadcast.redis_server import RedisServer
from tests.support.server import Server, run_server

APP = "tests.apps.rooms_hub:api"
WAIT = 15.0


@contextmanager
def workers(redis: RedisServer) -> Iterator[list[Server]]:
    env = {"SPANGLE_TEST_BROADCAST_URL": redis.url}
    with ExitStack() as stack:
        yield [
            stack.enter_context(run_server(APP, server="spangle", env=env))
            for _ in range(2)
        ]


async def publish_acked(publisher: ClientConnection, text: str) -> bool:
    await publisher.send(text)
    reply = await asyncio.wait_for(publisher.recv(), WAIT)
    return str(reply).startswith("ok ")


async def messages_until(ws: ClientConnection, last: str) -> list[dict[str, Any]]:
    """Read framed messages until the one carrying `last`."""
    got: list[dict[str, Any]] = []
    while not got or got[-1]["data"] != last:
        frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if frame["type"] == "message":
            got.append(frame)
    return got


async def publish_around_a_restart(
    redis: RedisServer, publisher: ClientConnection
) -> list[str]:
    """Publish 30 messages, restart Redis, publish until 20 more are acked."""
    acked = [f"before {i}" for i in range(30)]
    for text in acked:
        assert await publish_acked(publisher, text)
    redis.restart()
    after = 0
    for i in range(2000):
        if await publish_acked(publisher, f"after {i}"):
            acked.append(f"after {i}")
            after += 1
            if after == 20:
                break
        else:
            await asyncio.sleep(0.01)  # pace the retries while the worker reconnects
    assert after == 20
    return acked


async def test_a_joined_client_gets_every_acknowledged_message_across_a_redis_restart(
    persistent_redis: RedisServer,
) -> None:
    with workers(persistent_redis) as (first, second):
        async with (
            connect(f"{second.ws_url}/room/news") as reader,
            connect(f"{first.ws_url}/pub/news") as publisher,
        ):
            await asyncio.wait_for(reader.recv(), WAIT)  # presence: it has joined
            acked = await publish_around_a_restart(persistent_redis, publisher)
            got = await messages_until(reader, acked[-1])
    texts = [frame["data"] for frame in got]
    assert [text for text in texts if text in acked] == acked
    assert len({frame["id"] for frame in got}) == len(got)


async def test_a_client_that_resumes_after_the_restart_gets_what_it_missed(
    persistent_redis: RedisServer,
) -> None:
    with workers(persistent_redis) as (first, second):
        async with connect(f"{first.ws_url}/pub/news") as publisher:
            assert await publish_acked(publisher, "seen")
            async with connect(f"{second.ws_url}/room/news?history=1") as reader:
                (seen,) = await messages_until(reader, "seen")
            acked = await publish_around_a_restart(persistent_redis, publisher)
        resume = f"{second.ws_url}/room/news?since={seen['id']}"
        async with connect(resume) as reader:
            got = await messages_until(reader, acked[-1])
    texts = [frame["data"] for frame in got]
    # A publish reported unavailable may still have been kept: at least once.
    assert [text for text in texts if text in acked] == acked
    assert len(set(texts)) == len(texts)
