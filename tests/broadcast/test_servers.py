"""Broadcast between real uvicorn processes through a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.broadcast.redis_server import RedisServer
from tests.support.server import Server, run_server
from tests.support.ws_client import (
    close_code_after_reading_everything,
    small_window_socket,
)

APP = "tests.apps.broadcast_hub:api"
WAIT = 10.0


@contextmanager
def servers(
    redis: RedisServer, count: int, queue_size: int = 1000
) -> Iterator[list[Server]]:
    env = {
        "SPANGLE_TEST_BROADCAST_URL": redis.url,
        "SPANGLE_TEST_QUEUE_SIZE": str(queue_size),
    }
    with ExitStack() as stack:
        yield [stack.enter_context(run_server(APP, env=env)) for _ in range(count)]


async def subscriber(
    server: Server, channel: str, **options: object
) -> ClientConnection:
    ws = await connect(f"{server.ws_url}/sub/{channel}", **options)  # type: ignore[arg-type]
    assert await asyncio.wait_for(ws.recv(), WAIT) == "ready"
    return ws


async def test_messages_published_through_one_process_reach_clients_of_both_in_order(
    redis_server: RedisServer,
) -> None:
    with servers(redis_server, 2) as (first, second):
        sent = [f"message {i}" for i in range(1000)]
        async with (
            await subscriber(first, "room") as near,
            await subscriber(second, "room") as far,
            connect(f"{first.ws_url}/pub/room") as publisher,
        ):
            for message in sent:
                await publisher.send(message)
            got_near = [await asyncio.wait_for(near.recv(), WAIT) for _ in sent]
            got_far = [await asyncio.wait_for(far.recv(), WAIT) for _ in sent]
    assert got_near == sent
    assert got_far == sent


async def test_binary_messages_stay_binary_across_processes(
    redis_server: RedisServer,
) -> None:
    with servers(redis_server, 2) as (first, second):
        async with (
            await subscriber(second, "bin") as far,
            connect(f"{first.ws_url}/pub/bin") as publisher,
        ):
            await publisher.send(b"\x00\xff")
            await publisher.send("text")
            got = [await asyncio.wait_for(far.recv(), WAIT) for _ in range(2)]
    assert got == [b"\x00\xff", "text"]


async def test_hypercorn_and_uvicorn_processes_share_a_channel(
    redis_server: RedisServer,
) -> None:
    env = {"SPANGLE_TEST_BROADCAST_URL": redis_server.url}
    sent = [f"m{i}" for i in range(100)]
    with (
        run_server(APP, server="hypercorn", env=env) as hypercorn,
        run_server(APP, env=env) as uvicorn,
    ):
        async with (
            await subscriber(hypercorn, "mixed") as client,
            connect(f"{uvicorn.ws_url}/pub/mixed") as publisher,
        ):
            for message in sent:
                await publisher.send(message)
            got = [await asyncio.wait_for(client.recv(), WAIT) for _ in sent]
    assert got == sent


async def test_a_slow_consumer_is_closed_with_1013_while_a_fast_one_keeps_receiving(
    redis_server: RedisServer,
) -> None:
    payload = "x" * 16384
    with servers(redis_server, 1, queue_size=20) as (server,):
        async with (
            await subscriber(server, "feed") as fast,
            # No compression: the payloads must really fill the buffers.
            await subscriber(
                server,
                "feed",
                sock=small_window_socket(server.port),
                max_queue=1,
                compression=None,
            ) as slow,
            connect(f"{server.ws_url}/pub/feed") as publisher,
            httpx.AsyncClient(base_url=server.http_url) as http,
        ):
            sent = 0
            # The slow client reads nothing: publish in steps the fast one
            # keeps up with until the server reports the drop.
            while (await http.get("/stats")).json()["dropped"] == 0:
                assert sent < 3000, "the slow consumer was never dropped"
                for _ in range(10):
                    await publisher.send(f"{sent}:{payload}")
                    sent += 1
                for expected in range(sent - 10, sent):
                    got = await asyncio.wait_for(fast.recv(), WAIT)
                    assert got == f"{expected}:{payload}"
            await publisher.send("after the drop")
            assert await asyncio.wait_for(fast.recv(), WAIT) == "after the drop"
            code = await close_code_after_reading_everything(slow)
    assert code == 1013
    assert "dropped WebSocket /sub/feed" in server.output


async def test_delivery_resumes_after_redis_is_killed_and_restarted(
    redis_server: RedisServer,
) -> None:
    with servers(redis_server, 2) as (first, second):
        async with (
            await subscriber(second, "live") as far,
            httpx.AsyncClient(base_url=first.http_url) as http,
        ):
            assert (await http.post("/pub/live", content="before")).status_code == 200
            assert await asyncio.wait_for(far.recv(), WAIT) == "before"
            redis_server.kill()
            down = await http.post("/pub/live", content="lost", timeout=WAIT)
            redis_server.start()
            resumed = await publish_until_received(http, far, "after")
    assert down.status_code == 503
    assert "Redis" in down.text
    assert resumed
    for server in (first, second):
        assert "Redis at" in server.output and "reachable again" in server.output


async def publish_until_received(
    http: httpx.AsyncClient, ws: ClientConnection, text: str
) -> bool:
    # Delivery must resume within 15 s of Redis coming back.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        if (await http.post("/pub/live", content=text)).status_code == 200:
            try:
                if await asyncio.wait_for(ws.recv(), 0.25) == text:
                    return True
            except asyncio.TimeoutError:
                pass
    return False
