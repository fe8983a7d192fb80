"""Subscriptions: one fan-out per channel, bounded queues, drops."""

from __future__ import annotations

import asyncio
import logging

import pytest

from spangle.broadcast import Broadcast, SubscriberDropped


async def test_subscribers_get_every_message_in_order() -> None:
    async with (
        Broadcast() as hub,
        hub.subscribe("room") as first,
        hub.subscribe("room") as second,
    ):
        for message in ("a", "b", "c"):
            await hub.publish("room", message)
        got = [[await anext(sub) for _ in range(3)] for sub in (first, second)]
    assert got == [["a", "b", "c"]] * 2


async def test_messages_keep_their_type_empty_ones_included() -> None:
    async with Broadcast() as hub, hub.subscribe("room") as sub:
        for message in ("a", b"b", "", b""):
            await hub.publish("room", message)
        got = [await anext(sub) for _ in range(4)]
    assert [(m, type(m)) for m in got] == [
        ("a", str),
        (b"b", bytes),
        ("", str),
        (b"", bytes),
    ]


async def test_messages_of_other_channels_are_not_received() -> None:
    async with Broadcast() as hub, hub.subscribe("a") as sub:
        await hub.publish("b", "not for a")
        await hub.publish("a", "for a")
        assert await anext(sub) == "for a"


async def test_subscriptions_end_after_their_queued_messages_at_shutdown() -> None:
    hub = Broadcast()
    await hub.startup()
    async with hub.subscribe("room") as sub:
        await hub.publish("room", "last")
        await hub.shutdown()
        assert [message async for message in sub] == ["last"]


async def test_a_consumer_waiting_at_shutdown_stops_iterating() -> None:
    hub = Broadcast()
    await hub.startup()
    async with hub.subscribe("room") as sub:
        waiting = asyncio.ensure_future(anext(sub))
        await asyncio.sleep(0)  # let it reach its wait
        assert not waiting.done()
        await hub.shutdown()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(waiting, 5)


async def _fall_behind(hub: Broadcast, slow: object, fast: object) -> None:
    """Publish one message more than the queue holds; `fast` reads each."""
    for i in range(4):
        await hub.publish("room", str(i))
        assert await anext(fast) == str(i)  # type: ignore[call-overload]


async def test_a_subscription_that_falls_behind_raises_subscriber_dropped() -> None:
    async with (
        Broadcast(queue_size=3) as hub,
        hub.subscribe("room") as slow,
        hub.subscribe("room") as fast,
    ):
        await _fall_behind(hub, slow, fast)
        with pytest.raises(SubscriberDropped, match="more than 3 messages behind"):
            await anext(slow)


async def test_the_others_keep_receiving_after_a_subscription_is_dropped() -> None:
    async with (
        Broadcast(queue_size=3) as hub,
        hub.subscribe("room") as slow,
        hub.subscribe("room") as fast,
    ):
        await _fall_behind(hub, slow, fast)
        await hub.publish("room", "still flowing")
        assert await anext(fast) == "still flowing"


async def test_a_dropped_subscription_is_counted_and_logged_with_its_channel(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        Broadcast(queue_size=3) as hub,
        hub.subscribe("room") as slow,
        hub.subscribe("room") as fast,
    ):
        await _fall_behind(hub, slow, fast)
    assert hub.dropped == 1
    assert any(
        r.levelno == logging.WARNING and "'room'" in r.getMessage()
        for r in caplog.records
    )
