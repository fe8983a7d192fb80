"""The fan-out apps in-process: N connections over sockets that cost nothing.

Every socket's `send` is a coroutine that returns at once, as a server's does
while the client keeps up; one socket, the sender, receives a text message
whenever the driver asks for a broadcast. `drive_fanout` opens the
connections, checks every one receives a broadcast, then asks for
`broadcasts` more, each once the previous one reached every connection. The
instruction counter (`bench.instructions`, kind `fanout`) divides the
difference between N broadcasts and none by the deliveries.
"""

from __future__ import annotations

import asyncio

from bench.apps.fanout import PATH
from bench.drivers import ASGIApp, Message, ws_scope

CONNECTIONS = 200
SETTLE_TRIES = 100


class _Counter:
    """Deliveries of the current broadcast, and the event of the last one."""

    __slots__ = ("count", "expected", "done")

    def __init__(self) -> None:
        self.count = 0
        self.expected = 0
        self.done = asyncio.Event()

    def arm(self, expected: int) -> None:
        self.count, self.expected = 0, expected
        self.done.clear()


class _Socket:
    """The server side of one client that listens (or sends, for the sender)."""

    __slots__ = ("_counter", "_connected", "_release", "inbox", "accepted")

    def __init__(self, counter: _Counter, release: asyncio.Future[Message]) -> None:
        self._counter = counter
        self._connected = False
        self._release = release
        self.inbox: asyncio.Queue[Message] | None = None
        self.accepted = False

    async def receive(self) -> Message:
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        if self.inbox is not None:
            waiting = asyncio.ensure_future(self.inbox.get())
            done, _ = await asyncio.wait(
                [waiting, self._release], return_when=asyncio.FIRST_COMPLETED
            )
            if waiting in done:
                return waiting.result()
            waiting.cancel()
        return await self._release

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.send":
            counter = self._counter
            counter.count += 1
            if counter.count == counter.expected:
                counter.done.set()
        elif kind == "websocket.accept":
            self.accepted = True


async def drive_fanout(
    app: ASGIApp, broadcasts: int, connections: int = CONNECTIONS
) -> int:
    """Open the connections, then have `broadcasts` broadcasts delivered.

    Args:
        app: A fan-out app (its lifespan already started).
        broadcasts: Broadcasts after the warm-up.
        connections: Connections, the sender included.

    Returns:
        The deliveries made after the warm-up.

    Raises:
        RuntimeError: Not every connection received the broadcasts.
    """
    loop = asyncio.get_running_loop()
    counter = _Counter()
    release: asyncio.Future[Message] = loop.create_future()
    sockets = [_Socket(counter, release) for _ in range(connections)]
    sender = sockets[0]
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    sender.inbox = inbox
    tasks = [
        asyncio.ensure_future(app(ws_scope(PATH), s.receive, s.send)) for s in sockets
    ]
    text = {"type": "websocket.receive", "text": "x" * 100}

    async def one() -> bool:
        counter.arm(connections)
        inbox.put_nowait(text)
        try:
            await asyncio.wait_for(counter.done.wait(), 1.0)
        except asyncio.TimeoutError:
            return False
        return True

    for _ in range(SETTLE_TRIES):  # connections join right after accept
        if all(s.accepted for s in sockets) and await one():
            break
        await asyncio.sleep(0.01)
    else:
        raise RuntimeError("the connections do not all receive the broadcasts")
    for _ in range(broadcasts):
        if not await one():
            raise RuntimeError("a broadcast did not reach every connection")
    release.set_result({"type": "websocket.disconnect", "code": 1000})
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)
    return broadcasts * connections
