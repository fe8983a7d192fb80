"""The app Autobahn|Testsuite talks to: a WebSocket echo at `/`.

Autobahn's limits cases (9.*) send messages of up to 16 MiB, so this echo
raises `ws_max_message_bytes` to that; every other setting is spangle's
default, and `spangle run` serves it with its production defaults.
"""

from spangle import Api, Connection

api = Api(static_dir=None, templates_dir=None, ws_max_message_bytes=16 * 1024 * 1024)


@api.route("/")
class Echo:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        async for message in conn:
            await conn.send(message)
