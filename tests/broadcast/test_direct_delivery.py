"""Joined connections are sent each message at once, and queued only when behind.

On the memory backend a publish runs the fan-out before it returns, so a
connection that keeps up has the message by then; one whose send waits is
caught up by a task of its own, in order, without holding up the others.
"""

from __future__ import annotations

import asyncio

from spangle.broadcast import Broadcast
from tests.broadcast.test_broadcast import FakePeer, open_connection, until


async def test_a_connection_that_keeps_up_has_the_message_when_publish_returns() -> (
    None
):
    peers = [FakePeer() for _ in range(3)]
    async with Broadcast() as hub:
        for peer in peers:
            await hub.join("room", await open_connection(peer))
        await hub.publish("room", "now")
        assert [peer.frames for peer in peers] == [["now"]] * 3


async def test_messages_queued_behind_a_waiting_send_arrive_in_order() -> None:
    peer = FakePeer()
    async with Broadcast() as hub:
        await hub.join("room", await open_connection(peer))
        peer.reading.clear()
        for i in range(5):
            await hub.publish("room", str(i))
        assert peer.frames == []
        peer.reading.set()
        await until(lambda: len(peer.frames) == 5)
    assert peer.frames == ["0", "1", "2", "3", "4"]


async def test_a_connection_that_caught_up_is_sent_at_once_again() -> None:
    peer = FakePeer()
    async with Broadcast() as hub:
        await hub.join("room", await open_connection(peer))
        peer.reading.clear()
        await hub.publish("room", "late")
        peer.reading.set()
        await until(lambda: peer.frames == ["late"])
        await asyncio.sleep(0)  # the catch-up task ends after its last send
        await hub.publish("room", "at once")
        assert peer.frames == ["late", "at once"]


async def test_a_waiting_connection_does_not_delay_the_others() -> None:
    slow, fast = FakePeer(), FakePeer()
    async with Broadcast() as hub:
        await hub.join("room", await open_connection(slow))
        await hub.join("room", await open_connection(fast))
        slow.reading.clear()
        for i in range(3):
            await hub.publish("room", str(i))
            assert fast.frames[-1] == str(i)
        slow.reading.set()
        await until(lambda: len(slow.frames) == 3)
    assert slow.frames == fast.frames == ["0", "1", "2"]


async def test_a_send_failing_during_a_publish_does_not_stop_it_for_the_others() -> (
    None
):
    gone, first, last = FakePeer(), FakePeer(), FakePeer()
    async with Broadcast(sweep_interval=60) as hub:
        await hub.join("room", await open_connection(first))
        await hub.join("room", await open_connection(gone))
        await hub.join("room", await open_connection(last))
        gone.gone = True
        await hub.publish("room", "still")
        assert first.frames == last.frames == ["still"]
        await until(lambda: hub.subscriber_count("room") == 2)


async def test_many_messages_in_a_row_arrive_complete_and_in_order() -> None:
    # Connection.send lets the loop run every few hundred sends: the
    # connection is behind for a moment each time, and must catch up in order.
    peer = FakePeer()
    async with Broadcast() as hub:
        await hub.join("room", await open_connection(peer))
        for i in range(1000):
            await hub.publish("room", str(i))
        await until(lambda: len(peer.frames) == 1000)
    assert peer.frames == [str(i) for i in range(1000)]
