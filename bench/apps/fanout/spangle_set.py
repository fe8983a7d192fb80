"""spangle with a plain set of connections and a loop over it."""

from __future__ import annotations

from typing import Any

from bench.apps.fanout import PATH, gcwatch
from spangle import Api, Connection, Request, Response
from spangle.exceptions import WebSocketDisconnect


class Hello:
    """Answer "Hello, world!"."""

    async def on_get(self, req: Request, resp: Response, **params: Any) -> None:
        resp.text = "Hello, world!"


class Collector:
    """Report the garbage collector's record."""

    async def on_get(self, req: Request, resp: Response) -> None:
        resp.set_content(gcwatch.report(req.url.query), "application/json")


members: set[Connection] = set()


class Fanout:
    """Send every message of any connection to all of them."""

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        members.add(conn)
        try:
            async for message in conn:
                for each in list(members):
                    try:
                        await each.send(message)
                    except (WebSocketDisconnect, RuntimeError):
                        members.discard(each)  # gone meanwhile
        finally:
            members.discard(conn)


def make_app() -> Api:
    """Build the fan-out app."""
    api = Api()
    api.route("/")(Hello)
    api.route("/gc")(Collector)
    api.route(PATH)(Fanout)
    return api


app = make_app()
