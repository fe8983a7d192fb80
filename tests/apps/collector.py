"""An app reporting its process's garbage-collector state, for `spangle run`."""

import contextvars
import gc

from spangle import Api, Connection, Request, Response

api = Api(static_dir=None)


@api.route("/gc")
class Collector:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.json.threshold = gc.get_threshold()
        resp.json.frozen = gc.get_freeze_count()


@api.route("/tokens")
class Tokens:
    """Count the context-variable tokens alive, frozen ones included."""

    async def on_get(self, req: Request, resp: Response) -> None:
        gc.unfreeze()
        try:
            tokens = sum(type(o) is contextvars.Token for o in gc.get_objects())
        finally:
            gc.freeze()
        resp.json.tokens = tokens


@api.route("/idle")
class Idle:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        await conn.send("ready")
        async for _ in conn:
            pass
