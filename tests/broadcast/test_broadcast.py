"""Broadcast, the component: its options, lifecycle and joins through an Api."""

from __future__ import annotations

import pytest

from spangle import Api, Connection, use_component
from spangle.broadcast import Broadcast
from tests.broadcast.peers import FakePeer, open_connection, until


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


async def test_a_second_startup_does_nothing() -> None:
    hub = Broadcast()
    await hub.startup()
    await hub.startup()
    async with hub.subscribe("room") as sub:
        await hub.publish("room", "once")
        assert await anext(sub) == "once"
    await hub.shutdown()


async def test_shutdown_before_startup_does_nothing() -> None:
    hub = Broadcast()
    await hub.shutdown()
    async with hub, hub.subscribe("room") as sub:
        await hub.publish("room", "served")
        assert await anext(sub) == "served"


async def test_a_second_shutdown_does_nothing() -> None:
    hub = Broadcast()
    await hub.startup()
    await hub.shutdown()
    await hub.shutdown()
    with pytest.raises(RuntimeError, match="not started"):
        await hub.publish("room", "after")


async def test_joined_leaves_at_the_end_of_the_block() -> None:
    async with Broadcast() as hub:
        conn = await open_connection(FakePeer())
        async with hub.joined("room", conn):
            assert hub.subscriber_count("room") == 1
        assert hub.subscriber_count("room") == 0


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
