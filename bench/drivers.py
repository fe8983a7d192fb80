"""In-process ASGI drivers: hand-written receive/send callables, no sockets.

Every framework is driven by exactly this code, so whatever it costs is the
same for all of them and shows up in the raw ASGI baseline too. The scopes
mimic what uvicorn hands an app; each call gets a fresh scope because
several frameworks write into it.

What a server does per operation, and so what the baseline holds:
- HTTP: nothing but the callables. A bodiless GET's `receive()` returns at
  once and `send()` never waits, so the figure is the framework's own work
  (as "µs of framework work per request" in issue 7).
- WebSocket: the app waits in `receive()` for every frame and the event
  loop wakes it, as on a real socket: one loop pass per message.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    MutableMapping,
    Sequence,
)
from contextlib import asynccontextmanager
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

HELLO = b"Hello, world!"
ECHO_TEXT = "hello, echo"
LIFESPAN_TIMEOUT = 10.0

_ASGI = {"version": "3.0", "spec_version": "2.3"}
_HEADERS = [
    (b"host", b"127.0.0.1:8000"),
    (b"user-agent", b"bench/1.0"),
    (b"accept", b"*/*"),
]
_WS_HEADERS = [
    (b"host", b"127.0.0.1:8000"),
    (b"upgrade", b"websocket"),
    (b"connection", b"Upgrade"),
    (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    (b"sec-websocket-version", b"13"),
]


def clock() -> float:
    """Return the CPU time of this process, the clock of every timed run.

    Time that other processes take from a shared machine does not count,
    which makes in-process figures far steadier than wall-clock time.

    Returns:
        Seconds of CPU time (user and system) used so far.
    """
    return time.process_time()


def http_scope(path: str = "/") -> dict[str, Any]:
    """Make a fresh `http` scope for a GET request, as uvicorn would.

    Args:
        path: The request path.

    Returns:
        The scope.
    """
    return {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": list(_HEADERS),
        "state": {},
    }


def ws_scope(path: str = "/ws") -> dict[str, Any]:
    """Make a fresh `websocket` scope, as uvicorn would.

    Args:
        path: The request path.

    Returns:
        The scope.
    """
    return {
        "type": "websocket",
        "asgi": _ASGI,
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "ws",
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": list(_WS_HEADERS),
        "subprotocols": [],
        "extensions": {"websocket.http.response": {}},
        "state": {},
    }


# WsExchange states: the client sends its next message only when idle.
_CONNECTING = "connecting"
_IDLE = "idle"
_IN_FLIGHT = "in flight"


class HttpExchange:
    """The server side of one HTTP request: a bodiless GET, then disconnect.

    Attributes:
        status: The response status, 0 until the app starts its response.
        body: The response body received so far.
    """

    __slots__ = ("status", "body", "_requested")

    def __init__(self) -> None:
        self.status = 0
        self.body = b""
        self._requested = False

    async def receive(self) -> Message:
        """Hand the app the request body, then a disconnect."""
        if self._requested:
            return {"type": "http.disconnect"}
        self._requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(self, message: Message) -> None:
        """Record the response."""
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
        elif kind == "http.response.body":
            self.body += message.get("body", b"")


class WsExchange:
    """The server side of one WebSocket: connect, `count` texts, disconnect.

    Each message reaches the app the way a server delivers a frame: the app
    waits in `receive()` and the event loop wakes it, one loop pass per
    message. The client plays ping-pong: it sends the next message only
    once the previous one came back, so an app that reads ahead waits for
    the echo first, as it would on a real socket.

    Attributes:
        accepted: Whether the app accepted the handshake.
        echoed: How many text frames the app sent.
        last: The last text frame the app sent.
    """

    __slots__ = ("accepted", "echoed", "last", "_text", "_left", "_state", "_waiter")

    def __init__(self, count: int, text: str = ECHO_TEXT) -> None:
        self.accepted = False
        self.echoed = 0
        self.last: str | None = None
        self._text = text
        self._left = count
        self._state = _CONNECTING
        self._waiter: asyncio.Future[None] | None = None

    async def receive(self) -> Message:
        """Hand the app the handshake, the messages, then a disconnect."""
        if self._state is _CONNECTING:
            self._state = _IDLE
            return {"type": "websocket.connect"}
        loop = asyncio.get_running_loop()
        if self._state is _IN_FLIGHT:
            self._waiter = loop.create_future()
            await self._waiter
        message: Message
        if self._left:
            self._left -= 1
            self._state = _IN_FLIGHT
            message = {"type": "websocket.receive", "text": self._text}
        else:
            message = {"type": "websocket.disconnect", "code": 1000, "reason": ""}
        arrival: asyncio.Future[Message] = loop.create_future()
        loop.call_soon(arrival.set_result, message)
        return await arrival

    async def send(self, message: Message) -> None:
        """Record the accept and the echoes; an echo lets the client go on."""
        kind = message["type"]
        if kind == "websocket.send":
            self.echoed += 1
            self.last = message.get("text")
            self._state = _IDLE
            if self._waiter is not None:
                self._waiter.set_result(None)
                self._waiter = None
        elif kind == "websocket.accept":
            self.accepted = True


async def serve_http(app: ASGIApp, path: str = "/") -> HttpExchange:
    """Drive one GET request through an app.

    Args:
        app: The ASGI app.
        path: The request path.

    Returns:
        The finished exchange.
    """
    exchange = HttpExchange()
    await app(http_scope(path), exchange.receive, exchange.send)
    return exchange


async def serve_ws_echo(
    app: ASGIApp, count: int, text: str = ECHO_TEXT, path: str = "/ws"
) -> WsExchange:
    """Drive one WebSocket through an app: `count` text messages, then leave.

    Args:
        app: The ASGI app.
        count: How many messages to send.
        text: The message.
        path: The request path.

    Returns:
        The finished exchange.
    """
    exchange = WsExchange(count, text)
    await app(ws_scope(path), exchange.receive, exchange.send)
    return exchange


def check_http(exchange: HttpExchange, body: bytes = HELLO) -> None:
    """Fail loudly when an app did not answer 200 with `body`.

    Args:
        exchange: A finished exchange.
        body: The expected body.

    Raises:
        RuntimeError: The response is not the expected one.
    """
    if exchange.status != 200 or exchange.body != body:
        raise RuntimeError(f"got {exchange.status} {exchange.body[:80]!r}")


def check_echo(exchange: WsExchange, count: int, text: str = ECHO_TEXT) -> None:
    """Fail loudly when an app did not echo every message.

    Args:
        exchange: A finished exchange.
        count: How many messages were sent.
        text: The message.

    Raises:
        RuntimeError: The app did not accept or did not echo every message.
    """
    if not exchange.accepted or exchange.echoed != count or exchange.last != text:
        raise RuntimeError(
            f"accepted={exchange.accepted} echoed={exchange.echoed}/{count} "
            f"last={exchange.last!r}"
        )


async def time_http(
    app: ASGIApp, requests: int, paths: Sequence[str] = ("/",)
) -> float:
    """Time `requests` sequential GET requests.

    Args:
        app: The ASGI app.
        requests: How many requests.
        paths: The request paths, requested in turn.

    Returns:
        CPU seconds elapsed.
    """
    exchange = HttpExchange()
    start = clock()
    for path in itertools.islice(itertools.cycle(paths), requests):
        exchange = await serve_http(app, path)
    elapsed = clock() - start
    check_http(exchange)
    return elapsed


async def time_ws_echo(app: ASGIApp, messages: int) -> float:
    """Time one WebSocket echoing `messages` messages, handshake included.

    Args:
        app: The ASGI app.
        messages: How many messages.

    Returns:
        CPU seconds elapsed.
    """
    start = clock()
    exchange = await serve_ws_echo(app, messages)
    elapsed = clock() - start
    check_echo(exchange, messages)
    return elapsed


@asynccontextmanager
async def lifespan(
    app: ASGIApp, timeout: float = LIFESPAN_TIMEOUT
) -> AsyncIterator[None]:
    """Run an app's lifespan startup and shutdown around a block, as a server.

    An app that fails the lifespan scope is served anyway, as uvicorn's
    `--lifespan auto` does.

    Args:
        app: The ASGI app.
        timeout: Seconds to wait for each answer of the app.

    Yields:
        Once the app has started.
    """
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": _ASGI, "state": {}}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    supported = await _lifespan_reply(task, outbox, timeout)
    try:
        yield
    finally:
        if supported:
            await inbox.put({"type": "lifespan.shutdown"})
            await _lifespan_reply(task, outbox, timeout)
            await asyncio.wait_for(task, timeout)


async def _lifespan_reply(
    task: asyncio.Task[None], outbox: asyncio.Queue[Message], timeout: float
) -> bool:
    reply = asyncio.ensure_future(outbox.get())
    await asyncio.wait(
        {task, reply}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
    )
    if not reply.done():
        reply.cancel()
        if task.done():  # the app does not do lifespan
            return False
        raise TimeoutError("the app did not answer a lifespan event")
    kind = reply.result()["type"]
    if kind.endswith(".failed"):
        raise RuntimeError(f"lifespan: {reply.result()}")
    return True
