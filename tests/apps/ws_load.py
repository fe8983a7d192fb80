"""A real-server app for load and vanishing-client tests.

The `ws_probe` lifespan functions report leftover tasks at shutdown.
"""

from __future__ import annotations

import asyncio

from spangle import Api, Connection
from spangle.exceptions import WebSocketDisconnect
from tests.apps import ws_probe

api = Api(static_dir=None, templates_dir=None)
ws_probe.install(api)


@api.route("/count/{n:int}")
class Count:
    """Echo `n` text messages, then return (so the framework closes with 1000)."""

    async def on_ws(self, conn: Connection, n: int) -> None:
        await conn.accept()
        for _ in range(n):
            await conn.send(await conn.receive(str))


@api.route("/hold")
class Hold:
    """Wait for messages until the client goes."""

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        await conn.send("ready")
        async for _ in conn:
            pass
        ws_probe.note(conn, view_ended=True)


@api.route("/flood")
class Flood:
    """Stream messages until the client goes."""

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        chunk = "x" * 16384
        try:
            while True:
                await conn.send(chunk)
                # A real producer awaits its source between messages. Without
                # any await the server never gets to notice the lost socket
                # (writes to it are dropped), so this loop would spin forever.
                await asyncio.sleep(0)
        except WebSocketDisconnect as e:
            ws_probe.note(conn, raised="WebSocketDisconnect", code=e.code)
            raise


@api.route("/flood-tight")
class TightFlood:
    """Stream messages with no await but `send` until the client goes."""

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        chunk = "x" * 16384
        try:
            while True:
                await conn.send(chunk)
        except WebSocketDisconnect as e:
            ws_probe.note(conn, raised="WebSocketDisconnect", code=e.code)
            raise
