"""Falcon (ASGI): resource classes with responders."""

from __future__ import annotations

from typing import Any

import falcon
import falcon.asgi
from falcon import WebSocketDisconnected

from bench.apps import filler_paths, target_path


class Hello:
    """Answer "Hello, world!"."""

    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, **params: Any
    ) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, world!"


class Echo:
    """Send every text message back until the client leaves."""

    async def on_websocket(
        self, req: falcon.asgi.Request, ws: falcon.asgi.WebSocket
    ) -> None:
        await ws.accept()
        try:
            while True:
                await ws.send_text(await ws.receive_text())
        except WebSocketDisconnected:
            pass


def make_app() -> falcon.asgi.App[falcon.asgi.Request, falcon.asgi.Response]:
    """Build the `GET /` and `/ws` app."""
    api = falcon.asgi.App()
    api.add_route("/", Hello())
    api.add_route("/ws", Echo())
    return api


def routing_app(
    count: int, dynamic: bool
) -> falcon.asgi.App[falcon.asgi.Request, falcon.asgi.Response]:
    """Build an app with `count` routes, each its own resource."""
    api = falcon.asgi.App()
    for path in [*filler_paths(count, dynamic), target_path(dynamic)]:
        api.add_route(path, Hello())
    return api


app = make_app()
