"""In-process test clients: HTTP through httpx, WebSocket through queues.

`async with api.client() as client:` runs the app's lifespan around the
block; requests and connections never touch a socket.
"""

from spangle.testing.http import AsyncHttpTestClient, HttpTestResponse
from spangle.testing.websocket import (
    AsyncWebsocketClient,
    Headers,
    Params,
    WebSocketClosed,
    WebSocketRejected,
    websocket_scope,
)

__all__ = [
    "AsyncHttpTestClient",
    "AsyncWebsocketClient",
    "HttpTestResponse",
    "Headers",
    "Params",
    "WebSocketClosed",
    "WebSocketRejected",
    "websocket_scope",
]
