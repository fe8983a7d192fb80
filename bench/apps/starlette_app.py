"""Starlette: function endpoints in a route list."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.apps import filler_paths, target_path


async def hello(request: Request) -> PlainTextResponse:
    """Answer "Hello, world!"."""
    return PlainTextResponse("Hello, world!")


async def echo(websocket: WebSocket) -> None:
    """Send every text message back until the client leaves."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[Route("/", hello), WebSocketRoute("/ws", echo)])


def routing_app(count: int, dynamic: bool) -> Starlette:
    """Build an app with `count` routes."""
    paths = [*filler_paths(count, dynamic), target_path(dynamic)]
    return Starlette(routes=[Route(path, hello) for path in paths])
