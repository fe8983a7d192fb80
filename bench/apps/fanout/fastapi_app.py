"""FastAPI: the connection manager of its WebSocket tutorial."""

from __future__ import annotations

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import PlainTextResponse, Response

from bench.apps.fanout import PATH, gcwatch


class ConnectionManager:
    """The open WebSockets, and a broadcast over them."""

    def __init__(self) -> None:
        self.active: set[WebSocket] = set()

    async def connect(self, websocket: WebSocket) -> None:
        """Accept and remember a WebSocket."""
        await websocket.accept()
        self.active.add(websocket)

    def disconnect(self, websocket: WebSocket) -> None:
        """Forget a WebSocket."""
        self.active.discard(websocket)

    async def broadcast(self, message: str) -> None:
        """Send a message to every WebSocket."""
        for each in list(self.active):
            try:
                await each.send_text(message)
            except (WebSocketDisconnect, RuntimeError):
                self.active.discard(each)  # gone meanwhile


manager = ConnectionManager()
app = FastAPI()


@app.get("/", response_class=PlainTextResponse)
async def hello() -> str:
    """Answer "Hello, world!"."""
    return "Hello, world!"


@app.get("/gc")
async def collector(request: Request) -> Response:
    """Report the garbage collector's record."""
    body = gcwatch.report(request.url.query)
    return Response(body, media_type="application/json")


@app.websocket(PATH)
async def fanout(websocket: WebSocket) -> None:
    """Send every message of any connection to all of them."""
    await manager.connect(websocket)
    try:
        while True:
            await manager.broadcast(await websocket.receive_text())
    except WebSocketDisconnect:
        pass
    finally:
        manager.disconnect(websocket)
