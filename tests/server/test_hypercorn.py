"""The WebSocket connection behind hypercorn instead of uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.server import Server, run_server
from tests.support.ws_client import close_of, recv

APP = "tests.apps.ws_features:api"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with run_server(APP, server="hypercorn") as running:
        yield running


async def test_hypercorn_echoes_text_and_binary_frames(server: Server) -> None:
    async with connect(server.ws_url + "/echo") as ws:
        await ws.send("text")
        assert await recv(ws) == "text"
        await ws.send(b"\x00bytes")
        assert await recv(ws) == b"\x00bytes"


async def test_hypercorn_closes_with_1000_when_the_view_returns(
    server: Server,
) -> None:
    async with connect(server.ws_url + "/hello") as ws:
        assert await recv(ws) == "hello"
        assert (await close_of(ws))[0] == 1000


async def test_hypercorn_carries_the_close_code_and_reason(server: Server) -> None:
    async with connect(server.ws_url + "/close?code=4000&reason=bye") as ws:
        assert await close_of(ws) == (4000, "bye")


async def test_hypercorn_refuses_an_unknown_path_with_404(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(server.ws_url + "/nowhere"):
            pass
    assert refused.value.response.status_code == 404
