"""The WebSocket pipeline: handshake checks, hooks, the view, close mapping."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from spangle._internal.asgi import CloseCode, Receive, Scope, Send
from spangle.exceptions import WebSocketDisconnect, WebSocketError
from spangle.models.websocket import Connection, _State

if TYPE_CHECKING:
    from spangle._internal.compiled import Compiled
    from spangle.api import Api

logger = logging.getLogger("spangle")

_MAX_REASON = 123


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
    conn = Connection(scope, receive, send)
    conn._max_message_bytes = api.ws_max_message_bytes
    if (await receive())["type"] != "websocket.connect":
        return  # the client left before the handshake reached us
    found = compiled.routes.lookup(scope["path"]) or compiled.default
    on_ws = None if found is None else found[0].target.on_ws
    if on_ws is None or found is None:
        await conn.reject(404, "Not Found")
        return
    allowed, origin = api._origin_policy.allows(scope)
    if not allowed:
        logger.info(
            "refused WebSocket handshake to %s from origin %s: "
            "not in Api(allowed_origins=...)",
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
        pass
    except Exception as exc:
        await _handle_error(compiled, conn, exc)
    finally:
        for hook in compiled.after_ws:
            await hook(conn)


async def _handle_error(compiled: Compiled, conn: Connection, exc: Exception) -> None:
    handler: Any = compiled.errors.find(type(exc))
    on_ws_error = getattr(handler, "on_ws_error", None)
    try:
        if on_ws_error is not None:
            await on_ws_error(conn, exc)
    except WebSocketDisconnect:
        pass
    finally:
        await _end(conn, exc)
    client_error = isinstance(exc, WebSocketError)
    if client_error:
        logger.info("closed WebSocket %s: %s", conn._scope["path"], exc)
    if conn.reraise or (on_ws_error is None and not client_error):
        raise exc


async def _end(conn: Connection, exc: Exception) -> None:
    if conn._status is _State.HANDSHAKE:
        await conn.reject(500, "Internal Server Error")
    elif not conn.closed:
        if isinstance(exc, WebSocketError):
            reason = exc.message.encode("utf-8")[:_MAX_REASON].decode("utf-8", "ignore")
            await conn.close(exc.code, reason)
        else:
            await conn.close(CloseCode.INTERNAL_ERROR)
