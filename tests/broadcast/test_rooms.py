"""Rooms on the memory backend: history with ids, resume, presence, events."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from spangle import Api, Connection, use_component
from spangle.broadcast import Broadcast, Presence, SubscriberDropped
from spangle.exceptions import WebSocketDisconnect
from spangle.testing import AsyncWebsocketClient
from tests.broadcast.peers import WAIT, FakePeer, open_connection, until


def rooms_app(history: int = 10, **options: Any) -> tuple[Api, type[Broadcast]]:
    """An app whose `/ws/{nick}` joins room "r" with the query's options."""

    class Hub(Broadcast):
        def __init__(self) -> None:
            super().__init__("memory://", history=history, **options)

    api = Api(components=[Hub])

    @api.route("/ws/{nick}")
    class Room:
        async def on_ws(self, conn: Connection, nick: str) -> None:
            await conn.accept()
            hub = use_component(Hub)
            params = conn.params
            join: dict[str, Any] = {"events": "events" in params}
            if nick != "-":
                join["meta"] = {"nick": nick}
            if "since" in params:
                join["since"] = params["since"]
            if "history" in params:
                join["history"] = int(params["history"])
            async with hub.joined("r", conn, **join):
                async for message in conn:
                    await hub.publish("r", message)

    return api, Hub


async def frames(ws: AsyncWebsocketClient, count: int) -> list[dict[str, Any]]:
    return [json.loads(await ws.receive(str)) for _ in range(count)]


def data(items: list[dict[str, Any]]) -> list[str]:
    return [item["data"] for item in items if item["type"] == "message"]


# -- ids and history -------------------------------------------------------


async def test_publish_returns_ids_that_increase_per_channel() -> None:
    async with Broadcast(history=3) as hub:
        ids = [await hub.publish("a", str(i)) for i in range(50)]
    keys = [tuple(map(int, str(i).split("-"))) for i in ids]
    assert keys == sorted(set(keys))


async def test_publish_without_history_returns_none() -> None:
    async with Broadcast() as hub:
        assert await hub.publish("a", "x") is None


async def test_a_subscription_starts_with_the_last_messages_then_live_ones() -> None:
    async with Broadcast(history=5) as hub:
        for i in range(8):
            await hub.publish("a", f"m{i}")
        async with hub.subscribe("a", history=2) as sub:
            await hub.publish("a", "live")
            got = [await anext(sub) for _ in range(3)]
    assert got == ["m6", "m7", "live"]


async def test_last_id_is_the_id_of_the_message_just_returned() -> None:
    async with Broadcast(history=5) as hub, hub.subscribe("a") as sub:
        first = await hub.publish("a", "one")
        await hub.publish("a", "two")
        await anext(sub)
        assert sub.last_id == first


async def test_since_resumes_after_that_id_with_nothing_missed() -> None:
    async with Broadcast(history=5) as hub:
        ids = [await hub.publish("a", f"m{i}") for i in range(4)]
        async with hub.subscribe("a", since=ids[1]) as sub:
            got = [await anext(sub) for _ in range(2)]
    assert got == ["m2", "m3"]
    assert not sub.missed


async def test_since_older_than_the_window_is_reported_missed() -> None:
    async with Broadcast(history=3) as hub:
        ids = [await hub.publish("a", f"m{i}") for i in range(6)]
        async with hub.subscribe("a", since=ids[0]) as sub:
            got = [await anext(sub) for _ in range(3)]
    assert sub.missed
    assert got == ["m3", "m4", "m5"]


async def test_since_just_before_the_window_misses_nothing() -> None:
    async with Broadcast(history=3) as hub:
        ids = [await hub.publish("a", f"m{i}") for i in range(6)]
        async with hub.subscribe("a", since=ids[2]) as sub:
            assert not sub.missed


async def test_a_malformed_since_counts_as_older_than_the_window() -> None:
    async with Broadcast(history=3) as hub:
        await hub.publish("a", "m0")
        async with hub.subscribe("a", since="not-an-id") as sub:
            assert sub.missed
            assert await anext(sub) == "m0"


async def test_history_and_since_need_a_broadcast_that_keeps_history() -> None:
    async with Broadcast() as hub:
        with pytest.raises(ValueError, match=r"Broadcast\(url, history=N\)"):
            async with hub.subscribe("a", history=3):
                pass


def test_history_above_the_queue_size_is_refused() -> None:
    with pytest.raises(ValueError, match="history must be from 0 to queue_size"):
        Broadcast(history=11, queue_size=10)


# -- joined connections ------------------------------------------------------


