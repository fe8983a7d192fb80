"""A tiny app for real-server tests: a WebSocket echo and a page."""

from spangle import Api, Connection, Request, Response

api = Api(static_dir=None)


@api.route("/echo")
class Echo:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        async for message in conn:
            await conn.send(message)


@api.route("/")
class Index:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.set_text("<h1>hi</h1>", "text/html; charset=utf-8")
