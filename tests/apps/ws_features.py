"""A real-server app exercising every feature of the WebSocket connection.

Views note what they saw with `ws_probe.note`; tests read it at `/seen/{id}`.
"""

from __future__ import annotations

from typing import Any

from spangle import Api, Connection, ErrorHandler, Request, Response
from spangle.exceptions import WebSocketDisconnect, WebSocketError
from tests.apps import ws_probe

LIMIT = 64 * 1024

api = Api(static_dir=None, templates_dir=None, ws_max_message_bytes=LIMIT)
ws_probe.install(api)


class Handled(Exception):
    """Raised by `/handled`; its handler answers, then may ask to re-raise."""


handlers = ErrorHandler()


@handlers.handle(Handled)
class OnHandled:
    async def on_ws_error(self, conn: Connection, e: Exception) -> None:
        ws_probe.note(conn, handler="Handled")
        await conn.send(f"handled {e}")
        if "close" in conn.params:
            await conn.close(4001, "handled")
        conn.reraise = "reraise" in conn.params


@handlers.handle(WebSocketDisconnect)
class OnDisconnect:
    async def on_ws_error(self, conn: Connection, e: Exception) -> None:
        ws_probe.note(conn, handler="WebSocketDisconnect")


api.add_error_handler(handlers)


@api.route("/echo")
class Echo:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        async for message in conn:
            await conn.send(message)
        ws_probe.note(conn, loop_ended=True)


@api.route("/typed/{mode}")
class Typed:
    async def on_ws(self, conn: Connection, mode: str) -> None:
        await conn.accept()
        while True:
            message = await conn.receive(str if mode == "str" else bytes)
            await conn.send(message)


@api.route("/tolerant")
class Tolerant:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        while True:
            try:
                await conn.send(await conn.receive(str))
            except WebSocketError as e:
                await conn.send(f"error {e.code}")


@api.route("/listen")
class Listen:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        await conn.send("ready")
        try:
            await conn.receive()
        except WebSocketDisconnect as e:
            ws_probe.note(conn, raised="WebSocketDisconnect", code=e.code)
            ws_probe.note(conn, reason=e.reason, closed_in_view=conn.closed)
            raise


@api.route("/hello")
class Hello:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        await conn.send("hello")


@api.route("/close")
class Close:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        code = conn.params.get("code")
        if code is None:
            await conn.close()
        else:
            await conn.close(int(code), conn.params.get("reason", ""))


@api.route("/after-close")
class AfterClose:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        await conn.close()
        ws_probe.note(conn, closed_in_view=conn.closed)
        try:
            await conn.send("late")
        except RuntimeError as e:
            ws_probe.note(conn, send=str(e))
        try:
            await conn.receive()
        except RuntimeError as e:
            ws_probe.note(conn, receive=str(e))


@api.route("/bad-close")
class BadClose:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        refused: list[Any] = []
        for code, reason in [(c, "") for c in (999, 1004, 1005, 1006, 1015, 5000)] + [
            (1000, "é" * 62)
        ]:
            try:
                await conn.close(code, reason)
            except ValueError:
                refused.append(code)
        await conn.send_json({"refused": refused, "closed": conn.closed})
        await conn.close(4999, "r" * 123)


@api.route("/boom")
class Boom:
    async def on_ws(self, conn: Connection) -> None:
        if "early" not in conn.params:
            await conn.accept()
        raise RuntimeError(f"boom-{conn.params['id']}")


@api.route("/handled")
class RaisesHandled:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        raise Handled(conn.params["id"])


@api.route("/json")
class Json:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        while True:
            await conn.send_json({"got": await conn.receive_json()})


@api.route("/subprotocol")
class Subprotocol:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept(subprotocol=conn.params.get("pick"))
        await conn.send_json(conn.subprotocols)


@api.route("/accept-headers")
class AcceptHeaders:
    async def on_ws(self, conn: Connection) -> None:
        if "pairs" in conn.params:
            await conn.accept(headers=[("x-one", "1"), ("x-one", "2")])
        else:
            await conn.accept(headers={"x-spangle": "yes"})


@api.route("/reject")
class Reject:
    async def on_ws(self, conn: Connection) -> None:
        if "status" in conn.params:
            await conn.reject(int(conn.params["status"]), conn.params.get("text", ""))
        else:
            await conn.reject()
        ws_probe.note(conn, returned=True, closed_in_view=conn.closed)


@api.route("/info")
class Info:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        client = conn.client
        await conn.send_json(
            {
                "multi": conn.headers.getall("x-multi", []),
                "header_case": conn.headers.get("X-SINGLE"),
                "tags": conn.params.getall("tag", []),
                "url": str(conn.url),
                "path": conn.url.path,
                "scheme": conn.url.scheme,
                "cookies": conn.cookies,
                "client": None if client is None else [client.host, client.port],
                "before": conn.state.before,
                "closed": conn.closed,
                "reraise": conn.reraise,
            }
        )
        await conn.send(b"\x00bin")
        wrong: Any = 42
        try:
            await conn.send(wrong)
        except TypeError as e:
            await conn.send(f"TypeError: {e}")
        try:
            await conn.receive(wrong)
        except TypeError as e:
            await conn.send(f"TypeError: {e}")


@api.route("/page")
class Page:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.set_text("an HTTP-only view", "text/plain; charset=utf-8")
