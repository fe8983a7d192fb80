"""Rooms on a real Redis: history in streams, catch-up after a restart, presence."""

from __future__ import annotations

import asyncio
import contextlib

from spangle.broadcast import Broadcast, BroadcastUnavailable
from tests.broadcast.redis_server import RedisServer

WAIT = 10.0


async def test_history_is_shared_by_every_process_on_one_redis(
    redis_server: RedisServer,
) -> None:
    async with (
        Broadcast(redis_server.url, history=10) as first,
        Broadcast(redis_server.url, history=10) as second,
    ):
        ids = [await first.publish("room", f"m{i}") for i in range(5)]
        async with second.subscribe("room", history=3) as sub:
            got = [(await anext(sub), sub.last_id) for _ in range(3)]
    assert got == [("m2", ids[2]), ("m3", ids[3]), ("m4", ids[4])]


async def test_text_and_binary_keep_their_type_in_the_stream(
    redis_server: RedisServer,
) -> None:
    async with Broadcast(redis_server.url, history=10) as hub:
        await hub.publish("room", "text")
        await hub.publish("room", b"\x00bin")
        async with hub.subscribe("room", history=2) as sub:
            assert [await anext(sub), await anext(sub)] == ["text", b"\x00bin"]


async def test_the_stream_keeps_exactly_the_last_n_and_reports_older_ids_missed(
    redis_server: RedisServer,
) -> None:
    async with Broadcast(redis_server.url, history=3) as hub:
        ids = [await hub.publish("room", f"m{i}") for i in range(6)]
        async with hub.subscribe("room", since=ids[0]) as old:
            assert old.missed
            assert await anext(old) == "m3"
        async with hub.subscribe("room", since=ids[2]) as recent:
            assert not recent.missed
            assert await anext(recent) == "m3"


async def test_since_on_a_channel_redis_has_no_history_of_is_missed(
    redis_server: RedisServer,
) -> None:
    async with (
        Broadcast(redis_server.url, history=3) as hub,
        hub.subscribe("empty", since="1-0") as sub,
    ):
        assert sub.missed


async def publish_until_acked(hub: Broadcast, channel: str, message: str) -> bool:
    """Publish; report whether the publish returned normally."""
    try:
        await hub.publish(channel, message)
    except BroadcastUnavailable:
        return False
    return True


async def test_a_subscriber_gets_every_acknowledged_message_across_a_redis_restart(
    persistent_redis: RedisServer,
) -> None:
    url = persistent_redis.url
    acked: list[str] = []
    async with (
        Broadcast(url, history=500) as publisher,
        Broadcast(url, history=500) as reader,
        reader.subscribe("room") as sub,
    ):
        for i in range(30):
            if await publish_until_acked(publisher, "room", f"before {i}"):
                acked.append(f"before {i}")
        persistent_redis.restart()
        for i in range(200):
            if await publish_until_acked(publisher, "room", f"after {i}"):
                acked.append(f"after {i}")
            if len([m for m in acked if m.startswith("after")]) >= 20:
                break
            await asyncio.sleep(0.01)  # pace the retries while Redis comes back
        got: list[str] = []

        async def read_up_to_the_last() -> None:
            while acked[-1] not in got:
                got.append(str(await anext(sub)))

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(read_up_to_the_last(), WAIT)
    assert [m for m in got if m in acked] == acked
    assert len(got) == len(set(got))


async def test_presence_is_seen_from_every_process(redis_server: RedisServer) -> None:
    from tests.broadcast.test_rooms import _accepted

    async with (
        Broadcast(redis_server.url) as here,
        Broadcast(redis_server.url) as there,
    ):
        conn = await _accepted()
        await here.join("room", conn, meta={"nick": "ann"})
        seen = [p.meta for p in await there.presence("room")]
        await here.leave("room", conn)
        after = await there.presence("room")
    assert seen == [{"nick": "ann"}]
    assert after == []
