"""spangle's `Broadcast` component, joined as docs/broadcast.md teaches.

The backend URL comes from `BENCH_BROADCAST_URL` (default `memory://`).
"""

from __future__ import annotations

import os

from bench.apps.fanout import PATH, URL_ENV
from bench.apps.fanout.spangle_set import Collector, Hello
from spangle import Api, Connection, use_component
from spangle.broadcast import Broadcast

CHANNEL = "room"


class Hub(Broadcast):
    """The app's broadcast."""

    def __init__(self) -> None:
        super().__init__(os.environ.get(URL_ENV, "memory://"))


class Fanout:
    """Join the room; publish every message received to it."""

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        hub = use_component(Hub)
        async with hub.joined(CHANNEL, conn):
            async for message in conn:
                await hub.publish(CHANNEL, message)


def make_app() -> Api:
    """Build the fan-out app."""
    api = Api(components=[Hub])
    api.route("/")(Hello)
    api.route("/gc")(Collector)
    api.route(PATH)(Fanout)
    return api


app = make_app()
