"""HTTP request and response models."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from addict import Dict as AttrDict
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from starlette.datastructures import URL, Address

from spangle._internal.asgi import Receive, Scope, Send
from spangle._internal.query import parse_query
from spangle.exceptions import TooLargeRequestError

__all__ = ["Request", "Response"]

_UNSET: Any = object()
_DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class Request:
    """An incoming HTTP request; every field is parsed on first use.

    Attributes:
        state (`addict.Dict`): Anything you want to keep during the request.
        max_upload_bytes (`int`): The largest body this request accepts.

    Do not create it manually.
    """

    __slots__ = (
        "_scope",
        "_receive",
        "_send",
        "_state",
        "_headers",
        "_params",
        "_url",
        "_body",
        "max_upload_bytes",
    )

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap the ASGI request.

        Args:
            scope: The ASGI `http` scope.
            receive: The ASGI receive callable.
            send: The ASGI send callable.
        """
        self._scope = scope
        self._receive = receive
        self._send = send
        self._state: AttrDict = _UNSET
        self._headers: CIMultiDictProxy[str] = _UNSET
        self._params: MultiDictProxy[str] = _UNSET
        self._url: URL = _UNSET
        self._body: bytes = _UNSET
        self.max_upload_bytes = _DEFAULT_MAX_UPLOAD_BYTES

    @property
    def state(self) -> AttrDict:
        """Anything you want to keep during the request."""
        if self._state is _UNSET:
            self._state = AttrDict()
        return self._state

    @property
    def method(self) -> str:
        """The request method, lower-case."""
        return str(self._scope["method"]).lower()

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers, case-insensitive; repeated headers kept."""
        if self._headers is _UNSET:
            raw = CIMultiDict(
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in self._scope["headers"]
            )
            self._headers = CIMultiDictProxy(raw)
        return self._headers

    @property
    def params(self) -> MultiDictProxy[str]:
        """The parsed query string; repeated keys kept."""
        if self._params is _UNSET:
            self._params = MultiDictProxy(
                MultiDict(parse_query(self._scope.get("query_string", b"")))
            )
        return self._params

    @property
    def url(self) -> URL:
        """The request URL (`starlette.datastructures.URL`)."""
        if self._url is _UNSET:
            self._url = URL(scope=self._scope)
        return self._url

    @property
    def full_url(self) -> str:
        """The request URL as a string."""
        return str(self.url)

    @property
    def client(self) -> Address | None:
        """The client's address (`.host`, `.port`), when the server knows it."""
        client = self._scope.get("client")
        return None if client is None else Address(*client)

    @property
    def version(self) -> str:
        """The HTTP version, e.g. `"1.1"`."""
        return str(self._scope.get("http_version", "1.1"))

    async def _read(self) -> bytes:
        if self._body is not _UNSET:
            return self._body
        limit = self.max_upload_bytes
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await self._receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise TooLargeRequestError(f"request body is over {limit} bytes")
            chunks.append(chunk)
            more = message.get("more_body", False)
        self._body = b"".join(chunks)
        return self._body

    @property
    async def content(self) -> bytes:
        """The request body as bytes, read at most `max_upload_bytes`."""
        return await self._read()

    @property
    async def text(self) -> str:
        """The request body decoded as UTF-8."""
        return (await self._read()).decode("utf-8", errors="replace")


class Response:
    """The HTTP response a view fills in.

    Attributes:
        status_code (`int`): The HTTP status. Default: `200`.
        headers (`CIMultiDict`): Response headers.
        reraise (`bool`): In an error handler, re-raise the exception after
            the response is sent.
    """

    __slots__ = (
        "status_code",
        "headers",
        "reraise",
        "_body",
        "_content_type",
        "_json",
        "_error",
        "streaming",
    )

    def __init__(self) -> None:
        """Make an empty `200 OK` response."""
        self.status_code = 200
        self.headers: CIMultiDict[str] = CIMultiDict()
        self.reraise = False
        self._body = b""
        self._content_type: str | None = None
        self._json: Any = _UNSET
        self._error: Exception | None = None
        #: An async iterator of body chunks, sent as they come.
        self.streaming: AsyncIterator[bytes | str] | None = None

    @property
    def text(self) -> str:
        """The body as text; setting it sets `text/plain` unless a type is set."""
        return self._body.decode("utf-8")

    @text.setter
    def text(self, value: str) -> None:
        self._body = value.encode("utf-8")
        self._content_type = "text/plain; charset=utf-8"
        self._json = _UNSET

    @property
    def content(self) -> bytes:
        """The body as bytes; setting it sets `application/octet-stream`."""
        return self._body

    @content.setter
    def content(self, value: bytes) -> None:
        self._body = value
        self._content_type = "application/octet-stream"
        self._json = _UNSET

    @property
    def json(self) -> AttrDict:
        """A JSON body with dot access; sent as `application/json`."""
        if self._json is _UNSET:
            self._json = AttrDict()
            self._content_type = "application/json"
        return self._json

    @json.setter
    def json(self, value: Any) -> None:
        self._json = AttrDict(value) if isinstance(value, dict) else value
        self._content_type = "application/json"

    def set_status(self, status: int) -> Response:
        """Set the status code.

        Args:
            status: The HTTP status.

        Returns:
            The response itself.
        """
        self.status_code = status
        return self

    def set_header(self, name: str, value: str) -> Response:
        """Set a header, replacing any of the same name.

        Args:
            name: Header name.
            value: Header value.

        Returns:
            The response itself.
        """
        self.headers[name] = value
        return self

    def add_header(self, name: str, value: str) -> Response:
        """Add a header, keeping others of the same name.

        Args:
            name: Header name.
            value: Header value.

        Returns:
            The response itself.
        """
        self.headers.add(name, value)
        return self

    def set_text(self, text: str, content_type: str | None = None) -> Response:
        """Set a text body.

        Args:
            text: The body.
            content_type: The `Content-Type`; `text/plain` by default.

        Returns:
            The response itself.
        """
        self.text = text
        if content_type is not None:
            self.headers["content-type"] = content_type
        return self

    def set_content(self, content: bytes, content_type: str | None = None) -> Response:
        """Set a binary body.

        Args:
            content: The body.
            content_type: The `Content-Type`; `application/octet-stream` by default.

        Returns:
            The response itself.
        """
        self.content = content
        if content_type is not None:
            self.headers["content-type"] = content_type
        return self

    def _reset(self) -> None:
        """Forget the body and headers, for an error handler to start afresh."""
        self.status_code = 200
        self.headers = CIMultiDict()
        self._body = b""
        self._content_type = None
        self._json = _UNSET
        self.streaming = None

    def _encode_body(self) -> bytes:
        if self._json is not _UNSET:
            return json.dumps(self._json, ensure_ascii=False).encode("utf-8")
        return self._body

    async def _send_to(self, send: Send, with_body: bool = True) -> None:
        body = self._encode_body()
        raw = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in self.headers.items()
        ]
        if self._content_type is not None and "content-type" not in self.headers:
            raw.append((b"content-type", self._content_type.encode("latin-1")))
        if self.streaming is None and "content-length" not in self.headers:
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": raw}
        )
        if self.streaming is None or not with_body:
            await send(
                {"type": "http.response.body", "body": body if with_body else b""}
            )
            return
        async for chunk in self.streaming:
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            await send({"type": "http.response.body", "body": data, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
