"""Many real connections at once, and clients that vanish, against uvicorn."""

from __future__ import annotations

import asyncio
import socket
import struct
from contextlib import AsyncExitStack

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.support.server import Server, run_server
from tests.support.ws_client import (
    assert_no_server_error,
    close_of,
    new_id,
    recv,
    seen,
)

APP = "tests.apps.ws_load:api"
CONNECTIONS = 100
MESSAGES = 100


async def converse(ws: ClientConnection, number: int) -> tuple[list[str], int | None]:
    """Send every message, then read the echoes and the close."""
    sent = [f"{number}:{k}" for k in range(MESSAGES)]
    for message in sent:
        await ws.send(message)
    echoed = [str(await recv(ws)) for _ in sent]
    assert echoed == sent, f"connection {number} lost or reordered messages"
    return echoed, (await close_of(ws))[0]


def assert_nothing_left_behind(server: Server, connections: int) -> None:
    """Stop the server; check its log for errors, leftover tasks, after hooks."""
    assert_no_server_error(server)
    assert "leftover tasks: 0 " in server.output, server.output
    assert f"after hooks ran: {connections}" in server.output, server.output


async def test_100_connections_of_100_messages_each_lose_nothing() -> None:
    with run_server(APP) as server:
        url = f"{server.ws_url}/count/{MESSAGES}"
        async with AsyncExitStack() as stack:
            opened = [
                stack.enter_async_context(connect(url)) for _ in range(CONNECTIONS)
            ]
            # Every handshake completes before any message: all 100 are open at once.
            clients = await asyncio.wait_for(asyncio.gather(*opened), 30)
            talks = (converse(ws, n) for n, ws in enumerate(clients))
            results = await asyncio.wait_for(asyncio.gather(*talks), 60)
        assert [code for _, code in results] == [1000] * CONNECTIONS
        assert sum(len(echoed) for echoed, _ in results) == CONNECTIONS * MESSAGES
        assert_nothing_left_behind(server, CONNECTIONS)


def vanish(ws: ClientConnection, how: str) -> None:
    """Drop the TCP connection without a close frame."""
    if how == "reset":
        # SO_LINGER 0 makes close() send a RST instead of a FIN.
        sock = ws.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ws.transport.abort()


@pytest.mark.parametrize("how", ["abort", "reset"])
async def test_a_client_vanishing_while_the_view_receives_ends_quietly(
    how: str,
) -> None:
    with run_server(APP) as server:
        key = new_id()
        async with connect(f"{server.ws_url}/hold?id={key}") as ws:
            assert await recv(ws) == "ready"
            vanish(ws, how)
        facts = await seen(server, key)
        assert facts["view_ended"] is True
        assert facts["closed"] is True
        assert_nothing_left_behind(server, 1)


@pytest.mark.parametrize("view", ["flood", "flood-tight"])
@pytest.mark.parametrize("how", ["abort", "reset"])
async def test_a_client_vanishing_while_the_view_sends_ends_quietly(
    how: str, view: str
) -> None:
    # "flood-tight" awaits nothing but send(): spangle must still yield to
    # the loop now and then so the server can notice the lost socket.
    with run_server(APP) as server:
        key = new_id()
        async with connect(f"{server.ws_url}/{view}?id={key}") as ws:
            await recv(ws)
            vanish(ws, how)
        facts = await seen(server, key)
        assert facts["raised"] == "WebSocketDisconnect"
        assert facts["closed"] is True
        assert_nothing_left_behind(server, 1)
