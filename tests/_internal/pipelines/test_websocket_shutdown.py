"""The lifespan shutdown closes open WebSocket connections (1012) first.

These tests play the server by hand with queues, to control what a client
does: answer the close, or never read (a `send` that never returns).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from spangle import Api, Connection
from spangle._internal.asgi import Message
from spangle.exceptions import WebSocketDisconnect
from spangle.testing import websocket_scope

TIMEOUT = 5.0


class FakeSocket:
    """The server side of one WebSocket: what the app sent, what it receives."""

    def __init__(self, *, reads: bool = True) -> None:
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.sent: asyncio.Queue[Message] = asyncio.Queue()
        self.reads = reads
        self.inbox.put_nowait({"type": "websocket.connect"})

    async def receive(self) -> Message:
        return await self.inbox.get()

    async def send(self, message: Message) -> None:
        if message["type"] == "websocket.send" and not self.reads:
            await asyncio.Event().wait()  # a client that never reads
        await self.sent.put(message)
        if message["type"] == "websocket.close" and self.reads:
            # A normal client answers the close, and the server reports it.
            code = message.get("code", 1000)
            await self.inbox.put({"type": "websocket.disconnect", "code": code})

    async def next_sent(self) -> Message:
        return await asyncio.wait_for(self.sent.get(), TIMEOUT)


class Served:
    """An Api's lifespan and connections, driven by hand."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.lifespan_in: asyncio.Queue[Message] = asyncio.Queue()
        self.lifespan_out: asyncio.Queue[Message] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.lifespan = asyncio.create_task(
            self.api(scope, self.lifespan_in.get, self.lifespan_out.put)
        )
        await self.lifespan_in.put({"type": "lifespan.startup"})
        assert (await self._lifespan_event())["type"] == "lifespan.startup.complete"

    async def connect(self, socket: FakeSocket) -> asyncio.Task[None]:
        scope = websocket_scope("/ws")
        task = asyncio.create_task(self.api(scope, socket.receive, socket.send))
        self.tasks.append(task)
        assert (await socket.next_sent())["type"] == "websocket.accept"
        return task

    async def shut_down(self) -> Message:
        await self.lifespan_in.put({"type": "lifespan.shutdown"})
        return await self._lifespan_event()

    async def _lifespan_event(self) -> Message:
        return await asyncio.wait_for(self.lifespan_out.get(), TIMEOUT)


def make_api(view: Callable[[Connection], Awaitable[None]], events: list[Any]) -> Api:
    api = Api(static_dir=None, templates_dir=None, ws_shutdown_timeout=0.2)

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await view(conn)

    @api.after_request
    class After:
        async def on_ws(self, conn: Connection) -> None:
            events.append(("after", conn.close_code))

    @api.on_stop
    def stop() -> None:
        events.append("stop")

    return api


async def _receive_until_disconnect(conn: Connection, events: list[Any]) -> None:
    try:
        await conn.receive()
    except WebSocketDisconnect as exc:
        events.append(("view", exc.code, exc.reason))


async def _send_until_disconnect(conn: Connection, events: list[Any]) -> None:
    try:
        while True:
            await conn.send("x" * 1000)
    except WebSocketDisconnect as exc:
        events.append(("view", exc.code, exc.reason))


async def test_shutdown_closes_open_connections_with_1012_before_stop_functions() -> (
    None
):
    events: list[Any] = []
    served = Served(make_api(lambda c: _receive_until_disconnect(c, events), events))
    await served.start()
    socket = FakeSocket()
    task = await served.connect(socket)
    assert (await served.shut_down())["type"] == "lifespan.shutdown.complete"
    close = await socket.next_sent()
    assert (close["type"], close["code"]) == ("websocket.close", 1012)
    assert task.done() and task.exception() is None
    assert events == [("view", 1012, "server shutdown"), ("after", 1012), "stop"]


