"""Client-side helpers for real-server WebSocket tests (`websockets` + `httpx`)."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.support.server import Server, stop

TIMEOUT = 10.0


def new_id() -> str:
    """Return a fresh key for the `id` query parameter read by `ws_probe`."""
    return uuid.uuid4().hex[:12]


async def recv(ws: ClientConnection) -> str | bytes:
    """Receive one message, failing the test instead of hanging.

    Args:
        ws: The client connection.

    Returns:
        The message.
    """
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


def json_of(message: str | bytes) -> Any:
    """Decode a JSON text message.

    Args:
        message: The message; it must be text.

    Returns:
        The decoded value.
    """
    assert isinstance(message, str), f"expected a text frame, got {message!r}"
    return json.loads(message)


async def close_of(ws: ClientConnection) -> tuple[int | None, str | None]:
    """Wait until the server closes the connection.

    Args:
        ws: The client connection.

    Returns:
        The close code and reason the server sent.
    """
    with pytest.raises(ConnectionClosed):
        await recv(ws)
    return ws.close_code, ws.close_reason


async def seen(server: Server, key: str) -> dict[str, Any]:
    """Fetch what the app noted about the connection `key` (see `ws_probe`).

    The endpoint answers once the connection's after hooks have run.

    Args:
        server: The server.
        key: The connection's `id` query parameter.

    Returns:
        The facts the app noted.
    """
    async with httpx.AsyncClient(base_url=server.http_url, timeout=TIMEOUT * 2) as c:
        response = await c.get(f"/seen/{key}")
    assert response.status_code == 200, f"after hooks never ran for {key}"
    facts: dict[str, Any] = response.json()
    return facts


def assert_no_server_error(server: Server) -> None:
    """Stop the server and check that it logged no error and no traceback.

    Args:
        server: The server; it is stopped first so that its log is complete.
    """
    stop(server)
    output = server.output
    for marker in ("Traceback", "Exception in ASGI application", "ERROR"):
        assert marker not in output, output


def small_window_socket(port: int) -> socket.socket:
    """Connect a socket whose tiny receive buffer fills at once.

    A client that stops reading on it backs the server up after a few KiB.

    Args:
        port: The server's port on 127.0.0.1.

    Returns:
        The connected socket, to hand to `connect(..., sock=)`.
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    return sock


async def close_code_after_reading_everything(
    ws: ClientConnection, most: int = 20_000
) -> int | None:
    """Read what a slow client has queued, up to the server's close.

    Args:
        ws: The client connection.
        most: Messages to read at most before giving up.

    Returns:
        The close code the server sent, or `None` without a close frame.
    """
    for _ in range(most):
        try:
            await recv(ws)
        except ConnectionClosed as closed:
            return None if closed.rcvd is None else closed.rcvd.code
    raise AssertionError("the connection was never closed")