async def test_a_plain_join_on_a_history_broadcast_gets_plain_frames() -> None:
    api, hub_class = rooms_app()

    @api.route("/plain")
    class Plain:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            async with use_component(hub_class).joined("r", conn):
                await conn.send("ready")
                async for _ in conn:
                    pass

    async with api.client() as client, client.ws_connect("/plain") as ws:
        assert await ws.receive() == "ready"
        hub = use_component(hub_class, api=api)
        await hub.publish("r", "text")
        await hub.publish("r", b"\x00")
        assert [await ws.receive(), await ws.receive()] == ["text", b"\x00"]


async def test_a_join_with_history_gets_it_framed_with_ids_then_live() -> None:
    api, hub_class = rooms_app()
    async with api.client() as client:
        hub = use_component(hub_class, api=api)
        ids = [await hub.publish("r", f"m{i}") for i in range(3)]
        async with client.ws_connect("/ws/-", params={"history": "2"}) as ws:
            got = await frames(ws, 2)
            live = await hub.publish("r", "live")
            got += await frames(ws, 1)
    assert got == [
        {"type": "message", "channel": "r", "id": ids[1], "data": "m1"},
        {"type": "message", "channel": "r", "id": ids[2], "data": "m2"},
        {"type": "message", "channel": "r", "id": live, "data": "live"},
    ]


async def test_binary_messages_are_framed_as_base64() -> None:
    api, hub_class = rooms_app()
    async with api.client() as client:
        hub = use_component(hub_class, api=api)
        await hub.publish("r", b"\x00\xff")
        async with client.ws_connect("/ws/-", params={"history": "1"}) as ws:
            (frame,) = await frames(ws, 1)
    assert frame["binary"] is True
    assert base64.b64decode(frame["data"]) == b"\x00\xff"


async def test_a_resume_older_than_the_window_starts_with_a_missed_frame() -> None:
    api, hub_class = rooms_app(history=2)
    async with api.client() as client:
        hub = use_component(hub_class, api=api)
        first = await hub.publish("r", "seen")
        await hub.publish("r", "lost")
        for i in range(2):
            await hub.publish("r", f"m{i}")
        async with client.ws_connect("/ws/-", params={"since": str(first)}) as ws:
            got = await frames(ws, 3)
    assert got[0] == {"type": "missed", "channel": "r", "since": first}
    assert data(got) == ["m0", "m1"]


async def test_messages_published_while_history_is_sent_come_once_in_order() -> None:
    api, hub_class = rooms_app(history=200, queue_size=1000)
    sent = [f"m{i}" for i in range(400)]
    async with api.client() as client:
        hub = use_component(hub_class, api=api)
        for message in sent[:200]:
            await hub.publish("r", message)

        async def publish_rest() -> None:
            for message in sent[200:]:
                await hub.publish("r", message)
                await asyncio.sleep(0)  # interleave with the joiner's sends

        async with client.ws_connect("/ws/-", params={"history": "200"}) as ws:
            publisher = asyncio.create_task(publish_rest())
            got = await frames(ws, 400)
            await publisher
    assert data(got) == sent
    assert len({frame["id"] for frame in got}) == 400


# -- presence ------------------------------------------------------------------


async def test_presence_lists_every_member_with_its_meta() -> None:
    api, hub_class = rooms_app()
    async with (
        api.client() as client,
        client.ws_connect("/ws/ann", params={"events": "1"}) as ann,
        client.ws_connect("/ws/bob", params={"events": "1"}) as bob,
    ):
        await frames(bob, 1)  # its presence frame: it has joined
        members = await use_component(hub_class, api=api).presence("r")
        await ann.close()
    assert [(type(m), m.meta) for m in members] == [
        (Presence, {"nick": "ann"}),
        (Presence, {"nick": "bob"}),
    ]


async def test_a_join_with_events_starts_with_the_presence_list_naming_itself() -> None:
    api, _ = rooms_app()
    async with (
        api.client() as client,
        client.ws_connect("/ws/ann", params={"events": "1"}) as ann,
    ):
        (first,) = await frames(ann, 1)
    assert first["type"] == "presence"
    assert [m["meta"] for m in first["members"]] == [{"nick": "ann"}]
    assert first["me"] == first["members"][0]["id"]


