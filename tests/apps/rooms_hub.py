"""A rooms app for real-server tests: history, resume, acknowledged publishes.

`SPANGLE_TEST_BROADCAST_URL` names the backend.
"""

import os

from spangle import Api, Connection, use_component
from spangle.broadcast import Broadcast, BroadcastUnavailable


class Hub(Broadcast):
    def __init__(self) -> None:
        super().__init__(os.environ["SPANGLE_TEST_BROADCAST_URL"], history=1000)


api = Api(components=[Hub])


@api.route("/room/{channel}")
class Room:
    """Join with `history=`/`since=` from the query; frames are JSON."""

    async def on_ws(self, conn: Connection, channel: str) -> None:
        await conn.accept()
        hub = use_component(Hub)
        since = conn.params.get("since")
        history = int(conn.params.get("history", "0"))
        async with hub.joined(channel, conn, history=history, since=since, events=True):
            async for _ in conn:
                pass


@api.route("/pub/{channel}")
class Publish:
    """Publish every message; answer `ok <id>` or `unavailable` to each."""

    async def on_ws(self, conn: Connection, channel: str) -> None:
        await conn.accept()
        hub = use_component(Hub)
        async for message in conn:
            try:
                await conn.send(f"ok {await hub.publish(channel, message)}")
            except BroadcastUnavailable:
                await conn.send("unavailable")
