"""A hand-written ASGI app: the limit every framework is measured against."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bench.apps import filler_paths, target_path
from bench.drivers import ASGIApp, Receive, Send

Scope = Any
Handler = Callable[[Send], Awaitable[None]]

_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"13"),
    ],
}
_BODY = {"type": "http.response.body", "body": b"Hello, world!"}
_NOT_FOUND = {"type": "http.response.start", "status": 404, "headers": []}
_EMPTY = {"type": "http.response.body", "body": b""}


async def hello(send: Send) -> None:
    """Answer "Hello, world!"."""
    await send(_START)
    await send(_BODY)


async def not_found(send: Send) -> None:
    """Answer 404."""
    await send(_NOT_FOUND)
    await send(_EMPTY)


async def echo(receive: Receive, send: Send) -> None:
    """Accept, then send every text message back until the client leaves."""
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        await send({"type": "websocket.send", "text": message.get("text")})


async def serve_lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge startup and shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        else:
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Serve `GET /` and the echo at `/ws`."""
    kind = scope["type"]
    if kind == "http":
        await (hello(send) if scope["path"] == "/" else not_found(send))
    elif kind == "websocket":
        await receive()  # websocket.connect
        if scope["path"] == "/ws":
            await echo(receive, send)
        else:
            await send({"type": "websocket.close", "code": 1000})
    elif kind == "lifespan":
        await serve_lifespan(receive, send)


def routing_app(count: int, dynamic: bool) -> ASGIApp:
    """Route with a dict: by full path, or by first segment when dynamic."""
    paths = [*filler_paths(count, dynamic), target_path(dynamic)]
    routes: dict[str, Handler] = {p.split("/")[1]: hello for p in paths}

    async def static_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        handler = routes.get(scope["path"][1:], not_found)
        await handler(send)

    async def dynamic_app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        first, _, _item = scope["path"][1:].partition("/")
        handler = routes.get(first, not_found)
        await handler(send)

    return dynamic_app if dynamic else static_app
