"""The WebSocket connection, through the in-process test client."""

from __future__ import annotations

import asyncio
import dataclasses
import types
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

import msgspec
import pytest
from addict import Dict as AttrDict
from multidict import CIMultiDictProxy, MultiDictProxy
from starlette.datastructures import URL

from spangle import Api, Connection
from spangle._internal.asgi import Message
from spangle.exceptions import (
    MessageValidationError,
    WebSocketDisconnect,
    WebSocketError,
)
from spangle.testing import (
    AsyncWebsocketClient,
    WebSocketClosed,
    WebSocketRejected,
    websocket_scope,
)

View = Callable[[Connection], Awaitable[None]]


def ws_app(view: View, **options: Any) -> Api:
    """Serve `view` as the `on_ws` of a view class routed at `/ws`."""
    api = Api(**options)

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await view(conn)

    return api


# -- attributes -----------------------------------------------------------------


async def test_connection_has_slots_and_no_instance_dict() -> None:
    assert not hasattr(Connection({"type": "websocket"}, _never, _never), "__dict__")


async def _never(*args: Any) -> Any:
    raise AssertionError("not called")


async def test_state_is_an_addict_shared_with_hooks() -> None:
    api = Api()
    seen: list[Any] = []

    @api.before_request
    class Mark:
        async def on_ws(self, conn: Connection) -> None:
            conn.state.user.name = "ann"

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            seen.append(conn.state)

    async with api.client() as client:
        with pytest.raises(WebSocketRejected):
            async with client.ws_connect("/ws"):
                pass
    assert isinstance(seen[0], AttrDict)
    assert seen[0].user.name == "ann"


async def test_closed_is_false_until_the_app_closes() -> None:
    seen: list[bool] = []

    async def view(conn: Connection) -> None:
        seen.append(conn.closed)
        await conn.accept()
        seen.append(conn.closed)
        await conn.close()
        seen.append(conn.closed)

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == [False, False, True]


async def test_closed_becomes_true_when_the_client_disconnects() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        try:
            await conn.receive()
        except WebSocketDisconnect:
            seen.append(conn.closed)
            raise

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == [True]


async def test_open_is_true_only_between_accept_and_close() -> None:
    seen: list[bool] = []

    async def view(conn: Connection) -> None:
        seen.append(conn.open)
        await conn.accept()
        seen.append(conn.open)
        await conn.close()
        seen.append(conn.open)

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == [False, True, False]


async def test_open_becomes_false_when_the_client_disconnects() -> None:
    seen: list[bool] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        try:
            await conn.receive()
        except WebSocketDisconnect:
            seen.append(conn.open)

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == [False]


async def test_reraise_is_false_by_default() -> None:
    seen: list[bool] = []

    async def view(conn: Connection) -> None:
        seen.append(conn.reraise)

    async with ws_app(view).client() as client:
        with pytest.raises(WebSocketRejected):
            async with client.ws_connect("/ws"):
                pass
    assert seen == [False]


async def test_headers_are_case_insensitive_and_keep_repeats() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        seen.append(conn.headers)
        await conn.accept()

    api = ws_app(view)
    headers = [("X-Tag", "a"), ("x-tag", "b")]
    async with api.client(), AsyncWebsocketClient(api, "/ws", headers, timeout=1):
        pass
    assert isinstance(seen[0], CIMultiDictProxy)
    assert seen[0].getall("X-TAG") == ["a", "b"]


async def test_params_keep_repeated_keys() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        seen.append(conn.params)
        await conn.accept()

    params = {"a": ["2", "3"], "b": ""}
    async with (
        ws_app(view).client() as client,
        client.ws_connect("/ws?a=1", params=params),
    ):
        pass
    assert isinstance(seen[0], MultiDictProxy)
    assert seen[0].getall("a") == ["1", "2", "3"]
    assert seen[0]["b"] == ""


async def test_url_is_a_starlette_url_with_ws_scheme() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        seen.append(conn.url)
        await conn.accept()

    async with ws_app(view).client() as client, client.ws_connect("/ws?x=1"):
        pass
    assert isinstance(seen[0], URL)
    assert str(seen[0]) == "ws://www.example.com/ws?x=1"
    assert seen[0].path == "/ws"


