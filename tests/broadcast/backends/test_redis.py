"""The Redis backend against a real redis-server: pub/sub, history, presence."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from spangle.broadcast import Broadcast, BroadcastUnavailable
from spangle.broadcast.backends.base import Message
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


# -- history (streams) and presence ---------------------------------------


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


async def test_a_member_redis_lost_is_recorded_again_by_the_heartbeat(
    redis_server: RedisServer,
) -> None:
    from tests.broadcast.test_rooms import _accepted

    async with (
        Redis.from_url(redis_server.url) as redis,
        Broadcast(redis_server.url, presence_ttl=0.3) as hub,
    ):
        await hub.join("room", await _accepted(), meta={"nick": "ann"})
        await redis.flushall()
        members = await hub.presence("room")
        for _ in range(int(WAIT / 0.05)):
            if members:
                break
            await asyncio.sleep(0.05)  # polling for the heartbeat, bounded
            members = await hub.presence("room")
    assert [m.meta for m in members] == [{"nick": "ann"}]


def _ignore(
    channel: str, message: Message, id: str | None = None, event: bool = False
) -> None:
    pass


Call = Callable[[RedisBackend], Awaitable[Any]]


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda b: b.read("room", None, 5), "read the history from"),
        (lambda b: b.read("room", "1-0", 5), "read the history from"),
        (lambda b: b.announce("room", "{}"), "publish to"),
        (lambda b: b.members("room"), "read presence from"),
        (lambda b: b.refresh(1.0), "refresh presence in"),
        (lambda b: b.expire("room"), "expire presence in"),
    ],
    ids=["last", "since", "announce", "members", "refresh", "expire"],
)
async def test_a_history_or_presence_call_while_redis_is_down_is_unavailable(
    redis_server: RedisServer, call: Call, what: str
) -> None:
    backend = RedisBackend(redis_server.url, timeout=1.0)
    await backend.connect(_ignore)
    try:
        redis_server.kill()
        with pytest.raises(BroadcastUnavailable, match=f"cannot {what} Redis"):
            await asyncio.wait_for(call(backend), WAIT)
    finally:
        await backend.disconnect()


async def test_exit_of_a_member_never_entered_is_false(
    redis_server: RedisServer,
) -> None:
    backend = RedisBackend(redis_server.url)
    await backend.connect(_ignore)
    try:
        assert await backend.exit("room", "nobody") is False
    finally:
        await backend.disconnect()


async def test_reading_none_of_the_last_entries_is_an_empty_history(
    redis_server: RedisServer,
) -> None:
    backend = RedisBackend(redis_server.url)
    backend.keep_history(5)
    await backend.connect(_ignore)
    try:
        await backend.append("room", "kept")
        assert (await backend.read("room", None, 0)).entries == []
    finally:
        await backend.disconnect()


async def test_a_plain_subscriber_elsewhere_gets_no_presence_event(
    redis_server: RedisServer,
) -> None:
    from tests.broadcast.test_rooms import _accepted

    async with (
        Broadcast(redis_server.url) as here,
        Broadcast(redis_server.url) as there,
        there.subscribe("room") as sub,
    ):
        await here.join("room", await _accepted(), meta={"nick": "ann"})
        await here.publish("room", "after")
        assert await asyncio.wait_for(anext(sub), WAIT) == "after"


async def test_expire_removes_the_members_of_a_process_whose_key_is_gone(
    redis_server: RedisServer,
) -> None:
    backend = RedisBackend(redis_server.url)
    await backend.connect(_ignore)
    try:
        member = await backend.enter("room", '{"nick": "ann"}', 10.0)
        async with Redis.from_url(redis_server.url) as redis:
            await redis.delete(*await redis.keys("spangle:node:*"))  # as if expired
        removed = await backend.expire("room")
        left = await backend.members("room")
    finally:
        await backend.disconnect()
    assert [(r.id, left) for r in removed] == [(member, [])]


async def test_the_presence_heartbeat_outlives_an_outage_and_records_again(
    redis_server: RedisServer,
) -> None:
    from tests.broadcast.test_rooms import _accepted

    async with Broadcast(redis_server.url, presence_ttl=0.3) as hub:
        await hub.join("room", await _accepted(), meta={"nick": "ann"})
        redis_server.kill()
        await asyncio.sleep(0.3)  # an outage of a few heartbeats, not a wait for one
        redis_server.start()
        members: list[Any] = []
        for _ in range(int(WAIT / 0.05)):
            with contextlib.suppress(BroadcastUnavailable):
                members = await hub.presence("room")
            if members:
                break
            await asyncio.sleep(0.05)  # polling for the heartbeat, bounded
    assert [m.meta for m in members] == [{"nick": "ann"}]
