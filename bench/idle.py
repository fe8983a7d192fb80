"""Idle WebSockets in-process, for the memory figure: accept, then wait.

Like `bench.drivers`, every framework is driven by exactly this code.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from dataclasses import dataclass

from bench.drivers import LIFESPAN_TIMEOUT, ASGIApp, Message, ws_scope


@dataclass
class IdleResult:
    """Memory held by idle connections.

    Attributes:
        connections: How many connections were held.
        total_bytes: Traced memory they held together.
    """

    connections: int
    total_bytes: int

    @property
    def per_connection(self) -> float:
        """Bytes per connection."""
        return self.total_bytes / self.connections


class _Idle:
    """Counts connections that are accepted and waiting in `receive()`."""

    __slots__ = ("accepted", "waiting", "release")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.accepted = 0
        self.waiting = 0
        self.release: asyncio.Future[Message] = loop.create_future()


class IdleSocket:
    """The server side of a WebSocket that connects, then stays silent."""

    __slots__ = ("_idle", "_connected")

    def __init__(self, idle: _Idle) -> None:
        self._idle = idle
        self._connected = False

    async def receive(self) -> Message:
        """Hand the app the handshake, then wait until released."""
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        self._idle.waiting += 1
        # One shared future: a per-socket waiter would be the driver's cost,
        # not the framework's, and would only blur the comparison.
        return await self._idle.release

    async def send(self, message: Message) -> None:
        """Count accepts."""
        if message["type"] == "websocket.accept":
            self._idle.accepted += 1


async def measure_idle(app: ASGIApp, connections: int) -> IdleResult:
    """Measure the memory of WebSockets accepted and idle in `receive()`.

    Everything allocated from before the first scope until all connections
    wait counts: scopes, tasks, the framework's objects.

    Args:
        app: The ASGI app.
        connections: How many connections to hold at once.

    Returns:
        The traced memory they held.

    Raises:
        RuntimeError: Not every connection was accepted and idle in time.
    """
    await _hold(app, 1, traced=False)  # warm lazy caches outside the trace
    return await _hold(app, connections, traced=True)


async def _hold(app: ASGIApp, connections: int, traced: bool) -> IdleResult:
    idle = _Idle(asyncio.get_running_loop())
    gc.collect()
    if traced:
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    sockets = [IdleSocket(idle) for _ in range(connections)]
    tasks = [asyncio.ensure_future(app(ws_scope(), s.receive, s.send)) for s in sockets]
    for _ in range(1000):
        if idle.waiting >= connections:
            break
        await asyncio.sleep(0)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    if idle.waiting < connections or idle.accepted < connections:
        raise RuntimeError(f"{idle.accepted} accepted, {idle.waiting} idle")
    idle.release.set_result({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(asyncio.gather(*tasks), LIFESPAN_TIMEOUT)
    return IdleResult(connections, held)