async def test_subprotocols_cookies_and_client_come_from_the_handshake() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        seen.extend([conn.subprotocols, conn.cookies, conn.client])
        await conn.accept()

    async with (
        ws_app(view).client() as client,
        client.ws_connect(
            "/ws", subprotocols=["chat", "json"], cookies={"sid": "42", "x": "y"}
        ),
    ):
        pass
    subprotocols, cookies, address = seen
    assert subprotocols == ["chat", "json"]
    assert cookies == {"sid": "42", "x": "y"}
    assert (address.host, address.port) == ("127.0.0.1", 123)


async def test_cookies_are_empty_without_a_cookie_header() -> None:
    conn = Connection({"type": "websocket", "headers": []}, _never, _never)
    assert conn.cookies == {}


async def test_client_is_none_when_the_server_does_not_know_it() -> None:
    conn = Connection({"type": "websocket", "headers": []}, _never, _never)
    assert conn.client is None


async def test_path_params_reach_on_ws_as_keyword_arguments() -> None:
    api = Api()
    seen: list[Any] = []

    @api.route("/rooms/{room}/{n:int}")
    class Room:
        async def on_ws(self, conn: Connection, room: str, n: int) -> None:
            seen.append((room, n))
            await conn.accept()

    async with api.client() as client, client.ws_connect("/rooms/lobby/7"):
        pass
    assert seen == [("lobby", 7)]


async def test_one_view_serves_http_and_websocket() -> None:
    api = Api()

    @api.route("/both")
    class Both:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.text = "page"

        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send("socket")

    async with api.client() as client:
        page = await client.get("/both")
        async with client.ws_connect("/both") as ws:
            message = await ws.receive()
    assert page.text == "page"
    assert message == "socket"


# -- accept and reject ----------------------------------------------------------


async def test_accept_with_an_offered_subprotocol_selects_it() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept("json")

    offer = ["chat", "json"]
    async with (
        ws_app(view).client() as client,
        client.ws_connect("/ws", subprotocols=offer) as ws,
    ):
        assert ws.accepted_subprotocol == "json"


async def test_accept_with_a_subprotocol_not_offered_raises_value_error() -> None:
    seen: list[str] = []

    async def view(conn: Connection) -> None:
        try:
            await conn.accept("json")
        except ValueError as exc:
            seen.append(str(exc))
        await conn.accept()

    async with (
        ws_app(view).client() as client,
        client.ws_connect("/ws", subprotocols=["chat"]) as ws,
    ):
        assert ws.accepted_subprotocol is None
    assert "json" in seen[0]


@pytest.mark.parametrize(
    "headers", [{"X-Server": "spangle"}, [("X-Server", "spangle")]]
)
async def test_accept_adds_headers_to_the_handshake_response(headers: Any) -> None:
    async def view(conn: Connection) -> None:
        await conn.accept(headers=headers)

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        assert ws.response_headers["x-server"] == "spangle"


async def test_accept_twice_raises_runtime_error() -> None:
    seen: list[str] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        with pytest.raises(RuntimeError) as info:
            await conn.accept()
        seen.append(str(info.value))

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == ["accept() on a connection that is already accepted"]


async def test_reject_answers_with_its_status_and_text_and_returns() -> None:
    seen: list[bool] = []

    async def view(conn: Connection) -> None:
        await conn.reject(401, "log in first")
        seen.append(conn.closed)

    async with ws_app(view).client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect("/ws"):
                pass
    assert (info.value.status_code, info.value.text) == (401, "log in first")
    assert seen == [True]


async def test_reject_defaults_to_403_with_an_empty_body() -> None:
    async def view(conn: Connection) -> None:
        await conn.reject()

    async with ws_app(view).client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect("/ws"):
                pass
    assert (info.value.status_code, info.value.text) == (403, "")


