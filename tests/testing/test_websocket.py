"""The test client's WebSocket side (`client.ws_connect`)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from spangle import Api, Connection
from spangle.exceptions import WebSocketDisconnect
from spangle.testing import (
    AsyncWebsocketClient,
    WebSocketClosed,
    WebSocketRejected,
    websocket_scope,
)


def echo_api() -> Api:
    api = Api()

    @api.route("/echo")
    class Echo:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            async for message in conn:
                await conn.send(message)

    return api


async def test_ws_connect_yields_an_async_websocket_client() -> None:
    async with echo_api().client() as client, client.ws_connect("/echo") as ws:
        assert isinstance(ws, AsyncWebsocketClient)


async def test_receive_without_a_mode_returns_either_type() -> None:
    async with echo_api().client() as client, client.ws_connect("/echo") as ws:
        await ws.send("text")
        await ws.send(b"bytes")
        assert await ws.receive() == "text"
        assert await ws.receive() == b"bytes"


async def test_receive_with_the_wrong_mode_raises_type_error() -> None:
    async with echo_api().client() as client, client.ws_connect("/echo") as ws:
        await ws.send(b"bytes")
        with pytest.raises(TypeError, match="binary frame"):
            await ws.receive(str)


async def test_receive_with_an_unknown_mode_raises_type_error() -> None:
    async with echo_api().client() as client, client.ws_connect("/echo") as ws:
        with pytest.raises(TypeError, match="mode"):
            await ws.receive(int)  # type: ignore[arg-type]


async def test_send_of_anything_else_raises_type_error() -> None:
    async with echo_api().client() as client, client.ws_connect("/echo") as ws:
        with pytest.raises(TypeError):
            await ws.send(1)  # type: ignore[arg-type]


async def test_json_helpers_round_trip() -> None:
    async with echo_api().client() as client, client.ws_connect("/echo") as ws:
        await ws.send_json({"a": [1, 2]})
        assert await ws.receive_json() == {"a": [1, 2]}


async def test_accepted_subprotocol_is_none_without_one() -> None:
    async with echo_api().client() as client, client.ws_connect("/echo") as ws:
        assert ws.accepted_subprotocol is None
        assert ws.close_code is None


async def test_receiving_after_the_server_closed_raises_with_the_code() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.close(4321, "done")

    async with api.client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed) as first:
            await ws.receive()
        with pytest.raises(RuntimeError) as second:
            await ws.receive()
    assert (first.value.code, first.value.reason) == (4321, "done")
    assert isinstance(second.value, WebSocketClosed)
    assert (ws.close_code, ws.close_reason) == (4321, "done")


async def test_close_code_keeps_the_apps_code_when_it_was_not_received() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.close(4000)

    async with api.client() as client, client.ws_connect("/ws") as ws:
        pass
    assert ws.close_code == 4000


async def test_close_sends_its_code_and_reason_to_the_app() -> None:
    api = Api()
    seen: list[Any] = []

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            try:
                await conn.receive()
            except WebSocketDisconnect as exc:
                seen.append((exc.code, exc.reason))

    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.close(1001, "leaving")
        with pytest.raises(WebSocketClosed):
            await ws.send("after close")
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert seen == [(1001, "leaving")]
    assert (ws.close_code, ws.close_reason) == (1001, "leaving")


async def test_leaving_the_block_closes_with_1000() -> None:
    api = Api()
    seen: list[int] = []

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            try:
                await conn.receive()
            except WebSocketDisconnect as exc:
                seen.append(exc.code)

    async with api.client() as client, client.ws_connect("/ws"):
        pass
    assert seen == [1000]


async def test_a_refused_handshake_raises_with_the_status_and_text() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.reject(418, "teapot")

    async with api.client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect("/ws"):
                raise AssertionError("not entered")
    assert (info.value.status_code, info.value.text) == (418, "teapot")
    assert str(info.value) == "handshake refused with HTTP 418: teapot"


async def test_handshake_details_reach_the_app() -> None:
    api = Api()
    seen: list[Any] = []

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            seen.extend(
                [
                    conn.headers.getall("host"),
                    conn.headers["x-a"],
                    conn.params["q"],
                    conn.cookies,
                    conn.subprotocols,
                ]
            )
            await conn.accept()

    async with (
        api.client() as client,
        client.ws_connect(
            "/ws",
            subprotocols=["p1"],
            params={"q": "1"},
            headers={"X-A": "b", "Host": "example.com"},
            cookies={"c": "d"},
        ),
    ):
        pass
    assert seen == [["example.com"], "b", "1", {"c": "d"}, ["p1"]]


async def test_an_app_exception_surfaces_when_leaving_the_block() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.receive()
            raise KeyError("late")

    async with api.client() as client:
        with pytest.raises(KeyError):
            async with client.ws_connect("/ws") as ws:
                await ws.send("go")


async def test_a_receive_timeout_raises_and_leaves_no_task_behind() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.receive()

    before = asyncio.all_tasks()
    async with api.client() as client, client.ws_connect("/ws", timeout=0.05) as ws:
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive()
    assert asyncio.all_tasks() == before


async def test_a_handshake_timeout_cancels_the_app() -> None:
    api = Api()
    cancelled: list[bool] = []

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

    before = asyncio.all_tasks()
    async with api.client() as client:
        with pytest.raises(asyncio.TimeoutError):
            async with client.ws_connect("/ws", timeout=0.05):
                pass
    assert cancelled == [True]
    assert asyncio.all_tasks() == before


async def test_an_app_ending_without_answering_is_a_500_refusal() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    client = AsyncWebsocketClient(raw_app, {"type": "websocket"}, 1)
    with pytest.raises(WebSocketRejected) as info:
        async with client:
            pass
    assert info.value.status_code == 500


async def test_an_app_ending_without_a_close_frame_reads_as_1006() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    async with AsyncWebsocketClient(raw_app, {"type": "websocket"}, 1) as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1006


async def test_a_denial_body_in_several_chunks_is_joined() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401})
        for chunk, more in ((b"log ", True), (b"in", False)):
            body = {"body": chunk, "more_body": more}
            await send({"type": "websocket.http.response.body", **body})

    with pytest.raises(WebSocketRejected) as info:
        async with AsyncWebsocketClient(raw_app, {"type": "websocket"}, 1):
            pass
    assert (info.value.status_code, info.value.text) == (401, "log in")


async def test_a_denial_without_a_body_has_empty_text() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401})

    with pytest.raises(WebSocketRejected) as info:
        async with AsyncWebsocketClient(raw_app, {"type": "websocket"}, 1):
            pass
    assert (info.value.status_code, info.value.text) == (401, "")


async def test_unread_messages_are_skipped_when_finding_the_apps_close() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "unread"})
        await send({"type": "websocket.close", "code": 4002})

    async with AsyncWebsocketClient(raw_app, {"type": "websocket"}, 1) as ws:
        pass
    assert ws.close_code == 4002


async def test_an_app_that_never_ends_times_out_on_leaving_and_is_cancelled() -> None:
    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await asyncio.Event().wait()

    before = asyncio.all_tasks()
    with pytest.raises(asyncio.TimeoutError):
        async with AsyncWebsocketClient(raw_app, {"type": "websocket"}, 0.05):
            pass
    assert asyncio.all_tasks() == before


async def test_the_app_keeps_receiving_disconnect_after_the_client_left() -> None:
    seen: list[Any] = []

    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        seen.append((await receive())["type"])
        seen.append((await receive())["type"])

    async with AsyncWebsocketClient(raw_app, {"type": "websocket"}, 1):
        pass
    assert seen == ["websocket.disconnect", "websocket.disconnect"]


async def test_cookies_set_by_earlier_responses_are_sent_with_the_handshake() -> None:
    api = Api()
    seen: list[dict[str, str]] = []

    @api.route("/login")
    class Login:
        async def on_post(self, req: Any, resp: Any) -> None:
            resp.add_header("set-cookie", "sid=abc; Path=/")

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            seen.append(conn.cookies)
            await conn.accept()

    async with api.client() as client:
        await client.post("/login")
        async with client.ws_connect("/ws", cookies={"extra": "1"}):
            pass
    assert seen == [{"sid": "abc", "extra": "1"}]


def test_websocket_scope_carries_the_handshake_as_a_server_would() -> None:
    scope = websocket_scope(
        "/chat?room=1",
        subprotocols=["v1", "v2"],
        params={"user": "ann"},
        headers=[("X-Tag", "a"), ("X-Tag", "b")],
        cookies={"sid": "42"},
        host="example.org",
        client=("10.0.0.1", 5000),
    )
    assert (scope["type"], scope["path"]) == ("websocket", "/chat")
    assert scope["query_string"] == b"room=1&user=ann"
    assert scope["headers"] == [
        (b"host", b"example.org"),
        (b"x-tag", b"a"),
        (b"x-tag", b"b"),
        (b"cookie", b"sid=42"),
        (b"sec-websocket-protocol", b"v1, v2"),
    ]
    assert scope["subprotocols"] == ["v1", "v2"]
    assert scope["client"] == ("10.0.0.1", 5000)


def test_websocket_scope_offers_the_denial_response_extension() -> None:
    assert "websocket.http.response" in websocket_scope("/")["extensions"]


def test_websocket_scope_keeps_a_host_header_given_to_it() -> None:
    scope = websocket_scope("/", headers={"Host": "other:8080"})
    assert scope["headers"] == [(b"host", b"other:8080")]
