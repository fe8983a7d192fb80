"""WebSocket connection."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Coroutine
from enum import Enum
from typing import Any, NoReturn, TypeVar, overload

from multidict import MultiDict, MultiDictProxy

from spangle._internal.asgi import (
    MAX_CLOSE_REASON_BYTES,
    Message,
    Receive,
    Scope,
    Send,
    encode_headers,
    is_sendable_close_code,
)
from spangle._internal.headers import parse_cookies
from spangle._internal.query import parse_query
from spangle._internal.scope_fields import UNSET, ScopeFields
from spangle._internal.shutdown import is_shutdown_cancel, uncancel_current_task
from spangle._internal.typed import decode_as, dumps
from spangle.exceptions import CloseCode, WebSocketDisconnect, WebSocketError

__all__ = ["Connection"]

_T = TypeVar("_T")

_UNSET = UNSET
# A send into a socket whose peer vanished may complete without suspending
# (servers drop writes to a closing transport), so a view that only sends
# would never let the loop notice the loss, nor serve anyone else. Every
# this many sends on a connection, `send` yields to the event loop.
_SENDS_PER_YIELD = 256
# Where each new connection's count starts, so that connections sent the
# same messages (a fan-out to connections opened together) do not all
# yield at the same message, a loop pass or a task each in one publish.
_first_yield = itertools.count()


class _State(Enum):
    # The values complete "<call> on a connection that is ..." in errors.
    HANDSHAKE = "not accepted yet"
    OPEN = "already accepted"
    APP_CLOSED = "closed by the app"
    PEER_GONE = "closed by the client"
    DENIED = "refused before accept"
    # Closed by another task on the view's behalf (a Broadcast evicting a
    # slow subscriber, the server shutting down): the view's next call
    # raises `WebSocketDisconnect` with that code, as if the client had left.
    DROPPED = "closed on the view's behalf"


#: `receive()`'s mode for `async for`: any frame (as `None`: it is neither
#: `str` nor `bytes`), and the end of the iteration instead of
#: `WebSocketDisconnect`.
_ITERATING: Any = object()


class _NotOpen(Exception):
    """Raised by the gate that stands in for the server while not open."""


def _closed_gate(*_: object) -> NoReturn:
    raise _NotOpen


def _data_message(data: str | bytes) -> Message:
    """Make the `websocket.send` message of anything but a plain `str`."""
    if isinstance(data, bytes):
        return {"type": "websocket.send", "bytes": data}
    if isinstance(data, str):
        return {"type": "websocket.send", "text": data}
    raise TypeError(f"send() takes str or bytes, not {type(data).__name__}")


class Connection(ScopeFields):
    """WebSocket connection to communicate with a client.

    Attributes:
        state (`addict.Dict`): Any object you want to store while the connection.
        closed (`bool`): Whether connection is closed or not.
        reraise (`bool`): In ErrorHandler, if set true, reraise the exception after
            closing connection.
        headers (`CIMultiDictProxy`): The connection headers, case-insensitive
            dictionary.
        close_code (`int | None`): The close code once the connection has ended
            (sent by the app or received from the client), else `None`.
        close_reason (`str`): The close reason once the connection has ended.

    Do not use manually.
    """

    __slots__ = (
        "_receive",
        "_send",
        "_status",
        "_inbox",
        "_outbox",
        "_sends_left",
        "_owner",
        "_closer",
        "_params",
        "_cookies",
        "_max_message_bytes",
        "reraise",
        "close_code",
        "close_reason",
    )

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        max_message_bytes: int = 1024 * 1024,
    ) -> None:
        """Wrap the ASGI connection.

        Args:
            scope: The ASGI `websocket` scope.
            receive: The ASGI receive callable.
            send: The ASGI send callable.
            max_message_bytes: The largest message `receive` accepts
                (UTF-8 bytes for text); a larger one is `WebSocketError`
                1009.
        """
        self._scope = scope
        self._receive = receive
        self._send = send
        self._enter(_State.HANDSHAKE)
        self._sends_left = _SENDS_PER_YIELD - next(_first_yield) % _SENDS_PER_YIELD
        self._owner: asyncio.Task[Any] | None = None
        #: The task sending a close made on the view's behalf.
        self._closer: asyncio.Task[Any] | None = None
        self._state = _UNSET
        self._headers = _UNSET
        self._params: MultiDictProxy[str] = _UNSET
        self._url = _UNSET
        self._cookies: dict[str, str] = _UNSET
        self._max_message_bytes = max_message_bytes
        self.reraise = False
        self.close_code: int | None = None
        self.close_reason = ""

    # -- lazily parsed request data -------------------------------------

    @property
    def closed(self) -> bool:
        """Whether connection is closed or not."""
        return self._status is not _State.OPEN and self._status is not _State.HANDSHAKE

    @property
    def open(self) -> bool:
        """Whether the connection is accepted and not closed yet.

        Before `accept()` neither `open` nor `closed` is true.
        """
        return self._status is _State.OPEN

    @property
    def params(self) -> MultiDictProxy[str]:
        """The parsed query parameters used for the request."""
        if self._params is _UNSET:
            self._params = MultiDictProxy(
                MultiDict(parse_query(self._scope.get("query_string", b"")))
            )
        return self._params

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent with the handshake; read as `Request.cookies` reads them."""
        if self._cookies is _UNSET:
            # PERF: scan raw headers; the multidict may never be needed.
            sent = [v for k, v in self._scope["headers"] if k == b"cookie"]
            self._cookies = parse_cookies(b"; ".join(sent).decode("latin-1"))
        return self._cookies

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return list(self._scope.get("subprotocols", ()))

    # -- the conversation --------------------------------------------------

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
    ) -> None:
        """Allow client connection with subprotocol.

        Args:
            subprotocol: Subprotocol used for communication; one the client offered.
            headers: Extra headers for the handshake response.

        Raises:
            ValueError: The client did not offer `subprotocol`.
            RuntimeError: The connection was already accepted or closed.
        """
        self._expect(_State.HANDSHAKE, "accept()")
        if subprotocol is not None and subprotocol not in self._scope.get(
            "subprotocols", ()
        ):
            raise ValueError(f"the client did not offer subprotocol {subprotocol!r}")
        message: dict[str, Any] = {
            "type": "websocket.accept",
            "subprotocol": subprotocol,
        }
        if headers:
            message["headers"] = encode_headers(headers)
        await self._transmit(message)
        self._enter(_State.OPEN)
        # The task that accepts runs the view: a close made by any other
        # task is made on its behalf.
        self._owner = asyncio.current_task()

    async def reject(self, status_code: int = 403, text: str = "") -> None:
        """Refuse the handshake with an HTTP response.

        The response carries `text` when the server offers the ASGI
        `websocket.http.response` extension; other servers get a close before
        accept, which they answer with 403.

        Args:
            status_code: HTTP status of the denial.
            text: Body of the denial, sent as UTF-8 plain text.

        Raises:
            RuntimeError: The connection was already accepted or closed.
        """
        self._expect(_State.HANDSHAKE, "reject()")
        self._enter(_State.DENIED)
        if "websocket.http.response" not in self._scope.get("extensions", {}):
            await self._transmit({"type": "websocket.close", "code": 1000})
            return
        body = text.encode("utf-8")
        start = {
            "type": "websocket.http.response.start",
            "status": status_code,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
        await self._transmit(start)
        await self._transmit({"type": "websocket.http.response.body", "body": body})
        # Uvicorn's default (websockets-sansio) protocol marks the handshake done
        # only when the closed transport is reported, one loop turn after this
        # send; returning sooner makes it log a spurious ERROR (uvicorn PR #3138).
        await asyncio.sleep(0)

    async def close(self, status_code: int = 1000, reason: str = "") -> None:
        """Close the connection with status code.

        Closing a connection that has already ended does nothing. When
        another task than the view's closes the connection (a broadcast
        dropping a slow client, a chat moderator's view), the view's next
        `receive` or `send` raises `WebSocketDisconnect` with this code
        instead of `RuntimeError`.

        Args:
            status_code: WebSocket status code. Default: `1000` .
            reason: Close reason, at most 123 bytes in UTF-8.

        Raises:
            ValueError: The code must never be sent (1004-1006, 1015, outside
                1000-4999), or the reason is too long. Nothing is sent.
        """
        if not is_sendable_close_code(status_code):
            raise ValueError(f"close code {status_code} must not be sent")
        if len(reason.encode("utf-8")) > MAX_CLOSE_REASON_BYTES:
            raise ValueError(f"close reason is over {MAX_CLOSE_REASON_BYTES} bytes")
        if self._status is _State.HANDSHAKE:
            self._enter(_State.DENIED)
        elif self._status is _State.OPEN:
            task = asyncio.current_task()
            if task is self._owner:
                self._enter(_State.APP_CLOSED)
            else:
                self._enter(_State.DROPPED)
                self._closer = task
        else:
            return
        self.close_code = status_code = int(status_code)  # a plain int on the wire
        self.close_reason = reason
        message = {"type": "websocket.close", "code": status_code, "reason": reason}
        with contextlib.suppress(WebSocketDisconnect):
            await self._transmit(message)

    async def receive(self, mode: type[str] | type[bytes] | None = None) -> str | bytes:
        """Receive data from the client.

        Args:
            mode: Receiving type, `str` or `bytes`; `None` for whichever arrives.

        Returns:
            Data with specified type.

        Raises:
            TypeError: `mode` is neither `str`, `bytes` nor `None`.
            WebSocketError: The frame has the wrong type (1003) or is larger
                than the Api's `ws_max_message_bytes` (1009).
            WebSocketDisconnect: The client has gone away.
            RuntimeError: The connection is not open.
        """
        if mode is not str and mode is not None and mode is not bytes:
            if mode is not _ITERATING:
                raise TypeError(f"receive() mode must be str or bytes, not {mode!r}")
            if self.closed:
                raise StopAsyncIteration
        try:
            try:
                message = await self._inbox()
            except _NotOpen:
                self._refuse("receive()")
            except asyncio.CancelledError as exc:
                self._cancelled(exc)
            text = message.get("text")
            # PERF: the common case, a text frame of a safe length (a UTF-8
            # char is 1 to 4 bytes) where text is welcome, in one test.
            if (
                text.__class__ is str
                and mode is not bytes
                and len(text) * 4 <= self._max_message_bytes
            ):
                return text
            return self._unpack(message, mode)
        except WebSocketDisconnect:
            if mode is _ITERATING:
                raise StopAsyncIteration from None
            raise

    async def send(self, data: str | bytes) -> None:
        """Send data to the client.

        Args:
            data: Data sent to the client, must be `str` or `bytes` .

        Raises:
            TypeError: `data` is neither `str` nor `bytes`.
            WebSocketDisconnect: The client has gone away.
            RuntimeError: The connection is not open.
        """
        message: Message = (
            {"type": "websocket.send", "text": data}
            if data.__class__ is str
            else _data_message(data)
        )
        # PERF: `_transmit` inlined; a coroutine layer per message shows.
        try:
            await self._outbox(message)
        except OSError:
            self._peer_gone(CloseCode.ABNORMAL, "")
        except _NotOpen:
            self._refuse("send()")
        except asyncio.CancelledError as exc:
            self._cancelled(exc)
        self._sends_left -= 1
        if not self._sends_left:
            self._sends_left = _SENDS_PER_YIELD
            await asyncio.sleep(0)

    @overload
    async def receive_json(self) -> Any: ...

    @overload
    async def receive_json(self, type: type[_T]) -> _T: ...

    @overload
    async def receive_json(self, type: object) -> Any: ...

    async def receive_json(self, type: Any = None) -> Any:
        """Receive a message and decode it as JSON, into a type if given.

        With a `type`, the message is decoded and validated by msgspec (the
        `spangle[msgspec]` extra) in one step: a msgspec `Struct`, a
        dataclass, a `TypedDict` or any type msgspec understands
        (`list[int]`). Unknown fields of an object are ignored.

        Args:
            type: What the message must be; `None` for any JSON value.

        Returns:
            The decoded value (an instance of `type` when given).

        Raises:
            MessageValidationError: The message does not match `type`; its
                message names the field. Uncaught, it closes the connection
                with 1007 and that text as the reason.
            WebSocketError: The message is not valid JSON (1007).
            WebSocketDisconnect: The client has gone away.
            RuntimeError: The connection is not open.
            ImportError: A `type` is given and msgspec is not installed.
        """
        data = await self.receive()
        if type is not None:
            return decode_as(data, type)
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            # RecursionError: nesting too deep to decode is the client's doing too.
            raise WebSocketError(CloseCode.INVALID_PAYLOAD, "invalid JSON") from None

    async def send_json(self, obj: Any) -> None:
        """Send a value as JSON in a text frame.

        Dataclasses and msgspec `Struct`s are written as objects, at any
        depth.

        Args:
            obj: A JSON-serializable value.

        Raises:
            TypeError: `obj` cannot be serialized.
            ValueError: `obj` holds NaN or an infinity, which JSON cannot carry.
            WebSocketDisconnect: The client has gone away.
            RuntimeError: The connection is not open.
        """
        await self.send(dumps(obj))

    async def wait_closed(self, timeout: float | None = None) -> None:
        """Wait until a close that another task is sending has gone out.

        A close made on the view's behalf (a broadcast dropping a slow
        client, the server shutting down) is sent by that other task while
        the view goes on; the framework waits for it once the view returns,
        so that the server does not drop the close frame. Without such a
        close on its way, it returns at once.

        Args:
            timeout: Seconds to wait at most; `None` waits as long as it takes.
        """
        closer = self._closer
        if closer is not None and not closer.done():
            await asyncio.wait([closer], timeout=timeout)

    def __aiter__(self) -> Connection:
        """Iterate over incoming messages until the connection closes."""
        return self

    def __anext__(self) -> Coroutine[Any, Any, str | bytes]:
        """Return the next message, or stop when the connection has closed."""
        # PERF: hands out `receive` itself, told to end the iteration where it
        # would raise WebSocketDisconnect: a coroutine of its own would wait
        # beside it for every idle connection (about 200 bytes each).
        return self.receive(_ITERATING)

    # -- private ----------------------------------------------------------

    async def _transmit(self, message: dict[str, Any]) -> None:
        try:
            await self._send(message)
        except OSError:
            # Servers raise an OSError subclass when the peer is gone.
            self._peer_gone(CloseCode.ABNORMAL, "")

    def _unpack(
        self, message: Message, mode: type[str] | type[bytes] | None
    ) -> str | bytes:
        """Take the data out of a received message, checking type and size."""
        if message["type"] != "websocket.receive":
            self._peer_gone(message.get("code", 1005), message.get("reason") or "")
        text: str | None = message.get("text")
        if text is not None:
            self._check_size(len(text.encode("utf-8")))
            if mode is bytes:
                raise WebSocketError(
                    CloseCode.UNSUPPORTED_DATA, "expected a binary frame"
                )
            return text
        data: bytes = message.get("bytes") or b""
        self._check_size(len(data))
        if mode is str:
            raise WebSocketError(CloseCode.UNSUPPORTED_DATA, "expected a text frame")
        return data

    def _enter(self, status: _State) -> None:
        """Change the state: the one place that does, the gates with it."""
        self._status = status
        # PERF: receive() and send() call these instead of testing the state:
        # the server's callables while open, a gate that refuses otherwise.
        if status is _State.OPEN:
            self._inbox: Receive = self._receive
            self._outbox: Send = self._send
        else:
            self._inbox = self._outbox = _closed_gate

    def _peer_gone(self, code: int, reason: str) -> NoReturn:
        if self._status is _State.DROPPED:
            # The server's answer to a close made on the view's behalf:
            # the view learns the code that close sent.
            raise WebSocketDisconnect(self.close_code or code, self.close_reason)
        self._enter(_State.PEER_GONE)
        self.close_code = code
        self.close_reason = reason
        raise WebSocketDisconnect(code, reason)

    def _cancelled(self, exc: asyncio.CancelledError) -> NoReturn:
        """Turn the shutdown's cancellation of a stuck view into a disconnect."""
        if not is_shutdown_cancel(exc):
            raise exc
        uncancel_current_task()
        if not self.closed:  # the server closed it without telling the view
            self._enter(_State.PEER_GONE)
            self.close_code = CloseCode.SERVICE_RESTART
        raise WebSocketDisconnect(
            self.close_code or CloseCode.SERVICE_RESTART, self.close_reason
        ) from None

    def _check_size(self, size: int) -> None:
        if size > self._max_message_bytes:
            raise WebSocketError(
                CloseCode.MESSAGE_TOO_BIG,
                f"message of {size} bytes is over the limit of "
                f"{self._max_message_bytes}",
            )

    def _expect(self, status: _State, call: str) -> None:
        if self._status is not status:
            raise RuntimeError(f"{call} on a connection that is {self._status.value}")

    def _refuse(self, call: str) -> NoReturn:
        # `from None`: raised while the gate's `_NotOpen` is being handled.
        if self._status is _State.PEER_GONE or self._status is _State.DROPPED:
            raise WebSocketDisconnect(
                self.close_code or 1005, self.close_reason
            ) from None
        raise RuntimeError(
            f"{call} on a connection that is {self._status.value}"
        ) from None