async def test_reject_without_the_denial_extension_closes_before_accept() -> None:
    async def view(conn: Connection) -> None:
        await conn.reject(401, "no")

    api = ws_app(view)

    async def without_extensions(scope: Any, receive: Any, send: Any) -> None:
        await api({**scope, "extensions": {}}, receive, send)

    async with api.client():
        with pytest.raises(WebSocketRejected) as info:
            async with AsyncWebsocketClient(without_extensions, "/ws", timeout=1):
                pass
    assert info.value.status_code == 403


async def test_reject_after_accept_raises_runtime_error() -> None:
    seen: list[str] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        try:
            await conn.reject()
        except RuntimeError as exc:
            seen.append(str(exc))

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == ["reject() on a connection that is already accepted"]


# -- close ----------------------------------------------------------------------


async def test_close_sends_its_code_and_reason() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.close(4001, "bye")

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert (ws.close_code, ws.close_reason) == (4001, "bye")


async def test_close_defaults_to_1000() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.close()

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert (ws.close_code, ws.close_reason) == (1000, "")


@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 5000])
async def test_close_with_a_forbidden_code_raises_and_sends_nothing(
    code: int,
) -> None:
    seen: list[bool] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        with pytest.raises(ValueError):
            await conn.close(code)
        seen.append(conn.closed)
        await conn.send("still open")

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive() == "still open"
    assert seen == [False]


async def test_close_reason_of_exactly_123_utf8_bytes_is_allowed() -> None:
    reason = "é" * 61 + "x"  # 123 bytes

    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.close(1000, reason)

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_reason == reason


async def test_close_reason_over_123_utf8_bytes_raises_and_sends_nothing() -> None:
    seen: list[bool] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        with pytest.raises(ValueError):
            await conn.close(1000, "é" * 62)  # 62 chars, 124 bytes
        seen.append(conn.closed)

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert seen == [False]
    assert (ws.close_code, ws.close_reason) == (1000, "")


async def test_close_twice_does_nothing_the_second_time() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.close(4000)
        await conn.close(4001)

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 4000


async def test_close_before_accept_refuses_the_handshake() -> None:
    async def view(conn: Connection) -> None:
        await conn.close()

    async with ws_app(view).client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect("/ws"):
                pass
    assert info.value.status_code == 403


# -- send and receive -----------------------------------------------------------


async def test_send_str_is_a_text_frame_and_bytes_a_binary_frame() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.send("text")
        await conn.send(b"\x00binary")

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive(str) == "text"
        assert await ws.receive(bytes) == b"\x00binary"


async def test_send_of_a_str_subclass_is_a_text_frame() -> None:
    class Name(str):
        pass

    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.send(Name("ann"))

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive(str) == "ann"


@pytest.mark.parametrize("data", [1, bytearray(b"x"), None, {"a": 1}])
async def test_send_of_anything_else_raises_type_error(data: Any) -> None:
    seen: list[str] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        with pytest.raises(TypeError) as info:
            await conn.send(data)
        seen.append(str(info.value))

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen[0].startswith("send() takes str or bytes")


async def test_receive_with_a_mode_returns_that_type() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        seen.append(await conn.receive(str))
        seen.append(await conn.receive(bytes))

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send("a")
        await ws.send(b"b")
    assert seen == ["a", b"b"]


async def test_receive_without_a_mode_returns_the_type_that_arrived() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        for _ in range(4):
            seen.append(await conn.receive())

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        for message in ("a", b"b", "", b""):
            await ws.send(message)
    assert seen == ["a", b"b", "", b""]
    assert type(seen[2]) is str


@pytest.mark.parametrize("mode", [int, "str", object])
async def test_receive_with_another_mode_raises_type_error(mode: Any) -> None:
    seen: list[str] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        with pytest.raises(TypeError) as info:
            await conn.receive(mode)
        seen.append(str(info.value))

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen[0].startswith("receive() mode must be str or bytes")


@pytest.mark.parametrize(
    ("mode", "frame"), [(str, b"binary"), (bytes, "text")], ids=["str", "bytes"]
)
async def test_receive_of_the_wrong_frame_type_closes_with_1003(
    mode: type[str] | type[bytes], frame: str | bytes
) -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.receive(mode)

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send(frame)
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1003


