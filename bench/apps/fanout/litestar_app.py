"""Litestar: its channels plugin, subscribed as its documentation shows."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, MediaType, Request, Response, WebSocket, get, websocket
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.exceptions import WebSocketDisconnect

from bench.apps.fanout import PATH, gcwatch

CHANNEL = "room"


@get("/", media_type=MediaType.TEXT)
async def hello() -> str:
    """Answer "Hello, world!"."""
    return "Hello, world!"


@get("/gc")
async def collector(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Report the garbage collector's record."""
    body = gcwatch.report(request.scope["query_string"])
    return Response(body, media_type=MediaType.JSON)


@websocket(PATH)
async def fanout(socket: WebSocket[Any, Any, Any], channels: ChannelsPlugin) -> None:
    """Subscribe to the room; publish every message received to it."""
    await socket.accept()
    async with (
        channels.start_subscription([CHANNEL]) as subscriber,
        subscriber.run_in_background(socket.send_data),
    ):
        try:
            while True:
                channels.publish(await socket.receive_text(), [CHANNEL])
        except WebSocketDisconnect:
            pass


plugin = ChannelsPlugin(backend=MemoryChannelsBackend(), channels=[CHANNEL])
app = Litestar(route_handlers=[hello, collector, fanout], plugins=[plugin])
