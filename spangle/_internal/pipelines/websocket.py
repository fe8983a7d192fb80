"""The WebSocket pipeline: handshake checks, hooks, the view, close mapping.

It also keeps each Api's open connections, to close them at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from spangle._internal.asgi import (
    MAX_CLOSE_REASON_BYTES,
    Receive,
    Scope,
    Send,
    is_sendable_close_code,
)
from spangle._internal.shutdown import (
    SHUTDOWN_CANCEL,
    is_shutdown_cancel,
    uncancel_current_task,
)
from spangle.exceptions import CloseCode, WebSocketDisconnect, WebSocketError
from spangle.models.websocket import Connection

if TYPE_CHECKING:
    from spangle._internal.compiled import Compiled

logger = logging.getLogger("spangle")

# Seconds a view cancelled at the end of the shutdown timeout may take to
# run its after-hooks and return.
_CANCEL_GRACE = 1.0
_SHUTDOWN_REASON = "server shutdown"
# Seconds a view that ended waits for a close another task is still sending
# for it (to a client slow to read), as long as Broadcast's default
# `close_timeout`: returning sooner lets the server drop the close frame.
_CLOSER_WAIT = 30.0


class OpenConnections:
    """The WebSocket connections an Api is serving, with their views' tasks."""

    __slots__ = ("_views", "__weakref__")

    def __init__(self) -> None:
        self._views: dict[Connection, asyncio.Task[Any]] = {}
        _EVERY.add(self)

    def __len__(self) -> int:
        return len(self._views)

    def add(self, conn: Connection, view: asyncio.Task[Any]) -> None:
        """Keep a connection, served by the task `view`, until `remove`."""
        self._views[conn] = view

    def remove(self, conn: Connection) -> None:
        """Forget a connection whose view has ended."""
        del self._views[conn]

    def items(self) -> list[tuple[Connection, asyncio.Task[Any]]]:
        """Return the open connections and their views' tasks; a snapshot."""
        return list(self._views.items())

    async def close_all(self, code: int, timeout: float) -> None:
        """Close every open connection and wait for its view, within `timeout`.

        Each view sees `WebSocketDisconnect` carrying `code` in its next
        `receive`/`send`. A view still running after `timeout` (its client
        does not read, so the close frame cannot be written; or it waits on
        something else) is cancelled, as `WebSocketDisconnect` where it waits
        on the connection, and given one more second to run its after-hooks.

        Args:
            code: The close code, 1012 (service restart) for a shutdown.
            timeout: Seconds to wait for the views.
        """
        await close_views(self.items(), code, timeout)


#: Every Api's open connections, for `spangle run` to close at shutdown.
_EVERY: weakref.WeakSet[OpenConnections] = weakref.WeakSet()


async def close_every_connection(code: int, timeout: float) -> None:
    """Close the open WebSocket connections of every Api in this process.

    Args:
        code: The close code.
        timeout: Seconds to wait for the views.
    """
    views = [item for open_ in list(_EVERY) for item in open_.items()]
    await close_views(views, code, timeout)


async def close_views(
    views: Iterable[tuple[Connection, asyncio.Task[Any]]], code: int, timeout: float
) -> None:
    """Close connections and wait for their views (see `close_all`).

    Args:
        views: Connections and the tasks running their views.
        code: The close code.
        timeout: Seconds to wait for the views.
    """
    tasks = {task: conn for conn, task in views if not task.done()}
    if not tasks:
        return
    logger.info(
        "closing %d WebSocket connection(s) with %d: the server is shutting down",
        len(tasks),
        code,
    )
    closes = [
        asyncio.create_task(conn.close(code, _SHUTDOWN_REASON))
        for conn in tasks.values()
        if conn.open
    ]
    _, late = await asyncio.wait([*tasks, *closes], timeout=timeout)
    for task in late:
        # Closes stuck on a client that does not read end with their views.
        task.cancel(SHUTDOWN_CANCEL)
    stuck = [task for task in late if task in tasks]
    if stuck:
        logger.warning(
            "cancelled %d WebSocket view(s) still running %.3g s after the "
            "shutdown closed their connections",
            len(stuck),
            timeout,
        )
    if late:
        await asyncio.wait(late, timeout=_CANCEL_GRACE)


