"""The Redis backend against a real redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest
from redis.asyncio import Redis

from spangle.broadcast import Broadcast, BroadcastUnavailable
from spangle.broadcast.backends.redis import RedisBackend, decode, encode
from tests.broadcast.redis_server import RedisServer

WAIT = 10.0


def test_payloads_keep_the_message_type() -> None:
    assert [decode(encode(m)) for m in ("é", b"\x00", "", b"")] == [
        "é",
        b"\x00",
        "",
        b"",
    ]


def test_a_payload_without_a_type_tag_decodes_to_none() -> None:
    assert decode(b"untagged") is None


def test_only_str_and_bytes_can_be_encoded() -> None:
    with pytest.raises(TypeError):
        encode(1)  # type: ignore[arg-type]


async def test_publishing_on_an_unconnected_backend_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not connected"):
        await RedisBackend("redis://127.0.0.1:1/0").publish("room", "hi")


async def test_messages_cross_between_broadcasts_with_their_type(
    redis_server: RedisServer,
) -> None:
    async with (
        Broadcast(redis_server.url) as here,
        Broadcast(redis_server.url) as there,
        there.subscribe("room") as sub,
    ):
        await here.publish("room", "text")
        await here.publish("room", b"\x00binary")
        got = [await asyncio.wait_for(anext(sub), WAIT) for _ in range(2)]
    assert got == ["text", b"\x00binary"]


async def test_one_plain_subscribe_per_channel_per_process(
    redis_server: RedisServer,
) -> None:
    async with (
        Redis.from_url(redis_server.url) as redis,
        Broadcast(redis_server.url) as one,
        Broadcast(redis_server.url) as two,
    ):
        async with (
            one.subscribe("room") as _a,
            one.subscribe("room") as _b,
            one.subscribe("room") as _c,
            two.subscribe("room") as _d,
        ):
            counts = await redis.pubsub_numsub("spangle:room")
            patterns = await redis.pubsub_numpat()
        after = await redis.pubsub_numsub("spangle:room")
    assert counts == [(b"spangle:room", 2)]
    assert patterns == 0
    assert after == [(b"spangle:room", 0)]


async def test_publish_while_redis_is_down_raises_broadcast_unavailable(
    redis_server: RedisServer,
) -> None:
    async with Broadcast(redis_server.url) as hub:
        redis_server.kill()
        with pytest.raises(BroadcastUnavailable, match="Redis at redis://"):
            await asyncio.wait_for(hub.publish("room", "lost"), WAIT)


async def test_a_subscription_resumes_after_redis_restarts_and_the_outage_is_logged(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with Broadcast(redis_server.url) as hub, hub.subscribe("room") as sub:
        redis_server.kill()
        redis_server.start()
        assert await publish_until_received(hub, sub)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("lost the connection to Redis" in w for w in warnings)
    assert any("reachable again" in w for w in warnings)


async def test_a_redis_that_stops_answering_is_noticed_and_recovered_from(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    backend = RedisBackend(redis_server.url, timeout=0.5, health_interval=0.2)
    async with Broadcast(backend=backend) as hub, hub.subscribe("room") as sub:
        redis_server.pause()
        try:
            await until_logged(caplog, "lost the connection to Redis")
        finally:
            redis_server.resume()
        assert await publish_until_received(hub, sub)


async def until_logged(caplog: pytest.LogCaptureFixture, text: str) -> None:
    async def poll() -> None:
        while not any(text in r.getMessage() for r in caplog.records):
            await asyncio.sleep(0.02)  # polling a condition, bounded below

    await asyncio.wait_for(poll(), WAIT)


async def publish_until_received(hub: Broadcast, sub: object) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        try:
            await hub.publish("room", "back")
            if await asyncio.wait_for(anext(sub), 0.25) == "back":  # type: ignore[call-overload]
                return True
        except (BroadcastUnavailable, asyncio.TimeoutError):
            continue
    return False


async def test_startup_does_not_fail_while_redis_is_down_and_connects_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis_server = RedisServer()
    hub = Broadcast(backend=RedisBackend(redis_server.url, timeout=0.2))
    async with hub, hub.subscribe("room") as sub:
        redis_server.start()
        try:
            assert await publish_until_received(hub, sub)
        finally:
            redis_server.kill()
    assert any("cannot connect to Redis" in r.getMessage() for r in caplog.records)


async def test_a_message_without_a_type_tag_is_ignored(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        Redis.from_url(redis_server.url) as redis,
        Broadcast(redis_server.url) as hub,
        hub.subscribe("room") as sub,
    ):
        await redis.publish("spangle:room", b"foreign")
        await hub.publish("room", "ours")
        assert await asyncio.wait_for(anext(sub), WAIT) == "ours"
    assert any("type tag" in r.getMessage() for r in caplog.records)


async def test_a_failing_delivery_does_not_stop_the_subscriber(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[object] = []

    def deliver(
        channel: str, message: object, id: str | None = None, event: bool = False
    ) -> None:
        if not got:
            got.append("failed once")
            raise ValueError("bug in a subscriber")
        got.append(message)

    backend = RedisBackend(redis_server.url)
    await backend.connect(deliver)
    try:
        await backend.subscribe("room")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while len(got) < 2 and loop.time() < deadline:
            with contextlib.suppress(BroadcastUnavailable):
                await backend.publish("room", "again")
            await asyncio.sleep(0.05)  # polling for delivery, bounded by deadline
    finally:
        await backend.disconnect()
    assert got[:2] == ["failed once", "again"]
    assert "broadcast Redis subscriber failed" in caplog.text