async def test_a_caught_wrong_frame_type_leaves_the_connection_open() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        try:
            await conn.receive(str)
        except WebSocketError as exc:
            await conn.send(f"error {exc.code}")
        await conn.send(await conn.receive(str))

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send(b"oops")
        assert await ws.receive() == "error 1003"
        await ws.send("again")
        assert await ws.receive() == "again"


@pytest.mark.parametrize(
    "message", ["x" * 8, b"x" * 8, "é" * 4], ids=["text", "binary", "utf8"]
)
async def test_a_message_of_exactly_the_limit_is_received(message: Any) -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.send(await conn.receive())

    api = ws_app(view, ws_max_message_bytes=8)
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(message)
        assert await ws.receive() == message


@pytest.mark.parametrize(
    "message", ["x" * 9, b"x" * 9, "é" * 4 + "x"], ids=["text", "binary", "utf8"]
)
async def test_a_message_over_the_limit_closes_with_1009(message: Any) -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.receive()

    api = ws_app(view, ws_max_message_bytes=8)
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(message)
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1009


async def test_the_default_message_limit_is_one_mib() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.send(str(len(await conn.receive())))
        await conn.receive()

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send(b"x" * 1024 * 1024)
        assert await ws.receive() == str(1024 * 1024)
        await ws.send(b"x" * (1024 * 1024 + 1))
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1009


async def test_max_message_bytes_given_to_the_connection_is_its_limit() -> None:
    sent: list[Message] = []
    messages = iter([{"type": "websocket.receive", "bytes": b"x" * 5}])

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    conn = Connection(websocket_scope("/ws"), receive, send, max_message_bytes=4)
    await conn.accept()
    with pytest.raises(WebSocketError) as caught:
        await conn.receive()
    assert caught.value.code == 1009


@pytest.mark.parametrize("call", ["send", "receive"])
async def test_send_or_receive_after_the_app_closed_raises_runtime_error(
    call: str,
) -> None:
    seen: list[str] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.close()
        try:
            await (conn.send("x") if call == "send" else conn.receive())
        except RuntimeError as exc:
            seen.append(str(exc))

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == [f"{call}() on a connection that is closed by the app"]


@pytest.mark.parametrize("call", ["send", "receive", "receive_json"])
async def test_after_another_task_closed_it_the_view_sees_a_disconnect(
    call: str,
) -> None:
    seen: list[tuple[int, str]] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        await asyncio.create_task(conn.close(4001, "kicked"))
        assert conn.closed
        try:
            await (conn.send("x") if call == "send" else getattr(conn, call)())
        except WebSocketDisconnect as exc:
            seen.append((exc.code, exc.reason))

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert seen == [(4001, "kicked")]
    assert ws.close_code == 4001


async def test_a_close_by_another_task_wakes_a_view_waiting_in_receive() -> None:
    seen: list[int] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        closing = asyncio.create_task(conn.close(1013))  # runs while we wait
        try:
            await conn.receive()
        except WebSocketDisconnect as exc:
            seen.append(exc.code)
        await closing

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert seen == [1013]


def _held_close() -> tuple[Connection, asyncio.Event]:
    """A connection whose close frame waits in `send` until the event is set."""
    release = asyncio.Event()

    async def send(message: Message) -> None:
        if message["type"] == "websocket.close":
            await release.wait()

    return Connection(websocket_scope("/ws"), _never, send), release


async def test_wait_closed_waits_for_a_close_another_task_is_sending() -> None:
    conn, release = _held_close()
    await conn.accept()
    closing = asyncio.create_task(conn.close(4002))
    await asyncio.sleep(0)  # the close is now held in send
    waiting = asyncio.create_task(conn.wait_closed(5))
    for _ in range(5):  # loop turns enough for a wait that did not wait
        await asyncio.sleep(0)
    assert not waiting.done()
    release.set()
    await asyncio.wait_for(waiting, 1)
    assert closing.done()


async def test_wait_closed_gives_up_after_its_timeout() -> None:
    conn, release = _held_close()
    await conn.accept()
    closing = asyncio.create_task(conn.close(4002))
    await asyncio.sleep(0)
    await asyncio.wait_for(conn.wait_closed(0.01), 1)
    assert not closing.done()
    release.set()
    await closing


