"""Starlette: a list of WebSockets and a loop over it, as its users write."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.apps.fanout import PATH, gcwatch

members: set[WebSocket] = set()


async def hello(request: Request) -> PlainTextResponse:
    """Answer "Hello, world!"."""
    return PlainTextResponse("Hello, world!")


async def collector(request: Request) -> Response:
    """Report the garbage collector's record."""
    body = gcwatch.report(request.url.query)
    return Response(body, media_type="application/json")


async def fanout(websocket: WebSocket) -> None:
    """Send every message of any connection to all of them."""
    await websocket.accept()
    members.add(websocket)
    try:
        while True:
            message = await websocket.receive_text()
            for each in list(members):
                try:
                    await each.send_text(message)
                except (WebSocketDisconnect, RuntimeError):
                    members.discard(each)  # gone meanwhile
    except WebSocketDisconnect:
        pass
    finally:
        members.discard(websocket)


app = Starlette(
    routes=[Route("/", hello), Route("/gc", collector), WebSocketRoute(PATH, fanout)]
)