async def test_a_view_stuck_sending_to_a_client_that_never_reads_sees_a_disconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events: list[Any] = []
    served = Served(make_api(lambda c: _send_until_disconnect(c, events), events))
    await served.start()
    task = await served.connect(FakeSocket(reads=False))
    with caplog.at_level(logging.INFO, logger="spangle"):
        assert (await served.shut_down())["type"] == "lifespan.shutdown.complete"
    assert task.done() and task.exception() is None
    assert events == [("view", 1012, "server shutdown"), ("after", 1012), "stop"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "cancelled 1 WebSocket view(s) still running 0.2 s after the shutdown "
        "closed their connections"
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_a_view_waiting_on_something_else_is_cancelled_quietly() -> None:
    events: list[Any] = []

    async def wait_forever(conn: Connection) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("view cancelled")
            raise

    served = Served(make_api(wait_forever, events))
    await served.start()
    socket = FakeSocket()
    task = await served.connect(socket)
    assert (await served.shut_down())["type"] == "lifespan.shutdown.complete"
    assert task.done() and task.exception() is None
    assert events == ["view cancelled", ("after", 1012), "stop"]
    assert (await socket.next_sent())["code"] == 1012


async def test_a_shutdown_without_open_connections_runs_the_stop_functions() -> None:
    events: list[Any] = []
    served = Served(make_api(lambda c: _receive_until_disconnect(c, events), events))
    await served.start()
    socket = FakeSocket()
    task = await served.connect(socket)
    await socket.inbox.put({"type": "websocket.disconnect", "code": 1001})
    await asyncio.wait_for(task, TIMEOUT)
    assert (await served.shut_down())["type"] == "lifespan.shutdown.complete"
    assert events == [("view", 1001, ""), ("after", 1001), "stop"]


async def test_a_view_waiting_for_a_client_that_never_answers_sees_a_disconnect() -> (
    None
):
    events: list[Any] = []
    served = Served(make_api(lambda c: _receive_until_disconnect(c, events), events))
    await served.start()
    socket = FakeSocket(reads=False)  # it gets the close, never answers it
    task = await served.connect(socket)
    assert (await served.shut_down())["type"] == "lifespan.shutdown.complete"
    assert task.done() and task.exception() is None
    assert events == [("view", 1012, "server shutdown"), ("after", 1012), "stop"]


async def test_a_handshake_still_in_a_hook_at_shutdown_is_refused_with_503() -> None:
    api = Api(static_dir=None, templates_dir=None, ws_shutdown_timeout=0.1)
    entered = asyncio.Event()

    @api.before_request
    class Slow:
        async def on_ws(self, conn: Connection) -> None:
            entered.set()
            await asyncio.Event().wait()

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()

    served = Served(api)
    await served.start()
    socket = FakeSocket()
    scope = websocket_scope("/ws")
    scope["extensions"] = {"websocket.http.response": {}}
    task = asyncio.create_task(api(scope, socket.receive, socket.send))
    await asyncio.wait_for(entered.wait(), TIMEOUT)
    assert (await served.shut_down())["type"] == "lifespan.shutdown.complete"
    start = await socket.next_sent()
    assert (start["type"], start["status"]) == ("websocket.http.response.start", 503)
    await asyncio.wait_for(task, TIMEOUT)


async def test_a_cancellation_by_the_server_closes_with_1001_and_propagates() -> None:
    events: list[Any] = []
    served = Served(make_api(lambda c: _receive_until_disconnect(c, events), events))
    await served.start()
    socket = FakeSocket()
    task = await served.connect(socket)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events == [("after", 1001)]
    assert (await socket.next_sent())["code"] == 1001


async def test_a_view_ends_only_once_a_close_made_for_it_was_sent() -> None:
    events: list[Any] = []
    close_started = asyncio.Event()
    release = asyncio.Event()
    closers: list[asyncio.Task[None]] = []

    async def view(conn: Connection) -> None:
        closers.append(asyncio.create_task(conn.close(1013, "too slow")))
        await close_started.wait()  # the close waits on a slow socket
        release.set()  # and is sent once the view has returned

    served = Served(make_api(view, events))
    await served.start()
    socket = FakeSocket()

    async def slow_send(message: Message) -> None:
        if message["type"] == "websocket.close":
            close_started.set()
            await release.wait()
            await asyncio.sleep(0)  # one turn later than the view's return
            events.append("close sent")
        await FakeSocket.send(socket, message)

    socket.send = slow_send  # type: ignore[method-assign]
    task = await served.connect(socket)
    await asyncio.wait_for(task, TIMEOUT)
    assert events == ["close sent", ("after", 1013)]


async def test_uvicorns_graceful_timeout_cancellation_is_a_1012_disconnect() -> None:
    events: list[Any] = []
    served = Served(make_api(lambda c: _send_until_disconnect(c, events), events))
    await served.start()
    task = await served.connect(FakeSocket(reads=False))
    task.cancel("Task cancelled, timeout graceful shutdown exceeded")
    await asyncio.wait_for(task, TIMEOUT)
    assert events == [("view", 1012, ""), ("after", 1012)]
