"""Raw ASGI: a set of `send` callables and a loop over it."""

from __future__ import annotations

from typing import Any

from bench.apps.fanout import PATH, gcwatch
from bench.apps.raw import serve_lifespan
from bench.drivers import Receive, Send

_HELLO = (
    {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
    },
    {"type": "http.response.body", "body": b"Hello, world!"},
)
_JSON = [(b"content-type", b"application/json")]

subscribers: set[Send] = set()


async def fanout(receive: Receive, send: Send) -> None:
    """Accept, subscribe, broadcast every text message to every subscriber."""
    await send({"type": "websocket.accept"})
    subscribers.add(send)
    try:
        while True:
            message = await receive()
            if message["type"] != "websocket.receive":
                return
            out = {"type": "websocket.send", "text": message.get("text")}
            for each in list(subscribers):
                try:
                    await each(out)
                except Exception:  # gone meanwhile: its own loop cleans up
                    subscribers.discard(each)
    finally:
        subscribers.discard(send)


async def http(scope: Any, send: Send) -> None:
    """Answer `GET /` and `GET /gc`."""
    if scope["path"] == "/gc":
        body = gcwatch.report(scope["query_string"])
        await send({"type": "http.response.start", "status": 200, "headers": _JSON})
        await send({"type": "http.response.body", "body": body})
        return
    for message in _HELLO:
        await send(message)


async def app(scope: Any, receive: Receive, send: Send) -> None:
    """Serve the fan-out at `/fanout`, `GET /` and `GET /gc`."""
    kind = scope["type"]
    if kind == "http":
        await http(scope, send)
    elif kind == "websocket":
        await receive()  # websocket.connect
        if scope["path"] == PATH:
            await fanout(receive, send)
        else:
            await send({"type": "websocket.close", "code": 1000})
    elif kind == "lifespan":
        await serve_lifespan(receive, send)
