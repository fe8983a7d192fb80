"""The demo app: a WebSocket echo endpoint and a page whose script talks to it.

Serve it with `make run` (or `spangle run examples.chat.app:api`) and open
http://127.0.0.1:8000/.
"""

from pathlib import Path

from spangle import Api, Connection, Request, Response

HERE = Path(__file__).parent

api = Api(static_dir=str(HERE / "static"), templates_dir=None)


@api.route("/")
class EchoPage:
    """The page: type a message, see it come back."""

    async def on_get(self, req: Request, resp: Response) -> None:
        resp.set_text((HERE / "echo.html").read_text(), "text/html; charset=utf-8")


@api.route("/ws/echo")
class Echo:
    """Send every message back as it came: text as text, binary as binary."""

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        async for message in conn:
            await conn.send(message)
