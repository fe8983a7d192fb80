"""The in-process WebSocket test client, and the scope of a test handshake.

The app runs in a task of its own and talks to the client through two
queues, as a server would through a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from spangle._internal.asgi import ASGIApp, Message

__all__ = [
    "AsyncWebsocketClient",
    "Headers",
    "Params",
    "WebSocketClosed",
    "WebSocketRejected",
    "websocket_scope",
]

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]
"""Query parameters: a mapping or `(name, value)` pairs."""
Headers = Mapping[str, str] | Sequence[tuple[str, str]]
"""Request headers: a mapping or `(name, value)` pairs (repeats kept)."""

_APP_DONE: Message = {"type": "spangle.test.app_done"}


class WebSocketRejected(RuntimeError):
    """The app refused the handshake (a `RuntimeError`, as in spangle 0.11).

    Attributes:
        status_code (`int`): The HTTP status of the denial (403 for a close
            before accept).
        text (`str`): The body of the denial.
    """

    def __init__(self, status_code: int, text: str = "") -> None:
        """Make the error.

        Args:
            status_code: HTTP status of the denial.
            text: Its body.
        """
        self.status_code = status_code
        self.text = text
        super().__init__(
            f"handshake refused with HTTP {status_code}: {text}".rstrip(": ")
        )


class WebSocketClosed(RuntimeError):
    """The connection is closed; nothing more can be received or sent.

    Attributes:
        code (`int`): The close code.
        reason (`str`): The close reason.
    """

    def __init__(self, code: int, reason: str = "") -> None:
        """Make the error.

        Args:
            code: The close code.
            reason: The close reason.
        """
        self.code = code
        self.reason = reason
        super().__init__(f"connection closed with code {code} {reason}".rstrip())


def websocket_scope(
    path: str,
    subprotocols: list[str] | None = None,
    params: Params | None = None,
    headers: Headers | None = None,
    cookies: Mapping[str, str] | None = None,
    *,
    host: str = "www.example.com",
    client: tuple[str, int] = ("127.0.0.1", 123),
) -> dict[str, Any]:
    """Build the ASGI scope of a WebSocket handshake, as a server would.

    `AsyncHttpTestClient.ws_connect` uses it; build one yourself to drive
    an app with `AsyncWebsocketClient(app, scope, timeout)` directly.

    Args:
        path: The request path, optionally with a query string.
        subprotocols: Subprotocols to offer.
        params: Query parameters to add, a mapping or pairs.
        headers: Extra request headers, a mapping or pairs (repeats kept).
        cookies: Cookies to send, in one `Cookie` header.
        host: The `Host` header unless `headers` has one.
        client: The client address.

    Returns:
        The `websocket` scope; it offers the `websocket.http.response`
        extension, so a refusal carries its status and body.
    """
    path, _, query = path.partition("?")
    if params:
        query = "&".join(filter(None, [query, urlencode(params, doseq=True)]))
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    raw = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in pairs
    ]
    if all(name != b"host" for name, _ in raw):
        raw.insert(0, (b"host", host.encode("latin-1")))
    if cookies:
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        raw.append((b"cookie", cookie.encode("latin-1")))
    if subprotocols:
        raw.append(
            (b"sec-websocket-protocol", ", ".join(subprotocols).encode("latin-1"))
        )
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "server": (host, 80),
        "client": client,
        "root_path": "",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "query_string": query.encode("latin-1"),
        "headers": raw,
        "subprotocols": list(subprotocols or []),
        "extensions": {"websocket.http.response": {}},
        "state": {},
    }


class AsyncWebsocketClient:
    """A WebSocket client talking to an app in-process.

    Attributes:
        host (`str`): The host of the handshake.
        path (`str`): The endpoint's path.
        headers (`CIMultiDictProxy`): The handshake's request headers.
        params (`MultiDictProxy`): The handshake's query parameters.
        timeout (`float | None`): Seconds to wait for each message.
        accepted_subprotocol (`str | None`): The subprotocol the app accepted.
        response_headers (`CIMultiDictProxy`): Extra headers of the handshake
            response.
        close_code (`int | None`): The close code once the connection has ended:
            the app's when it closed first, else the client's.
        close_reason (`str`): The close reason once the connection has ended.
    """

    def __init__(
        self,
        app: ASGIApp,
        scope: dict[str, Any],
        timeout: float | None,
        raise_app_exceptions: bool = True,
    ) -> None:
        """Prepare a connection; it opens on `async with` or `connect()`.

        Args:
            app: The ASGI app.
            scope: The handshake scope.
            timeout: Seconds to wait for each message; `None` forever.
            raise_app_exceptions: Re-raise what escaped the app when the
                connection ends.
        """
        self._app = app
        self._scope = scope
        self._timeout = timeout
        self._raise_app_exceptions = raise_app_exceptions
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._to_client: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._client_gone = False
        self._disconnect: Message | None = None
        self.accepted_subprotocol: str | None = None
        self.response_headers: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())
        self.close_code: int | None = None
        self.close_reason = ""

    @property
    def host(self) -> str:
        """The host of the handshake (its `Host` header)."""
        return self.headers.get("host", "")

    @property
    def path(self) -> str:
        """The endpoint's path."""
        return str(self._scope.get("path", ""))

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The handshake's request headers; repeated ones kept."""
        return CIMultiDictProxy(
            CIMultiDict(
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in self._scope.get("headers", ())
            )
        )

    @property
    def params(self) -> MultiDictProxy[str]:
        """The handshake's query parameters."""
        raw = self._scope.get("query_string", b"").decode("latin-1")
        return MultiDictProxy(MultiDict(parse_qsl(raw, keep_blank_values=True)))

    @property
    def timeout(self) -> float | None:
        """Seconds to wait for each message; `None` waits forever."""
        return self._timeout

    async def __aenter__(self) -> AsyncWebsocketClient:
        """Run the handshake.

        Returns:
            The open client.

        Raises:
            WebSocketRejected: The app refused the handshake; an exception
                that escaped the app is its `__cause__`.
            asyncio.TimeoutError: The app did not answer in time.
        """
        await self.connect()
        return self

    async def connect(self, path: str | None = None) -> None:
        """Run the handshake.

        Args:
            path: Another path to connect to, instead of the prepared one.

        Raises:
            WebSocketRejected: The app refused the handshake; an exception
                that escaped the app is its `__cause__`.
            asyncio.TimeoutError: The app did not answer in time.
        """
        if path is not None:
            path, _, query = path.partition("?")
            self._scope = {
                **self._scope,
                "path": path,
                "raw_path": path.encode("utf-8"),
                "query_string": query.encode("latin-1"),
            }
        self._task = asyncio.create_task(self._run_app())
        self._to_app.put_nowait({"type": "websocket.connect"})
        try:
            message = await self._next()
        except BaseException:
            await self._cancel()
            raise
        if message["type"] == "websocket.accept":
            self.accepted_subprotocol = message.get("subprotocol")
            self.response_headers = CIMultiDictProxy(
                CIMultiDict(
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", ())
                )
            )
            return
        raise await self._refusal(message)

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the connection if still open and wait for the app to end.

        Raises:
            Exception: Whatever escaped the app.
        """
        await self.close()
        await self._finish()

    async def send(self, data: str | bytes) -> None:
        """Send a text (`str`) or binary (`bytes`) message.

        Args:
            data: The message.

        Raises:
            WebSocketClosed: The client has closed the connection.
            TypeError: `data` is neither `str` nor `bytes`.
        """
        if self._client_gone:
            raise WebSocketClosed(self.close_code or 1000, self.close_reason)
        if isinstance(data, str):
            self._to_app.put_nowait({"type": "websocket.receive", "text": data})
        elif isinstance(data, bytes):
            self._to_app.put_nowait({"type": "websocket.receive", "bytes": data})
        else:
            raise TypeError(f"send() takes str or bytes, not {type(data).__name__}")

    async def receive(self, mode: type[str] | type[bytes] | None = None) -> Any:
        """Receive the next message.

        Args:
            mode: `str` or `bytes` to require that frame type; `None` for either.

        Returns:
            The message, `str` for text frames and `bytes` for binary ones.

        Raises:
            WebSocketClosed: The connection has ended (carries the close code).
            TypeError: `mode` is not `str`, `bytes` or `None`, or the frame is
                not of type `mode`.
            asyncio.TimeoutError: Nothing arrived in time.
        """
        if mode is not None and mode is not str and mode is not bytes:
            raise TypeError(f"receive() mode must be str or bytes, not {mode!r}")
        if self.close_code is not None:
            raise WebSocketClosed(self.close_code, self.close_reason)
        message = await self._next()
        if message["type"] != "websocket.send":
            self._record_close(message)
            raise WebSocketClosed(self.close_code or 1006, self.close_reason)
        data = message.get("text")
        if data is None:
            data = message.get("bytes") or b""
        if mode is not None and not isinstance(data, mode):
            kind = "text" if isinstance(data, str) else "binary"
            raise TypeError(f"expected {mode.__name__}, got a {kind} frame")
        return data

    async def receive_json(self) -> Any:
        """Receive a message and decode it as JSON.

        Returns:
            The decoded value.

        Raises:
            WebSocketClosed: The connection has ended.
            ValueError: The message is not JSON.
        """
        return json.loads(await self.receive())

    async def send_json(self, obj: Any) -> None:
        """Send a value as JSON in a text frame.

        Args:
            obj: A JSON-serializable value.

        Raises:
            WebSocketClosed: The client has closed the connection.
        """
        await self.send(json.dumps(obj))

    async def close(self, status_code: int = 1000, reason: str = "") -> None:
        """Close the connection from the client side; a second call does nothing.

        If the app had already closed it, `close_code` keeps the app's code.

        Args:
            status_code: The close code.
            reason: The close reason.
        """
        if self._client_gone:
            return
        self._client_gone = True
        self._drain()
        if self.close_code is None:
            self.close_code = status_code
            self.close_reason = reason
        self._to_app.put_nowait(
            {"type": "websocket.disconnect", "code": status_code, "reason": reason}
        )

    # -- the app side ---------------------------------------------------------

    async def _run_app(self) -> None:
        try:
            await self._app(self._scope, self._app_receive, self._app_send)
        finally:
            self._to_client.put_nowait(_APP_DONE)

    async def _app_receive(self) -> Message:
        # Like a server, keep answering "disconnect" once the client has gone.
        if self._disconnect is not None:
            return self._disconnect
        message = await self._to_app.get()
        if message["type"] == "websocket.disconnect":
            self._disconnect = message
        return message

    async def _app_send(self, message: Message) -> None:
        if self._client_gone and message["type"] == "websocket.send":
            # As a server does when the peer is gone.
            raise OSError("the test client has disconnected")
        self._to_client.put_nowait(message)

    # -- helpers --------------------------------------------------------------

    async def _next(self) -> Message:
        return await asyncio.wait_for(self._to_client.get(), self._timeout)

    def _record_close(self, message: Message) -> None:
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
            self.close_reason = message.get("reason") or ""
        else:  # the app ended without a close frame
            self.close_code = 1006

    def _drain(self) -> None:
        """Read what the app sent but nobody received, looking for its close."""
        while self.close_code is None and not self._to_client.empty():
            message = self._to_client.get_nowait()
            if message["type"] == "websocket.close":
                self._record_close(message)

    async def _refusal(self, message: Message) -> WebSocketRejected:
        """Turn the app's answer to the handshake into `WebSocketRejected`."""
        kind = message["type"]
        if kind == "websocket.http.response.start":
            refusal = WebSocketRejected(message["status"], await self._denial_body())
        elif kind == "websocket.close":
            refusal = WebSocketRejected(403)
        else:
            refusal = WebSocketRejected(500, "the app ended without answering")
        self._client_gone = True
        self._to_app.put_nowait({"type": "websocket.disconnect", "code": 1006})
        try:
            await self._finish()
        except Exception as exc:
            refusal.__cause__ = exc
        return refusal

    async def _denial_body(self) -> str:
        chunks = []
        while True:
            message = await self._next()
            if message["type"] != "websocket.http.response.body":
                self._to_client.put_nowait(message)
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        return b"".join(chunks).decode("utf-8", "replace")

    async def _finish(self) -> None:
        """Wait for the app task and re-raise what escaped it."""
        task = self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self._timeout)
        except asyncio.TimeoutError:
            await self._cancel()
            raise
        except Exception:
            if self._raise_app_exceptions:
                raise

    async def _cancel(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
