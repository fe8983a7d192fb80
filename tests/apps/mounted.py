"""An Api with a raw ASGI app and another Api mounted, for real-server tests."""

import json

from spangle import Api, Connection, Request, Response
from spangle._internal.asgi import Receive, Scope, Send


async def show_scope(scope: Scope, receive: Receive, send: Send) -> None:
    seen = {
        "root_path": scope["root_path"],
        "path": scope["path"],
        "spangle": sorted(scope["extensions"]["spangle"]),
    }
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": json.dumps(seen)})
        await send({"type": "websocket.close", "code": 1000})
        return
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


inner = Api(static_dir=None)


@inner.route("/echo")
class Echo:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.text = "inner get"

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        async for message in conn:
            await conn.send(
                message if isinstance(message, bytes) else f"inner: {message}"
            )


api = Api(static_dir=None)
api.mount("/raw", show_scope)
api.mount("/inner", inner)
