"""The chat example in-process: pages, the echo socket, the chat room."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from examples.chat.app import ChatHub, api
from spangle import use_component
from spangle._internal.client import client_source
from spangle.broadcast import Broadcast
from spangle.broadcast.backends.redis import RedisBackend
from spangle.component import component_ctx
from spangle.testing import AsyncWebsocketClient
from tests.support.server import free_port


async def until_room_has(count: int) -> None:
    hub = use_component(ChatHub, api=api)

    async def poll() -> None:
        while hub.subscriber_count("chat") != count:
            await asyncio.sleep(0.01)  # polling a condition, bounded below

    await asyncio.wait_for(poll(), 5)


async def next_of(
    ws: AsyncWebsocketClient, kind: str, text: str | None = None
) -> dict[str, Any]:
    """Read frames until one of type `kind` comes (a post of `text`, if given).

    The room's history outlives each test's client: earlier tests' posts
    come first.
    """
    for _ in range(500):
        frame: dict[str, Any] = json.loads(await ws.receive(str))
        if frame.get("type", "error" in frame and "error") != kind:
            continue
        if text is None or json.loads(frame["data"])["text"] == text:
            return frame
    raise AssertionError(f"no {kind} frame")


async def test_the_chat_page_has_the_elements_its_script_uses() -> None:
    async with api.client() as client:
        page = await client.get("/chat")
        script = await client.get("/static/chat.js")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    for element in (
        'id="join-form"',
        'id="nick"',
        'id="chat-form"',
        'id="message"',
        'id="send"',
        'id="messages"',
        'id="online"',
        'id="status"',
        '<script type="module" src="/static/chat.js">',
    ):
        assert element in page.text
    assert script.status_code == 200
    assert 'import { joinRoom } from "/static/spangle.js";' in script.text


async def test_the_page_serves_the_client_spangle_client_js_prints() -> None:
    async with api.client() as client:
        served = await client.get("/static/spangle.js")
    assert served.headers["content-type"].startswith("text/javascript")
    assert served.text == client_source()


async def test_the_echo_page_and_socket_still_work() -> None:
    async with api.client() as client:
        page = await client.get("/")
        async with client.ws_connect("/ws/echo") as ws:
            await ws.send("ping")
            await ws.send(b"\x00")
            echoed = [await ws.receive(), await ws.receive()]
    assert "/ws/echo" in page.text
    assert echoed == ["ping", b"\x00"]


async def test_a_post_reaches_everyone_in_the_room_with_its_authors_nick() -> None:
    async with (
        api.client() as client,
        client.ws_connect("/ws/chat", params={"nick": " alice "}) as alice,
        client.ws_connect("/ws/chat", params={"nick": "bob"}) as bob,
    ):
        await until_room_has(2)
        await alice.send_json({"text": "hi bob"})
        got = [
            await next_of(alice, "message", "hi bob"),
            await next_of(bob, "message", "hi bob"),
        ]
    assert [json.loads(frame["data"]) for frame in got] == [
        {"nick": "alice", "text": "hi bob"}
    ] * 2
    assert got[0]["id"] == got[1]["id"]


async def test_a_newcomer_sees_who_is_online() -> None:
    async with (
        api.client() as client,
        client.ws_connect("/ws/chat", params={"nick": "alice"}),
    ):
        await until_room_has(1)
        async with client.ws_connect("/ws/chat", params={"nick": "bob"}) as bob:
            presence = await next_of(bob, "presence")
    assert [m["meta"]["nick"] for m in presence["members"]] == ["alice", "bob"]


async def test_a_newcomer_gets_the_last_50_messages() -> None:
    async with api.client() as client:
        hub = use_component(ChatHub, api=api)
        for i in range(60):
            await hub.publish("chat", json.dumps({"nick": "x", "text": str(i)}))
        async with client.ws_connect("/ws/chat", params={"nick": "bob"}) as bob:
            texts = [
                json.loads((await next_of(bob, "message"))["data"])["text"]
                for _ in range(50)
            ]
    assert texts == [str(i) for i in range(10, 60)]


async def test_a_text_of_the_wrong_length_is_answered_to_its_author_only() -> None:
    async with (
        api.client() as client,
        client.ws_connect("/ws/chat", params={"nick": "alice"}) as alice,
        client.ws_connect("/ws/chat", params={"nick": "bob"}) as bob,
    ):
        await until_room_has(2)
        await alice.send_json({"text": "   "})
        error = await next_of(alice, "error")
        await alice.send_json({"text": "named"})
        for_bob = await next_of(bob, "message", "named")
        await bob.send_json({"text": "bye"})
        between: list[str] = []
        while not between or "bye" not in between[-1]:
            between.append(await bob.receive(str))
    assert "message has 1 to" in error["error"]
    assert json.loads(for_bob["data"]) == {"nick": "alice", "text": "named"}
    assert not [frame for frame in between if "error" in frame]


@pytest.mark.parametrize("nick", ["", "   ", "n" * 33])
async def test_a_bad_nickname_closes_with_1008(nick: str) -> None:
    async with (
        api.client() as client,
        client.ws_connect("/ws/chat", params={"nick": nick}) as ws,
    ):
        with pytest.raises(RuntimeError):
            await ws.receive()
    assert ws.close_code == 1008


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("not json", "invalid JSON"),
        ('["a list"]', "Expected `object`, got `array`"),
        ('{"text": 5}', "Expected `str`, got `int` - at `$.text`"),
        ('{"nick": "x"}', "Object missing required field `text`"),
    ],
)
async def test_a_malformed_post_closes_with_1007_saying_why(
    frame: str, reason: str
) -> None:
    async with (
        api.client() as client,
        client.ws_connect("/ws/chat", params={"nick": "ann"}) as ws,
    ):
        await next_of(ws, "presence")
        await ws.send(frame)
        with pytest.raises(RuntimeError):
            while True:
                await ws.receive()
    assert (ws.close_code, ws.close_reason) == (1007, reason)


async def test_a_client_that_leaves_also_leaves_the_room() -> None:
    async with api.client() as client:
        async with client.ws_connect("/ws/chat", params={"nick": "ann"}):
            await until_room_has(1)
        await until_room_has(0)
        assert await use_component(ChatHub, api=api).presence("chat") == []


def test_the_broadcast_url_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPANGLE_BROADCAST_URL", "redis://127.0.0.1:6399/0")
    assert ChatHub().url == "redis://127.0.0.1:6399/0"
    monkeypatch.delenv("SPANGLE_BROADCAST_URL")
    assert ChatHub().url == "memory://"


async def test_a_room_that_cannot_be_reached_closes_with_1013() -> None:
    dead_redis = RedisBackend(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)
    async with Broadcast(backend=dead_redis, history=10) as unavailable:
        token = component_ctx.set({ChatHub: unavailable})
        try:
            async with (
                api.client() as client,
                client.ws_connect("/ws/chat", params={"nick": "ann"}) as ws,
            ):
                with pytest.raises(RuntimeError):
                    await ws.receive()
        finally:
            component_ctx.reset(token)
    assert (ws.close_code, ws.close_reason) == (1013, "the room is unavailable, retry")
