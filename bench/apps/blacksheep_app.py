"""BlackSheep: routed async functions returning responses."""

from __future__ import annotations

from blacksheep import Application, Response, WebSocket, WebSocketDisconnectError, text
from blacksheep.server.routing import Router

from bench.apps import filler_paths, target_path


async def hello() -> Response:
    """Answer "Hello, world!"."""
    return text("Hello, world!")


async def hello_item(item: str) -> Response:
    """Answer "Hello, world!" on a path with a parameter."""
    return text("Hello, world!")


async def echo(websocket: WebSocket) -> None:
    """Send every text message back until the client leaves."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnectError:
        pass


def make_app() -> Application:
    """Build the `GET /` and `/ws` app."""
    router = Router()
    router.add_get("/", hello)
    router.add_ws("/ws", echo)
    return Application(router=router)


def routing_app(count: int, dynamic: bool) -> Application:
    """Build an app with `count` routes."""
    router = Router()
    endpoint = hello_item if dynamic else hello
    for path in [*filler_paths(count, dynamic), target_path(dynamic)]:
        router.add_get(path, endpoint)
    return Application(router=router)


app = make_app()