async def serve_websocket(
    compiled: Compiled, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run one WebSocket connection from handshake to close.

    Args:
        compiled: The serving tables of the Api.
        scope: The ASGI `websocket` scope.
        receive: The ASGI receive callable.
        send: The ASGI send callable.
    """
    if (await receive())["type"] != "websocket.connect":
        return  # the client left before the handshake reached us
    conn = Connection(
        scope, receive, send, max_message_bytes=compiled.ws_max_message_bytes
    )
    # Trailing-slash redirects are ignored: a handshake cannot follow one.
    found = compiled.routes.lookup(scope["path"]) or compiled.default
    on_ws = None if found is None else found[0].target.on_ws
    if on_ws is None or found is None:
        await conn.reject(404, "Not Found")
        return
    if not _origin_allowed(compiled, scope):
        await conn.reject(403, "Origin not allowed")
        return
    # PERF: registered here rather than in a wrapping coroutine, whose frame
    # every idle connection would hold.
    open_connections = compiled.open_connections
    open_connections.add(conn, asyncio.current_task())  # type: ignore[arg-type]
    try:
        try:
            for hook in compiled.before_ws:
                await hook(conn)
            await on_ws(conn, **found[1])
        except WebSocketDisconnect:
            pass  # maybe another connection's (a chat fan-out): end quietly
        if not conn.closed:
            await conn.close(CloseCode.NORMAL)
    except asyncio.CancelledError as exc:
        await _cancelled(conn, exc)
    except Exception as exc:
        await _handle_error(compiled, scope, conn, exc)
    finally:
        try:
            await _wait_for_closer(conn)
            for hook in compiled.after_ws:
                await hook(conn)
        finally:
            open_connections.remove(conn)


def _origin_allowed(compiled: Compiled, scope: Scope) -> bool:
    """Check the handshake's `Origin`, and say why when it is refused."""
    allowed, origin = compiled.origin_policy.allows(scope)
    if not allowed:
        # WARNING: the default log setup hides INFO, and a developer whose own
        # page is refused needs to learn which setting to change.
        logger.warning(
            "refused WebSocket handshake to %s from origin %s: not allowed by "
            "Api(allowed_origins=...)",
            scope["path"],
            origin,
        )
    return allowed


async def _cancelled(conn: Connection, exc: asyncio.CancelledError) -> None:
    """End a connection whose view was cancelled; re-raise unless at shutdown."""
    if not is_shutdown_cancel(exc):
        # The server dropped the connection (hypercorn cancels every
        # connection when its graceful timeout ends): tell the client.
        await _end_on_cancel(conn)
        raise exc
    uncancel_current_task()  # the shutdown already logged it
    await _end_at_shutdown(conn)


async def _wait_for_closer(conn: Connection) -> None:
    try:
        await conn.wait_closed(_CLOSER_WAIT)
    except asyncio.CancelledError as exc:
        if not is_shutdown_cancel(exc):
            raise
        uncancel_current_task()  # the shutdown stops the closer too


async def _end_on_cancel(conn: Connection) -> None:
    """Close with 1001 (going away) a connection whose server cancelled it."""
    if conn.open:
        # Bounded: a client that does not read would hold the cancellation.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(conn.close(CloseCode.GOING_AWAY), _CANCEL_GRACE)


async def _end_at_shutdown(conn: Connection) -> None:
    """Answer a connection whose view the shutdown cancelled, unless done."""
    if conn.open:
        await conn.close(CloseCode.SERVICE_RESTART, _SHUTDOWN_REASON)
    elif not conn.closed:
        await conn.reject(503, "Service Unavailable")


async def _handle_error(
    compiled: Compiled, scope: Scope, conn: Connection, exc: Exception
) -> None:
    handler: Any = compiled.ws_errors.find(type(exc))
    try:
        if handler is not None:
            await handler.on_ws_error(conn, exc)
    except WebSocketDisconnect:
        pass
    finally:
        await _end(conn, exc)
    client_error = isinstance(exc, WebSocketError)
    if client_error:
        logger.info("closed WebSocket %s: %s", scope["path"], exc)
    if conn.reraise or (handler is None and not client_error):
        raise exc


async def _end(conn: Connection, exc: Exception) -> None:
    """Refuse or close the connection after an error, unless already done."""
    if conn.closed:
        return
    if not conn.open:
        await conn.reject(500, "Internal Server Error")
    elif isinstance(exc, WebSocketError) and is_sendable_close_code(exc.code):
        reason = exc.message.encode("utf-8")[:MAX_CLOSE_REASON_BYTES]
        await conn.close(exc.code, reason.decode("utf-8", "ignore"))
    else:
        await conn.close(CloseCode.INTERNAL_ERROR)
