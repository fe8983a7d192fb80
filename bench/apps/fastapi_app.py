"""FastAPI: decorated async functions returning plain text."""

from __future__ import annotations

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse

from bench.apps import filler_paths, target_path


async def hello() -> str:
    """Answer "Hello, world!"."""
    return "Hello, world!"


async def hello_item(item: str) -> str:
    """Answer "Hello, world!" on a path with a parameter."""
    return "Hello, world!"


async def echo(websocket: WebSocket) -> None:
    """Send every text message back until the client leaves."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


def make_app() -> FastAPI:
    """Build the `GET /` and `/ws` app."""
    api = FastAPI()
    api.get("/", response_class=PlainTextResponse)(hello)
    api.websocket("/ws")(echo)
    return api


def routing_app(count: int, dynamic: bool) -> FastAPI:
    """Build an app with `count` routes."""
    api = FastAPI()
    endpoint = hello_item if dynamic else hello
    for path in [*filler_paths(count, dynamic), target_path(dynamic)]:
        api.get(path, response_class=PlainTextResponse)(endpoint)
    return api


app = make_app()
