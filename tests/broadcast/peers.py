"""Helpers for the broadcast tests: a server side driven by hand, and a wait."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from spangle import Connection

WAIT = 5.0


class FakePeer:
    """An ASGI server side for one connection whose client reads when told to."""

    def __init__(self) -> None:
        self.sent: list[MutableMapping[str, Any]] = []
        self.reading = asyncio.Event()
        self.reading.set()
        self.gone = False
        self.failure: Exception | None = None
        self.inbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        if self.gone:
            raise OSError("the client is gone")
        if self.failure is not None:
            raise self.failure
        await self.reading.wait()
        self.sent.append(message)

    async def receive(self) -> MutableMapping[str, Any]:
        return await self.inbox.get()

    @property
    def frames(self) -> list[Any]:
        return [
            m.get("text", m.get("bytes"))
            for m in self.sent
            if m["type"] == "websocket.send"
        ]

    @property
    def close_code(self) -> int | None:
        closes = [m["code"] for m in self.sent if m["type"] == "websocket.close"]
        return closes[0] if closes else None


def connection(
    peer: FakePeer, client: tuple[str, int] | None = ("127.0.0.1", 1)
) -> Connection:
    """Make a connection to `peer` at `/ws`, not accepted yet."""
    scope: dict[str, Any] = {
        "type": "websocket",
        "path": "/ws",
        "headers": [],
        "client": client,
    }
    return Connection(scope, peer.receive, peer.send)


async def open_connection(peer: FakePeer) -> Connection:
    """Make and accept a connection to `peer`."""
    conn = connection(peer)
    await conn.accept()
    return conn


async def until(predicate: Any) -> None:
    """Wait, at most `WAIT` seconds, until `predicate()` holds."""

    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)  # polling a condition, bounded by WAIT

    await asyncio.wait_for(poll(), WAIT)
