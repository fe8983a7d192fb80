"""Litestar: decorated handlers returning plain text."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, MediaType, WebSocket, get, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.handlers import HTTPRouteHandler

from bench.apps import filler_paths, target_path


async def hello() -> str:
    """Answer "Hello, world!"."""
    return "Hello, world!"


async def hello_item(item: str) -> str:
    """Answer "Hello, world!" on a path with a parameter."""
    return "Hello, world!"


@websocket("/ws")
async def echo(socket: WebSocket[Any, Any, Any]) -> None:
    """Send every text message back until the client leaves."""
    await socket.accept()
    try:
        while True:
            await socket.send_text(await socket.receive_text())
    except WebSocketDisconnect:
        pass


def _text_route(path: str, dynamic: bool) -> HTTPRouteHandler:
    endpoint = hello_item if dynamic else hello
    return get(path, media_type=MediaType.TEXT)(endpoint)


app = Litestar(route_handlers=[_text_route("/", False), echo])


def routing_app(count: int, dynamic: bool) -> Litestar:
    """Build an app with `count` routes."""
    param = "{item:str}"
    paths = [*filler_paths(count, dynamic, param), target_path(dynamic, param)]
    return Litestar(route_handlers=[_text_route(path, dynamic) for path in paths])
