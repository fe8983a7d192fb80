"""spangle: class-based views; the app as a user would write it."""

from __future__ import annotations

from typing import Any

from bench.apps import filler_paths, target_path
from spangle import Api, Connection, Request, Response


class Hello:
    """Answer "Hello, world!"."""

    async def on_get(self, req: Request, resp: Response, **params: Any) -> None:
        resp.text = "Hello, world!"


class Echo:
    """Send every text message back until the client leaves."""

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        while True:
            await conn.send(await conn.receive(str))


def make_app() -> Api:
    """Build the `GET /` and `/ws` app."""
    api = Api()
    api.route("/")(Hello)
    api.route("/ws")(Echo)
    return api


def routing_app(count: int, dynamic: bool) -> Api:
    """Build an app with `count` routes, each its own view class."""
    api = Api()
    for i, path in enumerate([*filler_paths(count, dynamic), target_path(dynamic)]):
        api.route(path)(type(f"View{i}", (Hello,), {}))
    return api


app = make_app()
