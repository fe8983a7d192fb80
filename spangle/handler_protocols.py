"""Protocols describing views, hooks and error handlers, for type checking."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from spangle.models.http import Request, Response
from spangle.models.websocket import Connection

__all__ = [
    "BaseHandlerProtocol",
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
class BaseHandlerProtocol(Protocol):
    """A view, hook or error handler class: created without arguments."""

    def __init__(self) -> None:
        """Make the instance; spangle makes one per class and Api."""


# duplicates: one Protocol per handler method, as 0.11 names them.
@runtime_checkable
class RequestHandlerProtocol(BaseHandlerProtocol, Protocol):
    """A view or hook with `on_request`, run before `on_<method>`."""

    async def on_request(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle every allowed method."""


@runtime_checkable
class GetHandlerProtocol(BaseHandlerProtocol, Protocol):
    """A view answering GET."""

    async def on_get(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle GET."""


@runtime_checkable
class PostHandlerProtocol(BaseHandlerProtocol, Protocol):
    """A view answering POST."""

    async def on_post(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle POST."""


@runtime_checkable
class PutHandlerProtocol(BaseHandlerProtocol, Protocol):
    """A view answering PUT."""

    async def on_put(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle PUT."""


@runtime_checkable
class DeleteHandlerProtocol(BaseHandlerProtocol, Protocol):
    """A view answering DELETE."""

    async def on_delete(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle DELETE."""


@runtime_checkable
class PatchHandlerProtocol(BaseHandlerProtocol, Protocol):
    """A view answering PATCH."""

    async def on_patch(self, req: Request, resp: Response, /, **kw: Any) -> Any:
        """Handle PATCH."""


@runtime_checkable
class WebsocketHandlerProtocol(BaseHandlerProtocol, Protocol):
    """A view or hook serving WebSocket connections."""

    async def on_ws(self, conn: Connection, /, **kw: Any) -> Any:
        """Handle a connection."""


@runtime_checkable
class HttpErrorHandlerProtocol(BaseHandlerProtocol, Protocol):
    """An error handler for HTTP requests."""

    async def on_error(self, req: Request, resp: Response, e: Exception, /) -> Any:
        """Answer an error."""


@runtime_checkable
class WebSocketErrorHandlerProtocol(BaseHandlerProtocol, Protocol):
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