async def test_wait_closed_without_a_close_on_its_way_returns_at_once() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await asyncio.wait_for(conn.wait_closed(), 1)
        await conn.send("done")

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive(str) == "done"


async def test_iterating_ends_after_another_task_closed_the_connection() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        await asyncio.create_task(conn.close(1013))
        seen.extend([message async for message in conn])

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == []


@pytest.mark.parametrize("call", ["send", "receive"])
async def test_send_or_receive_before_accept_raises_runtime_error(call: str) -> None:
    seen: list[str] = []

    async def view(conn: Connection) -> None:
        try:
            await (conn.send("x") if call == "send" else conn.receive())
        except RuntimeError as exc:
            seen.append(str(exc))
        await conn.accept()

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == [f"{call}() on a connection that is not accepted yet"]


async def test_a_state_error_chains_no_internal_exception() -> None:
    seen: list[BaseException] = []

    async def view(conn: Connection) -> None:
        try:
            await conn.receive()
        except RuntimeError as exc:
            seen.append(exc)
        await conn.accept()

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    (error,) = seen
    # What the user sees in a traceback: this error alone.
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None


async def test_a_view_that_only_sends_lets_other_tasks_run() -> None:
    # A server whose send never suspends, as one writing to a socket whose
    # peer vanished: without spangle's periodic yield the task would hog the loop.
    sent: list[Message] = []
    other_task_ran: list[bool] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def view(conn: Connection) -> None:
        await conn.accept()
        other = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(other.set_result, None)
        for _ in range(1000):
            await conn.send("x")
        other_task_ran.append(other.done())

    scope = websocket_scope("/ws")
    await ws_app(view)(scope, receive, send)
    assert other_task_ran == [True]
    assert sum(m["type"] == "websocket.send" for m in sent) == 1000


async def test_connections_sent_the_same_messages_do_not_yield_together() -> None:
    async def receive() -> Message:
        raise AssertionError("not called")

    async def send(message: Message) -> None:
        pass

    conns = [Connection(websocket_scope("/ws"), receive, send) for _ in range(512)]
    for conn in conns:
        await conn.accept()

    async def publish() -> None:
        for conn in conns:
            await conn.send("x")

    # Each publish is driven by hand: every suspension is one yield.
    yields = []
    for _ in range(300):
        walk = publish()
        suspended = 0
        while True:
            try:
                walk.send(None)
            except StopIteration:
                break
            suspended += 1
        yields.append(suspended)
    assert max(yields) <= 4
    assert sum(yields) == 512 * 300 // 256


async def test_client_disconnect_raises_with_its_code_and_reason() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        try:
            await conn.receive()
        except WebSocketDisconnect as exc:
            seen.append((exc.code, exc.reason))
        with pytest.raises(WebSocketDisconnect):
            await conn.receive()
        seen.append((conn.close_code, conn.close_reason))

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.close(4100, "gone")
    assert seen == [(4100, "gone"), (4100, "gone")]


async def test_send_after_the_client_left_raises_websocket_disconnect() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.send("ready")
        seen.append(await conn.receive())
        try:
            await conn.send("too late")  # the transport's send raises OSError
        except WebSocketDisconnect as exc:
            seen.append(exc.code)
        seen.append(conn.closed)

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive() == "ready"
        await ws.send("last")
    assert seen == ["last", 1006, True]


# -- JSON and iteration ---------------------------------------------------------


async def test_send_json_and_receive_json_round_trip() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        value = await conn.receive_json()
        await conn.send_json({"got": value, "text": "é"})

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send_json([1, "two", None])
        assert await ws.receive(str) == '{"got":[1,"two",null],"text":"é"}'


async def test_receive_json_accepts_a_binary_frame() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.send_json(await conn.receive_json())

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send(b'{"a": 1}')
        assert await ws.receive_json() == {"a": 1}


@pytest.mark.parametrize("payload", ["{not json", b"\xff\xfe\xfd", "[" * 100_000])
async def test_invalid_json_closes_with_1007(payload: str | bytes) -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.receive_json()

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send(payload)
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1007


