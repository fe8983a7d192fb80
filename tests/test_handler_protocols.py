from __future__ import annotations

from spangle import Connection, Request, Response
from spangle.handler_protocols import (
    DeleteHandlerProtocol,
    GetHandlerProtocol,
    HttpErrorHandlerProtocol,
    PatchHandlerProtocol,
    PostHandlerProtocol,
    PutHandlerProtocol,
    RequestHandlerProtocol,
    WebSocketErrorHandlerProtocol,
    WebsocketHandlerProtocol,
)


class Everything:
    async def on_request(self, req: Request, resp: Response) -> None:
        pass

    async def on_get(self, req: Request, resp: Response) -> None:
        pass

    async def on_post(self, req: Request, resp: Response) -> None:
        pass

    async def on_put(self, req: Request, resp: Response) -> None:
        pass

    async def on_delete(self, req: Request, resp: Response) -> None:
        pass

    async def on_patch(self, req: Request, resp: Response) -> None:
        pass

    async def on_ws(self, conn: Connection) -> None:
        pass

    async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
        pass

    async def on_ws_error(self, conn: Connection, e: Exception) -> None:
        pass


def test_a_view_with_every_method_satisfies_every_protocol() -> None:
    view = Everything()
    for protocol in (
        RequestHandlerProtocol,
        GetHandlerProtocol,
        PostHandlerProtocol,
        PutHandlerProtocol,
        DeleteHandlerProtocol,
        PatchHandlerProtocol,
        WebsocketHandlerProtocol,
        HttpErrorHandlerProtocol,
        WebSocketErrorHandlerProtocol,
    ):
        assert isinstance(view, protocol)


def test_a_class_without_the_method_does_not_satisfy_the_protocol() -> None:
    assert not isinstance(object(), GetHandlerProtocol)
    assert not isinstance(object(), WebsocketHandlerProtocol)
