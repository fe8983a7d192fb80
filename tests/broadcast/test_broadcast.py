"""Broadcast on the memory backend: API, components, joined connections, drops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from typing import Any

import pytest

from spangle import Api, Connection, use_component
from spangle.broadcast import Broadcast, SubscriberDropped

WAIT = 5.0


class FakePeer:
    """An ASGI server side for one connection whose client reads when told to."""

    def __init__(self) -> None:
        self.sent: list[MutableMapping[str, Any]] = []
        self.reading = asyncio.Event()
        self.reading.set()
        self.gone = False
        self.failure: Exception | None = None
        self.inbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        if self.gone:
            raise OSError("the client is gone")
        if self.failure is not None:
            raise self.failure
        await self.reading.wait()
        self.sent.append(message)

    async def receive(self) -> MutableMapping[str, Any]:
        return await self.inbox.get()

    @property
    def frames(self) -> list[Any]:
        return [
            m.get("text", m.get("bytes"))
            for m in self.sent
            if m["type"] == "websocket.send"
        ]

    @property
    def close_code(self) -> int | None:
        closes = [m["code"] for m in self.sent if m["type"] == "websocket.close"]
        return closes[0] if closes else None


async def open_connection(peer: FakePeer) -> Connection:
    scope = {
        "type": "websocket",
        "path": "/ws",
        "headers": [],
        "client": ("127.0.0.1", 1),
    }
    conn = Connection(scope, peer.receive, peer.send)
    await conn.accept()
    return conn


async def until(predicate: Any) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)  # polling a condition, bounded by WAIT

    await asyncio.wait_for(poll(), WAIT)


async def test_subscribers_get_every_message_in_order_with_its_type() -> None:
    async with (
        Broadcast() as hub,
        hub.subscribe("room") as first,
        hub.subscribe("room") as second,
    ):
        for message in ("a", b"b", "", b""):
            await hub.publish("room", message)
        got = [[await anext(sub) for _ in range(4)] for sub in (first, second)]
    assert got == [["a", b"b", "", b""]] * 2


async def test_messages_of_other_channels_are_not_received() -> None:
    async with Broadcast() as hub, hub.subscribe("a") as sub:
        await hub.publish("b", "not for a")
        await hub.publish("a", "for a")
        assert await anext(sub) == "for a"


async def test_publish_refuses_anything_but_str_and_bytes() -> None:
    async with Broadcast() as hub:
        with pytest.raises(TypeError):
            await hub.publish("room", 1)  # type: ignore[arg-type]


async def test_publish_before_startup_raises_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        await Broadcast().publish("room", "hi")


def test_an_unknown_url_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="memory://"):
        Broadcast("kafka://localhost")


def test_a_queue_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        Broadcast(queue_size=0)


async def test_subscriptions_end_after_their_queued_messages_at_shutdown() -> None:
    hub = Broadcast()
    await hub.startup()
    async with hub.subscribe("room") as sub:
        await hub.publish("room", "last")
        await hub.shutdown()
        assert [message async for message in sub] == ["last"]


async def test_a_subscription_that_falls_behind_raises_and_is_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        Broadcast(queue_size=3) as hub,
        hub.subscribe("room") as slow,
        hub.subscribe("room") as fast,
    ):
        for i in range(4):
            await hub.publish("room", str(i))
            assert await anext(fast) == str(i)
        with pytest.raises(SubscriberDropped, match="more than 3 messages behind"):
            await anext(slow)
        await hub.publish("room", "still flowing")
        assert await anext(fast) == "still flowing"
    assert hub.dropped == 1
    assert any(
        r.levelno == logging.WARNING and "'room'" in r.getMessage()
        for r in caplog.records
    )


class Hub(Broadcast):
    def __init__(self) -> None:
        super().__init__("memory://", sweep_interval=0.05)


def chat_api() -> Api:
    api = Api(components=[Hub])

    @api.route("/room")
    class Room:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            hub = use_component(Hub)
            await hub.join("room", conn)
            await conn.send("joined")
            async for message in conn:
                await hub.publish("room", message)

    return api


async def test_a_joined_connection_gets_text_and_binary_frames() -> None:
    api = chat_api()
    async with api.client() as client, client.ws_connect("/room") as ws:
        assert await ws.receive() == "joined"
        await use_component(Hub, api=api).publish("room", b"\x01")
        await ws.send("text")
        assert [await ws.receive(), await ws.receive()] == [b"\x01", "text"]


async def test_a_closed_connection_leaves_without_another_message() -> None:
    api = chat_api()
    hub = use_component(Hub, api=api)
    async with api.client() as client:
        async with client.ws_connect("/room") as ws:
            assert await ws.receive() == "joined"
            assert hub.subscriber_count("room") == 1
        await until(lambda: hub.subscriber_count("room") == 0)


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


async def test_joined_leaves_at_the_end_of_the_block() -> None:
    peer = FakePeer()
    async with Broadcast() as hub:
        conn = await open_connection(peer)
        async with hub.joined("room", conn):
            assert hub.subscriber_count("room") == 1
        assert hub.subscriber_count("room") == 0


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


async def test_a_lagging_connection_gets_1013_and_others_keep_receiving() -> None:
    slow_peer, fast_peer = FakePeer(), FakePeer()
    async with Broadcast(queue_size=5) as hub:
        slow = await open_connection(slow_peer)
        fast = await open_connection(fast_peer)
        slow_peer.reading.clear()
        await hub.join("room", slow)
        await hub.join("room", fast)
        for i in range(8):
            await hub.publish("room", str(i))
            await until(lambda i=i: fast_peer.frames[-1:] == [str(i)])
        assert hub.dropped == 1
        slow_peer.reading.set()  # the client reads again: it finds the close
        await until(lambda: slow_peer.close_code is not None)
    assert slow_peer.close_code == 1013
    assert slow.closed
    assert fast_peer.frames == [str(i) for i in range(8)]
    assert not fast.closed


async def test_shutdown_sends_what_is_queued_and_leaves_connections_open() -> None:
    peer = FakePeer()
    hub = Broadcast()
    await hub.startup()
    conn = await open_connection(peer)
    await hub.join("room", conn)
    await hub.publish("room", "bye")
    await hub.shutdown()
    assert peer.frames == ["bye"]
    assert not conn.closed


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
    peer = FakePeer()
    scope: dict[str, Any] = {
        "type": "websocket",
        "path": "/ws",
        "headers": [],
        "client": None,
    }
    async with Broadcast() as hub:
        conn = Connection(scope, peer.receive, peer.send)
        await hub.join("room", conn)
        await hub.publish("room", "too early")
        await until(lambda: hub.subscriber_count("room") == 0)
    assert "stopped broadcasting to WebSocket /ws (client unknown)" in caplog.text


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


async def test_startup_and_shutdown_twice_and_leaving_unknown_do_nothing() -> None:
    hub = Broadcast()
    await hub.shutdown()
    await hub.startup()
    await hub.startup()
    await hub.leave("room", await open_connection(FakePeer()))
    await hub.shutdown()
    await hub.shutdown()


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
