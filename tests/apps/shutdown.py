"""An app whose connections are open when the server shuts down.

Each event it lives through is printed on stdout, for the test to read in
the server's output: what a view saw, the after-hook, the stop function,
the component shutdown and the Broadcast drain.
"""

from __future__ import annotations

import asyncio

from spangle import Api, Connection, use_component
from spangle.broadcast import Broadcast
from spangle.exceptions import WebSocketDisconnect

CHUNK = "x" * 65536


def say(text: str) -> None:
    print(f"EVENT {text}", flush=True)


class Hub(Broadcast):
    def __init__(self) -> None:
        super().__init__("memory://", drain_timeout=1.0)

    async def shutdown(self) -> None:
        await super().shutdown()
        say("broadcast drained")


class Store:
    async def shutdown(self) -> None:
        say("component shutdown")


api = Api(
    static_dir=None,
    templates_dir=None,
    components=[Hub, Store],
    ws_shutdown_timeout=1.0,
)


@api.route("/ws/echo")
class Echo:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        hub = use_component(Hub)
        try:
            async with hub.joined("room", conn):
                while True:
                    await conn.send(await conn.receive())
        except WebSocketDisconnect as exc:
            say(f"echo view saw WebSocketDisconnect {exc.code}")
        except asyncio.CancelledError:
            say("echo view saw CancelledError")
            raise


@api.route("/ws/flood")
class Flood:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        await use_component(Hub).join("room", conn)
        say("flood view sending")
        try:
            while True:
                await conn.send(CHUNK)
        except WebSocketDisconnect as exc:
            say(f"flood view saw WebSocketDisconnect {exc.code}")


@api.after_request
class After:
    async def on_ws(self, conn: Connection) -> None:
        say(f"after hook {conn.url.path}")


@api.on_stop
def stop() -> None:
    say("stop function")
