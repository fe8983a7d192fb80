"""The WebSocket pipeline: handshake checks, hooks, the view, close mapping."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from spangle._internal.asgi import (
    MAX_CLOSE_REASON_BYTES,
    CloseCode,
    Receive,
    Scope,
    Send,
    is_sendable_close_code,
)
from spangle.exceptions import WebSocketDisconnect, WebSocketError
from spangle.models.websocket import Connection, _State

if TYPE_CHECKING:
    from spangle._internal.compiled import Compiled
    from spangle.api import Api

logger = logging.getLogger("spangle")


async def serve_websocket(
    api: Api, compiled: Compiled, scope: Scope, receive: Receive, send: Send
) -> None:
    """Run one WebSocket connection from handshake to close.

    Args:
        api: The serving Api.
        compiled: Its serving tables.
        scope: The ASGI `websocket` scope.
        receive: The ASGI receive callable.
        send: The ASGI send callable.
    """
    if (await receive())["type"] != "websocket.connect":
        return  # the client left before the handshake reached us
    conn = Connection(scope, receive, send)
    conn._max_message_bytes = api.ws_max_message_bytes
    # Trailing-slash redirects are ignored: a handshake cannot follow one.
    found = compiled.routes.lookup(scope["path"]) or compiled.default
    on_ws = None if found is None else found[0].target.on_ws
    if on_ws is None or found is None:
        await conn.reject(404, "Not Found")
        return
    allowed, origin = api._origin_policy.allows(scope)
    if not allowed:
        # WARNING: the default log setup hides INFO, and a developer whose own
        # page is refused needs to learn which setting to change.
        logger.warning(
            "refused WebSocket handshake to %s from origin %s: not allowed by "
            "Api(allowed_origins=...)",
            scope["path"],
            origin,
        )
        await conn.reject(403, "Origin not allowed")
        return
    try:
        for hook in compiled.before_ws:
            await hook(conn)
        await on_ws(conn, **found[1])
        if not conn.closed:
            await conn.close(CloseCode.NORMAL)
    except WebSocketDisconnect:
        # Maybe another connection's disconnect (a chat fan-out): end quietly.
        if not conn.closed:
            await conn.close(CloseCode.NORMAL)
    except Exception as exc:
        await _handle_error(compiled, conn, exc)
    finally:
        for hook in compiled.after_ws:
            await hook(conn)


async def _handle_error(compiled: Compiled, conn: Connection, exc: Exception) -> None:
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
        logger.info("closed WebSocket %s: %s", conn._scope["path"], exc)
    if conn.reraise or (handler is None and not client_error):
        raise exc


async def _end(conn: Connection, exc: Exception) -> None:
    """Refuse or close the connection after an error, unless already done."""
    if conn._status is _State.HANDSHAKE:
        await conn.reject(500, "Internal Server Error")
    elif conn.closed:
        return
    elif isinstance(exc, WebSocketError) and is_sendable_close_code(exc.code):
        reason = exc.message.encode("utf-8")[:MAX_CLOSE_REASON_BYTES]
        await conn.close(exc.code, reason.decode("utf-8", "ignore"))
    else:
        await conn.close(CloseCode.INTERNAL_ERROR)
