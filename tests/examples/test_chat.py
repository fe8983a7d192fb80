"""The chat example in-process: pages, the echo socket, the chat room."""

from __future__ import annotations

import asyncio

import pytest

from examples.chat.app import ChatHub, api
from spangle import use_component
from spangle.broadcast import Broadcast
from spangle.broadcast.backends.redis import RedisBackend
from spangle.component import component_ctx
from tests.support.server import free_port


async def until_room_has(count: int) -> None:
    hub = use_component(ChatHub, api=api)

    async def poll() -> None:
        while hub.subscriber_count("chat") != count:
            await asyncio.sleep(0.01)  # polling a condition, bounded below

    await asyncio.wait_for(poll(), 5)


async def test_the_chat_page_has_the_elements_its_script_uses() -> None:
    async with api.client() as client:
        page = await client.get("/chat")
        script = await client.get("/static/chat.js")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    for element in (
        'id="chat-form"',
        'id="nick"',
        'id="message"',
        'id="send"',
        'id="messages"',
        'id="status"',
        'src="/static/chat.js"',
    ):
        assert element in page.text
    assert script.status_code == 200
    assert "/ws/chat" in script.text


async def test_the_echo_page_and_socket_still_work() -> None:
    async with api.client() as client:
        page = await client.get("/")
        async with client.ws_connect("/ws/echo") as ws:
            await ws.send("ping")
            await ws.send(b"\x00")
            echoed = [await ws.receive(), await ws.receive()]
    assert "/ws/echo" in page.text
    assert echoed == ["ping", b"\x00"]


async def test_a_post_reaches_everyone_in_the_room_including_its_author() -> None:
    async with (
        api.client() as client,
        client.ws_connect("/ws/chat") as alice,
        client.ws_connect("/ws/chat") as bob,
    ):
        await until_room_has(2)
        await alice.send_json({"nick": " alice ", "text": "hi bob"})
        got = [await alice.receive_json(), await bob.receive_json()]
    assert got == [{"nick": "alice", "text": "hi bob"}] * 2


async def test_a_post_without_a_nickname_is_answered_to_its_author_only() -> None:
    async with (
        api.client() as client,
        client.ws_connect("/ws/chat") as alice,
        client.ws_connect("/ws/chat") as bob,
    ):
        await until_room_has(2)
        await alice.send_json({"nick": "  ", "text": "anonymous"})
        error = await alice.receive_json()
        await alice.send_json({"nick": "alice", "text": "named"})
        first_for_bob = await bob.receive_json()
    assert "nickname" in error["error"]
    assert first_for_bob == {"nick": "alice", "text": "named"}


@pytest.mark.parametrize("frame", ["not json", '["a list"]', '{"nick": "x"}'])
async def test_a_malformed_post_closes_with_1007(frame: str) -> None:
    async with api.client() as client, client.ws_connect("/ws/chat") as ws:
        await ws.send(frame)
        with pytest.raises(RuntimeError):
            await ws.receive()
    assert ws.close_code == 1007


async def test_a_client_that_leaves_also_leaves_the_room() -> None:
    async with api.client() as client:
        async with client.ws_connect("/ws/chat"):
            await until_room_has(1)
        await until_room_has(0)


def test_the_broadcast_url_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPANGLE_BROADCAST_URL", "redis://127.0.0.1:6399/0")
    assert ChatHub().url == "redis://127.0.0.1:6399/0"
    monkeypatch.delenv("SPANGLE_BROADCAST_URL")
    assert ChatHub().url == "memory://"


async def test_a_post_that_cannot_be_published_is_answered_with_an_error() -> None:
    dead_redis = RedisBackend(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)
    async with Broadcast(backend=dead_redis) as unavailable:
        token = component_ctx.set({ChatHub: unavailable})
        try:
            async with api.client() as client, client.ws_connect("/ws/chat") as ws:
                await ws.send_json({"nick": "alice", "text": "anyone?"})
                reply = await ws.receive_json()
        finally:
            component_ctx.reset(token)
    assert reply == {"error": "the room is unavailable, retry"}
