"""Raw ASGI, each message read and written through a coroutine of its own.

Not a framework: the least that the seed's `Connection` costs. Its
`receive()` and `send()` are `async def`, so any implementation of it pays
one coroutine call more than raw ASGI on each side of every message, before
doing any work. Only the WebSocket echo differs from `bench.apps.raw`.
"""

from __future__ import annotations

from typing import Any

from bench.apps import raw
from bench.drivers import Receive, Send

Scope = Any
routing_app = raw.routing_app


async def receive_text(receive: Receive) -> str | None:
    """Wait for a message and return its text, `None` when the client left."""
    message = await receive()
    if message["type"] != "websocket.receive":
        return None
    text: str | None = message.get("text")
    return text


async def send_text(send: Send, text: str | None) -> None:
    """Send a text message."""
    await send({"type": "websocket.send", "text": text})


async def echo(receive: Receive, send: Send) -> None:
    """Accept, then send every text message back until the client leaves."""
    await send({"type": "websocket.accept"})
    while (text := await receive_text(receive)) is not None:
        await send_text(send, text)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Serve `GET /` and the echo at `/ws` as raw ASGI does."""
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await echo(receive, send)
    else:
        await raw.app(scope, receive, send)
