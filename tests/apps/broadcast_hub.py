"""A broadcast app for real-server tests.

`SPANGLE_TEST_BROADCAST_URL` names the backend; `SPANGLE_TEST_QUEUE_SIZE`
bounds the subscriber queues.
"""

import os

from spangle import Api, Connection, Request, Response, use_component
from spangle.broadcast import Broadcast, BroadcastUnavailable


class Hub(Broadcast):
    def __init__(self) -> None:
        super().__init__(
            os.environ["SPANGLE_TEST_BROADCAST_URL"],
            queue_size=int(os.environ.get("SPANGLE_TEST_QUEUE_SIZE", "1000")),
        )


api = Api(components=[Hub])


@api.route("/sub/{channel}")
class Subscribe:
    """Join the channel, say "ready", stay until the client leaves."""

    async def on_ws(self, conn: Connection, channel: str) -> None:
        await conn.accept()
        hub = use_component(Hub)
        async with hub.joined(channel, conn):
            await conn.send("ready")
            async for _ in conn:
                pass


@api.route("/pub/{channel}")
class Publish:
    """Publish every WebSocket message, or a POST body, on the channel."""

    async def on_ws(self, conn: Connection, channel: str) -> None:
        await conn.accept()
        hub = use_component(Hub)
        async for message in conn:
            await hub.publish(channel, message)

    async def on_post(self, req: Request, resp: Response, channel: str) -> None:
        try:
            await use_component(Hub).publish(channel, await req.text)
        except BroadcastUnavailable as exc:
            resp.set_status(503).set_text(str(exc))


@api.route("/stats")
class Stats:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.json = {"dropped": use_component(Hub).dropped}
