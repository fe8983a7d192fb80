"""Joined connections: sent each message at once, queued only when behind.

On the memory backend a publish runs the fan-out before it returns, so a
connection that keeps up has the message by then; one whose send waits is
caught up by a task of its own, in order, without holding up the others,
and closed with 1013 when it falls a whole queue behind.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from spangle.broadcast import Broadcast
from tests.broadcast.peers import FakePeer, connection, open_connection, until


async def test_a_closed_connection_leaves_when_a_send_to_it_fails() -> None:
    peer = FakePeer()
    async with Broadcast(sweep_interval=60) as hub:
        conn = await open_connection(peer)
        await hub.join("room", conn)
        await conn.close()
        await hub.publish("room", "nobody reads this")
        await until(lambda: hub.subscriber_count("room") == 0)
    assert peer.frames == []


async def test_leave_stops_delivery_to_the_connection() -> None:
    peer = FakePeer()
    async with Broadcast() as hub:
        conn = await open_connection(peer)
        await hub.join("room", conn)
        await hub.publish("room", "one")
        await until(lambda: peer.frames == ["one"])
        await hub.leave("room", conn)
        await hub.publish("room", "two")
        assert hub.subscriber_count("room") == 0
    assert peer.frames == ["one"]


async def test_leaving_a_channel_never_joined_does_nothing() -> None:
    peer = FakePeer()
    async with Broadcast() as hub:
        conn = await open_connection(peer)
        await hub.leave("room", conn)
        assert hub.subscriber_count("room") == 0
    assert peer.sent[1:] == []  # nothing but the accept


async def test_one_connection_widening_its_channels_leaves_the_others_alone() -> None:
    alone, widening = FakePeer(), FakePeer()
    async with Broadcast() as hub:
        first = await open_connection(alone)
        second = await open_connection(widening)
        await hub.join("a", first)
        await hub.join("a", second)
        await hub.join("b", second)
        await hub.leave("a", second)
        for channel, text in [("a", "1"), ("b", "2")]:
            await hub.publish(channel, text)
        await until(lambda: alone.frames == ["1"] and widening.frames == ["2"])
        await hub.leave("a", first)
        await hub.join("a", first)
        await hub.publish("a", "3")
        await until(lambda: alone.frames == ["1", "3"])
    assert widening.frames == ["2"]


async def test_a_connection_joined_to_two_channels_gets_both_in_order() -> None:
    peer = FakePeer()
    async with Broadcast() as hub:
        conn = await open_connection(peer)
        await hub.join("a", conn)
        await hub.join("b", conn)
        await hub.join("b", conn)
        for channel, text in [("a", "1"), ("b", "2"), ("a", "3")]:
            await hub.publish(channel, text)
        await until(lambda: len(peer.frames) == 3)
    assert peer.frames == ["1", "2", "3"]


async def _lag(hub: Broadcast, slow_peer: FakePeer, fast_peer: FakePeer) -> None:
    """Join a client that stops reading and one that reads; overflow the first."""
    slow = await open_connection(slow_peer)
    fast = await open_connection(fast_peer)
    slow_peer.reading.clear()
    await hub.join("room", slow)
    await hub.join("room", fast)
    for i in range(8):
        await hub.publish("room", str(i))
        await until(lambda i=i: fast_peer.frames[-1:] == [str(i)])


async def test_a_lagging_connection_is_closed_with_1013_once_it_reads() -> None:
    slow_peer, fast_peer = FakePeer(), FakePeer()
    async with Broadcast(queue_size=5) as hub:
        await _lag(hub, slow_peer, fast_peer)
        assert hub.dropped == 1
        slow_peer.reading.set()  # the client reads again: it finds the close
        await until(lambda: slow_peer.close_code is not None)
    assert slow_peer.close_code == 1013


async def test_the_other_connections_keep_receiving_past_a_lagging_one() -> None:
    slow_peer, fast_peer = FakePeer(), FakePeer()
    async with Broadcast(queue_size=5) as hub:
        await _lag(hub, slow_peer, fast_peer)
    assert fast_peer.frames == [str(i) for i in range(8)]
    assert fast_peer.close_code is None


async def test_shutdown_sends_what_is_queued() -> None:
    peer = FakePeer()
    hub = Broadcast()
    await hub.startup()
    await hub.join("room", await open_connection(peer))
    await hub.publish("room", "bye")
    await hub.shutdown()
    assert peer.frames == ["bye"]


async def test_shutdown_leaves_joined_connections_open() -> None:
    hub = Broadcast()
    await hub.startup()
    conn = await open_connection(FakePeer())
    await hub.join("room", conn)
    await hub.shutdown()
    assert conn.open


async def test_shutdown_gives_up_on_a_send_that_never_ends() -> None:
    peer = FakePeer()
    hub = Broadcast(drain_timeout=0.05)
    await hub.startup()
    conn = await open_connection(peer)
    peer.reading.clear()
    await hub.join("room", conn)
    await hub.publish("room", "stuck")
    await hub.shutdown()
    assert peer.frames == []


async def test_a_dropped_connection_that_never_reads_is_given_up_after_close_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "spangle.broadcast")
    peer = FakePeer()
    async with Broadcast(queue_size=1, close_timeout=0.05) as hub:
        conn = await open_connection(peer)
        peer.reading.clear()
        await hub.join("room", conn)
        for text in "abc":
            await hub.publish("room", text)
        await until(lambda: "did not read its 1013" in caplog.text)
    assert conn.closed
    assert hub.dropped == 1


async def test_a_client_gone_while_sending_leaves_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    peer = FakePeer()
    async with Broadcast(sweep_interval=60) as hub:
        conn = await open_connection(peer)
        await hub.join("room", conn)
        peer.gone = True
        await hub.publish("room", "into the void")
        await until(lambda: hub.subscriber_count("room") == 0)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_joining_before_accept_is_reported_and_the_connection_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Broadcast() as hub:
        await hub.join("room", connection(FakePeer(), client=None))
        await hub.publish("room", "too early")
        await until(lambda: hub.subscriber_count("room") == 0)
    assert "stopped broadcasting to WebSocket /ws (client unknown)" in caplog.text


async def test_an_unexpected_send_failure_is_logged_and_the_connection_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    peer = FakePeer()
    async with Broadcast() as hub:
        conn = await open_connection(peer)
        await hub.join("room", conn)
        peer.failure = ValueError("server bug")
        await hub.publish("room", "boom")
        await until(lambda: hub.subscriber_count("room") == 0)
    assert "stopped broadcasting to WebSocket /ws" in caplog.text
    assert "server bug" in caplog.text


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
