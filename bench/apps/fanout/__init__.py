"""The fan-out apps: every text message one client sends goes to all of them.

Each module serves `GET /` ("Hello, world!", for readiness), a WebSocket at
`/fanout` whose every connection is a subscriber and whose every text message
is broadcast to all subscribers (the sender included), and `GET /gc`, the
garbage collector's record (`bench.apps.fanout.gcwatch`). They are written as
each framework's documentation teaches a chat room.

`ROWS` names the table's rows: the app module, the server that runs it and,
for spangle's `Broadcast` on Redis, how many worker processes share it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The WebSocket path of every fan-out app.
PATH = "/fanout"
#: The environment variable naming the `Broadcast` URL of the Broadcast app.
URL_ENV = "BENCH_BROADCAST_URL"


@dataclass(frozen=True)
class Row:
    """One row of the fan-out table.

    Attributes:
        name: The row's name in the table.
        module: The app module (its `app` is served).
        server: `uvicorn` (the CLI with `spangle run`'s settings) or
            `spangle` (`spangle run` itself).
        redis: Whether the app broadcasts through a Redis server.
        workers: Server processes, each on its own port, clients spread
            over them round robin.
    """

    name: str
    module: str
    server: str
    redis: bool = False
    workers: int = 1


BROADCAST = "bench.apps.fanout.spangle_broadcast"
ROWS = {
    row.name: row
    for row in (
        Row("raw", "bench.apps.fanout.raw", "uvicorn"),
        Row("spangle_set", "bench.apps.fanout.spangle_set", "spangle"),
        Row("broadcast", BROADCAST, "spangle"),
        Row("broadcast_redis", BROADCAST, "spangle", redis=True),
        Row("broadcast_redis_2w", BROADCAST, "spangle", redis=True, workers=2),
        Row("starlette", "bench.apps.fanout.starlette_app", "uvicorn"),
        Row("fastapi", "bench.apps.fanout.fastapi_app", "uvicorn"),
        Row("litestar", "bench.apps.fanout.litestar_app", "uvicorn"),
    )
}