async def test_send_json_of_nan_raises_value_error() -> None:
    seen: list[bool] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        with pytest.raises(ValueError):
            await conn.send_json(float("nan"))
        seen.append(True)

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == [True]


async def test_async_for_yields_messages_and_ends_on_client_close() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        async for message in conn:
            seen.append(message)
        seen.append("ended")

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send("a")
        await ws.send(b"b")
    assert seen == ["a", b"b", "ended"]


async def test_async_for_ends_when_the_app_closed_the_connection() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        async for message in conn:
            seen.append(message)
            await conn.close()
        seen.append("ended")

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send("a")
        await ws.send("b")
    assert seen == ["a", "ended"]


async def test_a_receive_inside_async_for_still_raises_disconnect() -> None:
    seen: list[Any] = []

    async def view(conn: Connection) -> None:
        await conn.accept()
        try:
            async for message in conn:
                seen.append(message)
                seen.append(await conn.receive())
        except WebSocketDisconnect as exc:
            seen.append(exc.code)

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        await ws.send("first")
        await ws.close(4001)
    assert seen == ["first", 4001]


async def test_async_for_waits_in_receive_itself_with_no_wrapper() -> None:
    arrived = asyncio.Event()

    async def slow_receive() -> Message:
        arrived.set()
        await asyncio.sleep(3600)
        raise AssertionError("not reached")

    async def send(message: Message) -> None:
        pass

    conn = Connection(websocket_scope("/ws"), slow_receive, send)
    await conn.accept()
    waiting = conn.__aiter__().__anext__()
    task = asyncio.ensure_future(waiting)
    await asyncio.wait_for(arrived.wait(), 1)
    task.cancel()
    # An idle `async for` costs one coroutine: `receive`'s own.
    assert isinstance(waiting, types.CoroutineType)
    assert waiting.cr_code is Connection.receive.__code__


async def test_async_for_before_accept_raises_runtime_error() -> None:
    seen: list[str] = []

    async def view(conn: Connection) -> None:
        try:
            async for _ in conn:
                pass
        except RuntimeError as exc:
            seen.append(str(exc))
        await conn.accept()

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == ["receive() on a connection that is not accepted yet"]


# -- the SPEC §2 semantics table --------------------------------------------------


async def test_a_path_without_a_view_is_refused_with_404() -> None:
    api = Api()
    async with api.client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect("/nowhere"):
                pass
    assert info.value.status_code == 404


