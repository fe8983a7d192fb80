"""Protocols describing views, hooks and error handlers, for type checking."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from spangle.models.http import Request, Response
from spangle.models.websocket import Connection

__all__ = [
    "RequestHandlerProtocol",
    "GetHandlerProtocol",
    "PostHandlerProtocol",
    "PutHandlerProtocol",
    "DeleteHandlerProtocol",
    "PatchHandlerProtocol",
    "WebsocketHandlerProtocol",
    "HttpErrorHandlerProtocol",
    "WebSocketErrorHandlerProtocol",
    "ErrorHandlerProtocol",
    "AnyRequestHandlerProtocol",
]


@runtime_checkable
class RequestHandlerProtocol(Protocol):
    """A view or hook with `on_request`, run before `on_<method>`."""

    async def on_request(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle every allowed method."""


@runtime_checkable
class GetHandlerProtocol(Protocol):
    """A view answering GET."""

    async def on_get(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle GET."""


@runtime_checkable
class PostHandlerProtocol(Protocol):
    """A view answering POST."""

    async def on_post(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle POST."""


@runtime_checkable
class PutHandlerProtocol(Protocol):
    """A view answering PUT."""

    async def on_put(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle PUT."""


@runtime_checkable
class DeleteHandlerProtocol(Protocol):
    """A view answering DELETE."""

    async def on_delete(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle DELETE."""


@runtime_checkable
class PatchHandlerProtocol(Protocol):
    """A view answering PATCH."""

    async def on_patch(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle PATCH."""


@runtime_checkable
class WebsocketHandlerProtocol(Protocol):
    """A view or hook serving WebSocket connections."""

    async def on_ws(self, conn: Connection, /, **kw: Any) -> Any:
        """Handle a connection."""


@runtime_checkable
class HttpErrorHandlerProtocol(Protocol):
    """An error handler for HTTP requests."""

    async def on_error(self, req: Request, resp: Response, e: Exception, /) -> Any:
        """Answer an error."""


@runtime_checkable
class WebSocketErrorHandlerProtocol(Protocol):
    """An error handler for WebSocket connections."""

    async def on_ws_error(self, conn: Connection, e: Exception, /) -> Any:
        """Handle an error on a connection."""


ErrorHandlerProtocol = HttpErrorHandlerProtocol | WebSocketErrorHandlerProtocol

AnyRequestHandlerProtocol = (
    RequestHandlerProtocol
    | GetHandlerProtocol
    | PostHandlerProtocol
    | PutHandlerProtocol
    | DeleteHandlerProtocol
    | PatchHandlerProtocol
    | WebsocketHandlerProtocol
)
