"""0.11's WebSocket exceptions, as code written for it catches them."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect as StarletteDisconnect

from spangle import Api, Connection


async def test_a_client_leaving_raises_starlettes_websocket_disconnect_too() -> None:
    api = Api(static_dir=None)
    caught: list[BaseException] = []

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            try:
                await conn.receive(str)
            except StarletteDisconnect as exc:
                caught.append(exc)

    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.close(1001)
    assert [getattr(e, "code", None) for e in caught] == [1001]


async def test_a_refused_handshake_raises_runtime_error_in_the_test_client() -> None:
    async with Api(static_dir=None).client() as client:
        with pytest.raises(RuntimeError):
            async with client.ws_connect("/nowhere"):
                pass