async def test_others_get_join_and_leave_events() -> None:
    api, _ = rooms_app()
    async with (
        api.client() as client,
        client.ws_connect("/ws/ann", params={"events": "1"}) as ann,
    ):
        await frames(ann, 2)  # presence, its own join
        async with client.ws_connect("/ws/bob") as bob:
            (joined,) = await frames(ann, 1)
            await bob.close()
        (left,) = await frames(ann, 1)
    assert joined["type"] == "join" and joined["member"]["meta"] == {"nick": "bob"}
    assert left == {**joined, "type": "leave"}


async def test_a_closed_connection_leaves_the_presence_within_the_sweep() -> None:
    api, hub_class = rooms_app(sweep_interval=0.05)

    @api.route("/stay/{nick}")
    class Stay:
        async def on_ws(self, conn: Connection, nick: str) -> None:
            await conn.accept()
            # join(), not joined(): nothing leaves when the client goes.
            await use_component(hub_class).join("r", conn, meta={"nick": nick})
            async for _ in conn:
                pass

    async with api.client() as client:
        hub = use_component(hub_class, api=api)
        async with client.ws_connect("/stay/ann"):
            await until(lambda: hub.subscriber_count("r") == 1)
            assert len(await hub.presence("r")) == 1
        members: list[Presence] = [Presence("", {})]

        async def refresh() -> None:
            members[:] = await hub.presence("r")

        for _ in range(int(WAIT / 0.05)):
            await refresh()
            if not members:
                break
            await asyncio.sleep(0.05)  # polling a condition, bounded
    assert members == []


async def test_meta_must_be_a_json_object() -> None:
    async with Broadcast() as hub:
        conn = await _accepted()
        with pytest.raises(TypeError, match="meta must be a JSON object"):
            await hub.join("r", conn, meta=["not", "an", "object"])


async def test_joining_again_with_other_meta_replaces_the_member() -> None:
    async with Broadcast() as hub:
        conn = await _accepted()
        await hub.join("r", conn, meta={"nick": "ann"})
        await hub.join("r", conn, meta={"nick": "bea"})
        assert [p.meta for p in await hub.presence("r")] == [{"nick": "bea"}]


# -- subscriptions of a Broadcast that keeps history -------------------------


async def test_a_history_subscription_that_falls_behind_is_dropped() -> None:
    async with Broadcast(history=2, queue_size=2) as hub:
        async with hub.subscribe("a") as sub:
            for i in range(3):
                await hub.publish("a", f"m{i}")
            with pytest.raises(SubscriberDropped, match="more than 2 messages behind"):
                while True:
                    await anext(sub)
        assert hub.dropped == 1


async def test_a_history_subscription_ends_when_the_broadcast_shuts_down() -> None:
    hub = Broadcast(history=2)
    await hub.startup()
    async with hub.subscribe("a") as sub:
        await hub.shutdown()
        with pytest.raises(StopAsyncIteration):
            await anext(sub)


async def test_a_negative_history_is_refused() -> None:
    async with Broadcast(history=2) as hub:
        with pytest.raises(ValueError, match="history must be 0 or more"):
            async with hub.subscribe("a", history=-1):
                pass


def test_a_presence_ttl_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="presence_ttl must be positive"):
        Broadcast(presence_ttl=0)


class StalledPeer(FakePeer):
    """A client that has not read yet; `writing` is set once a frame waits."""

    def __init__(self) -> None:
        super().__init__()
        self.writing = asyncio.Event()

    async def send(self, message: Any) -> None:
        if message["type"] == "websocket.send":
            self.writing.set()
        await super().send(message)


async def test_a_joiner_outrun_while_it_gets_the_history_is_closed_with_1013() -> None:
    async with Broadcast(history=2, queue_size=2) as hub:
        await hub.publish("r", "old")
        peer = StalledPeer()
        conn = await open_connection(peer)
        peer.reading.clear()
        join = asyncio.create_task(hub.join("r", conn, history=1))
        await asyncio.wait_for(peer.writing.wait(), WAIT)
        for i in range(3):
            await hub.publish("r", f"m{i}")
        peer.reading.set()
        with pytest.raises(WebSocketDisconnect):
            await asyncio.wait_for(join, WAIT)
    assert peer.close_code == 1013


async def test_shutdown_ends_the_presence_of_members_still_joined() -> None:
    hub = Broadcast()
    await hub.startup()
    await hub.join("r", await _accepted(), meta={"nick": "ann"})
    await hub.shutdown()
    async with hub:
        assert await hub.presence("r") == []


async def _accepted() -> Connection:
    async def receive() -> Any:
        await asyncio.Event().wait()

    async def send(message: Any) -> None:
        pass

    conn = Connection({"type": "websocket", "headers": []}, receive, send)
    await conn.accept()
    return conn
