"""The WebSocket pipeline: hooks, error handlers, close mapping, logging."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from spangle import Api, Blueprint, Connection, ErrorHandler
from spangle.exceptions import WebSocketDisconnect, WebSocketError
from spangle.testing import WebSocketClosed, WebSocketRejected


class Boom(Exception):
    pass


def record_hooks(api: Api, events: list[str]) -> None:
    """Register before/after hooks appending to `events`."""

    @api.before_request
    class Before:
        async def on_ws(self, conn: Connection) -> None:
            events.append("before")

    @api.after_request
    class After:
        async def on_ws(self, conn: Connection) -> None:
            events.append(f"after closed={conn.closed}")


# -- hooks ----------------------------------------------------------------------


async def test_hooks_run_around_a_normal_connection() -> None:
    api = Api()
    events: list[str] = []
    record_hooks(api, events)

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            events.append("view")
            await conn.accept()

    async with api.client() as client, client.ws_connect("/ws"):
        pass
    assert events == ["before", "view", "after closed=True"]


async def test_after_hooks_run_when_the_client_disconnects() -> None:
    api = Api()
    events: list[str] = []
    record_hooks(api, events)

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.receive()

    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.close(1001)
    assert events == ["before", "after closed=True"]


async def test_after_hooks_run_when_the_view_fails() -> None:
    api = Api()
    events: list[str] = []
    record_hooks(api, events)

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise Boom

    async with api.client() as client:
        with pytest.raises(Boom):
            async with client.ws_connect("/ws"):
                pass
    assert events == ["before", "after closed=True"]


async def test_after_hooks_run_when_a_before_hook_fails() -> None:
    api = Api()
    events: list[str] = []

    @api.before_request
    class Deny:
        async def on_ws(self, conn: Connection) -> None:
            raise Boom

    record_hooks(api, events)

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            events.append("view")

    async with api.client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect("/ws"):
                pass
    assert info.value.status_code == 500
    assert events == ["after closed=True"]


async def test_a_before_hook_may_reject_and_the_view_still_runs() -> None:
    api = Api()
    events: list[str] = []

    @api.before_request
    class Auth:
        async def on_ws(self, conn: Connection) -> None:
            if "token" not in conn.params:
                await conn.reject(401, "token required")

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            events.append(f"view closed={conn.closed}")
            if not conn.closed:
                await conn.accept()

    async with api.client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect("/ws"):
                pass
        async with client.ws_connect("/ws", params={"token": "t"}):
            pass
    assert (info.value.status_code, info.value.text) == (401, "token required")
    assert events == ["view closed=True", "view closed=False"]


async def test_http_only_hooks_are_not_run_for_websockets() -> None:
    api = Api()
    events: list[str] = []

    @api.before_request
    class HttpOnly:
        async def on_request(self, req: Any, resp: Any) -> None:
            events.append("http hook")

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()

    async with api.client() as client, client.ws_connect("/ws"):
        pass
    assert events == []


# -- error handlers -------------------------------------------------------------


async def test_the_handler_of_the_closest_base_class_handles_the_error() -> None:
    api = Api()
    seen: list[str] = []

    @api.handle(Exception)
    class Broad:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            seen.append("broad")

    @api.handle(LookupError)
    class Lookup:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            seen.append(f"lookup {type(e).__name__}")
            await conn.send("sorry")

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise KeyError("k")

    async with api.client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive() == "sorry"
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert seen == ["lookup KeyError"]
    assert ws.close_code == 1011


async def test_a_handler_without_on_ws_error_does_not_hide_a_base_handler() -> None:
    api = Api()
    seen: list[str] = []

    @api.handle(Exception)
    class Broad:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            seen.append("broad")

    @api.handle(Boom)
    class HttpOnly:
        async def on_error(self, req: Any, resp: Any, e: Exception) -> None:
            seen.append("http")

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise Boom

    async with api.client() as client, client.ws_connect("/ws"):
        pass
    assert seen == ["broad"]


async def test_error_handler_instances_are_found_too() -> None:
    api = Api()
    handlers = ErrorHandler()

    @handlers.handle(Boom)
    class OnBoom:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            await conn.close(4000, "boom handled")

    api.add_error_handler(handlers)

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise Boom

    async with api.client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert (ws.close_code, ws.close_reason) == (4000, "boom handled")


async def test_reraise_set_by_the_handler_re_raises_after_closing() -> None:
    api = Api()

    @api.handle(Boom)
    class OnBoom:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            conn.reraise = True

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise Boom

    async with api.client() as client:
        with pytest.raises(Boom):
            async with client.ws_connect("/ws") as ws:
                with pytest.raises(WebSocketClosed):
                    await ws.receive()
    assert ws.close_code == 1011


async def test_an_unhandled_error_closes_with_1011_and_re_raises() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise Boom("bad")

    async with api.client() as client:
        with pytest.raises(Boom, match="bad"):
            async with client.ws_connect("/ws") as ws:
                with pytest.raises(WebSocketClosed):
                    await ws.receive()
    assert ws.close_code == 1011


async def test_an_error_before_accept_refuses_the_handshake_with_500() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            raise Boom("early")

    async with api.client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect("/ws"):
                pass
    assert info.value.status_code == 500
    assert isinstance(info.value.__cause__, Boom)


async def test_a_failing_error_handler_still_closes_with_1011() -> None:
    api = Api()

    @api.handle(Boom)
    class Broken:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            raise ValueError("handler bug")

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise Boom

    async with api.client() as client:
        with pytest.raises(ValueError, match="handler bug"):
            async with client.ws_connect("/ws") as ws:
                with pytest.raises(WebSocketClosed):
                    await ws.receive()
    assert ws.close_code == 1011


async def test_a_websocket_error_closes_with_its_code_and_logs_at_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise WebSocketError(1008, "policy")

    caplog.set_level(logging.INFO, logger="spangle")
    async with api.client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert (ws.close_code, ws.close_reason) == (1008, "policy")
    assert [(r.levelno, r.name) for r in caplog.records] == [(logging.INFO, "spangle")]
    assert "1008" in caplog.records[0].getMessage()


async def test_a_websocket_error_is_re_raised_when_reraise_is_set() -> None:
    api = Api()

    @api.handle(WebSocketError)
    class Strict:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            conn.reraise = True

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.receive(str)

    async with api.client() as client:
        with pytest.raises(WebSocketError):
            async with client.ws_connect("/ws") as ws:
                await ws.send(b"binary")
                with pytest.raises(WebSocketClosed):
                    await ws.receive()
    assert ws.close_code == 1003


async def test_a_websocket_error_with_an_unsendable_code_closes_with_1011() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise WebSocketError(1006, "not on the wire")

    async with api.client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1011


async def test_a_long_websocket_error_message_is_cut_to_123_bytes() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise WebSocketError(4000, "é" * 100)

    async with api.client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_reason == "é" * 61


async def test_a_disconnect_is_never_logged_nor_handled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = Api()
    seen: list[str] = []

    @api.handle(BaseException)
    class Everything:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            seen.append(type(e).__name__)

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            while True:
                await conn.receive()

    caplog.set_level(logging.DEBUG)
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send("one")
    assert seen == []
    assert caplog.records == []


async def test_another_connections_disconnect_ends_this_one_with_1000() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise WebSocketDisconnect(1001)  # e.g. from a fan-out send

    async with api.client() as client, client.ws_connect("/ws") as ws:
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1000


# -- routing --------------------------------------------------------------------


async def test_a_path_that_would_redirect_serves_the_view_directly() -> None:
    api = Api()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send(conn.url.path)

    async with api.client() as client, client.ws_connect("/ws/") as ws:
        assert await ws.receive() == "/ws/"


async def test_the_default_route_serves_unmatched_paths() -> None:
    api = Api(default_route="/app")

    @api.route("/app")
    class App:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send("default")

    async with api.client() as client, client.ws_connect("/anything") as ws:
        assert await ws.receive() == "default"


async def test_blueprint_hooks_and_handlers_apply_to_its_websockets() -> None:

    api = Api()
    bp = Blueprint()
    events: list[str] = []

    @bp.before_request
    class Hook:
        async def on_ws(self, conn: Connection) -> None:
            events.append("bp hook")

    @bp.handle(Boom)
    class Handler:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            events.append("bp handler")

    @bp.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            raise Boom

    api.add_blueprint("/bp", bp)
    async with api.client() as client, client.ws_connect("/bp/ws"):
        pass
    assert events == ["bp hook", "bp handler"]


async def test_a_client_leaving_before_the_handshake_ends_quietly() -> None:
    api = Api()
    sent: list[Any] = []

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            raise AssertionError("not reached")

    messages = [{"type": "websocket.disconnect", "code": 1006}]

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b""}
    await api(scope, receive, send)
    assert sent == []


async def test_a_disconnect_inside_the_error_handler_is_ignored() -> None:
    api = Api()
    events: list[str] = []
    record_hooks(api, events)

    @api.handle(Boom)
    class Notify:
        async def on_ws_error(self, conn: Connection, e: Exception) -> None:
            await conn.send("the client is gone by now")

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.receive()
            raise Boom

    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send("go")
        await ws.close()
    assert events == ["before", "after closed=True"]