async def test_a_view_without_on_ws_is_refused_with_404(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = Api()

    @api.route("/page")
    class Page:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.text = "hi"

    async with api.client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect("/page"):
                pass
    assert info.value.status_code == 404
    assert [r for r in caplog.records if r.levelname in ("ERROR", "WARNING")] == []


async def test_returning_from_on_ws_closes_with_1000() -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.send("hi")

    async with ws_app(view).client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive(str) == "hi"
        with pytest.raises(RuntimeError):
            await ws.receive(str)
    assert ws.close_code == 1000


async def test_an_uncaught_disconnect_ends_the_connection_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def view(conn: Connection) -> None:
        await conn.accept()
        await conn.receive()

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert caplog.records == []


async def test_request_data_is_parsed_once_and_cached() -> None:
    seen: list[bool] = []

    async def view(conn: Connection) -> None:
        for name in ("state", "headers", "params", "url", "cookies"):
            seen.append(getattr(conn, name) is getattr(conn, name))
        await conn.accept()

    async with ws_app(view).client() as client, client.ws_connect("/ws"):
        pass
    assert seen == [True] * 5


# -- typed messages: receive_json(type=...), send_json of models ---------------


class Post(msgspec.Struct):
    nick: str
    text: str


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Move(TypedDict):
    piece: str
    to: list[int]


def echo_as(model: Any) -> Api:
    """Receive one message as `model`, send back its type name and repr."""
    api = Api()

    @api.route("/ws")
    class Echo:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            while True:
                value = await conn.receive_json(type=model)
                await conn.send_json(
                    {"type": type(value).__name__, "repr": repr(value)}
                )

    return api


async def roundtrip(api: Api, text: str) -> Any:
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(text)
        return await ws.receive_json()


async def test_a_struct_is_decoded_and_validated() -> None:
    got = await roundtrip(echo_as(Post), '{"nick": "ann", "text": "hi"}')
    assert got == {"type": "Post", "repr": "Post(nick='ann', text='hi')"}


async def test_a_dataclass_is_decoded() -> None:
    got = await roundtrip(echo_as(Point), '{"x": 1, "y": 2}')
    assert got == {"type": "Point", "repr": "Point(x=1, y=2)"}


async def test_a_typed_dict_is_decoded_as_a_dict() -> None:
    got = await roundtrip(echo_as(Move), '{"piece": "k", "to": [4, 5]}')
    assert got == {"type": "dict", "repr": "{'piece': 'k', 'to': [4, 5]}"}


async def test_a_binary_frame_of_utf8_json_is_decoded_too() -> None:
    api = echo_as(Point)
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(b'{"x": 3, "y": 4}')
        assert (await ws.receive_json())["repr"] == "Point(x=3, y=4)"


@pytest.mark.parametrize(
    ("model", "text", "reason"),
    [
        (Post, '{"nick": 1, "text": "hi"}', "Expected `str`, got `int` - at `$.nick`"),
        (Post, '{"nick": "ann"}', "Object missing required field `text`"),
        (Move, '{"piece": "k", "to": [1, "x"]}', "got `str` - at `$.to[1]`"),
        (Point, "[1, 2]", "Expected `object`, got `array`"),
    ],
)
async def test_data_that_does_not_match_closes_with_1007_naming_the_field(
    model: Any, text: str, reason: str
) -> None:
    api = echo_as(model)
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(text)
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1007
    assert reason in ws.close_reason


async def test_invalid_json_with_a_type_closes_with_1007_invalid_json() -> None:
    api = echo_as(Post)
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send("{nick")
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert (ws.close_code, ws.close_reason) == (1007, "invalid JSON")


async def test_the_view_may_catch_the_error_and_keep_the_connection() -> None:
    api = Api()

    @api.route("/ws")
    class Lenient:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            while True:
                try:
                    post = await conn.receive_json(type=Post)
                except MessageValidationError as exc:
                    await conn.send_json({"error": exc.message, "path": exc.path})
                    continue
                await conn.send_json(post)

    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send('{"nick": "ann", "text": 5}')
        assert await ws.receive_json() == {
            "error": "Expected `str`, got `int` - at `$.text`",
            "path": "$.text",
        }
        await ws.send('{"nick": "ann", "text": "ok"}')
        assert await ws.receive_json() == {"nick": "ann", "text": "ok"}


async def test_a_long_error_is_cut_to_a_valid_close_reason() -> None:
    model = dict[str, int]
    api = echo_as(model)
    key = "k" * 200
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(f'{{"{key}": "x"}}')
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1007
    assert 0 < len(ws.close_reason.encode()) <= 123


@dataclasses.dataclass
class Line:
    start: Point
    end: Point
    label: Post | None = None


async def test_send_json_writes_structs_and_nested_dataclasses() -> None:
    api = Api()

    @api.route("/ws")
    class Shapes:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send_json(Post("ann", "hé"))
            await conn.send_json([Line(Point(0, 1), Point(2, 3), Post("b", "c"))])

    async with api.client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive() == '{"nick":"ann","text":"hé"}'
        assert await ws.receive_json() == [
            {
                "start": {"x": 0, "y": 1},
                "end": {"x": 2, "y": 3},
                "label": {"nick": "b", "text": "c"},
            }
        ]


async def test_send_json_still_refuses_other_objects() -> None:
    api = Api()
    errors: list[str] = []

    @api.route("/ws")
    class Odd:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            try:
                await conn.send_json({"when": object()})
            except TypeError as exc:
                errors.append(str(exc))

    async with api.client() as client, client.ws_connect("/ws"):
        pass
    assert errors == ["Object of type object is not JSON serializable"]
