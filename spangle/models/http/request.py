"""The HTTP request a view reads (public as `spangle.models.http.Request`)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import IO, Any

from multidict import MultiDict, MultiDictProxy

from spangle._internal.asgi import Receive, Scope, Send
from spangle._internal.headers import (
    ANY_RANGE,
    MediaRange,
    best_match,
    parse_accept,
    parse_content_type,
    parse_cookies,
)
from spangle._internal.query import parse_query
from spangle._internal.scope_fields import UNSET, ScopeFields
from spangle.exceptions import ParseError, TooLargeRequestError

__all__ = ["Request"]

_UNSET = UNSET
# The body went to a streaming parser and was not kept.
_CONSUMED: Any = object()
# Request headers worth repeating in an HTTP/2 push promise.
_PUSH_HEADERS = frozenset(
    (b"accept", b"accept-encoding", b"accept-language", b"cache-control", b"user-agent")
)


class Request(ScopeFields):
    """An incoming HTTP request; every field is parsed on first use.

    Attributes:
        max_upload_bytes (`int`): The largest body this request accepts;
            a larger one raises `TooLargeRequestError` (413) while it streams.

    Do not create it manually.
    """

    __slots__ = (
        "_receive",
        "_send",
        "_params",
        "_cookies",
        "_accepts",
        "_body",
        "_media",
        "_files",
        "max_upload_bytes",
    )

    # duplicates: Request and Connection wrap the same ASGI triple, so their
    # constructors look alike; a shared one would cost a call per request.
    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        max_upload_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        """Wrap the ASGI request.

        Args:
            scope: The ASGI `http` scope.
            receive: The ASGI receive callable.
            send: The ASGI send callable.
            max_upload_bytes: The largest body it accepts.
        """
        self._scope = scope
        self._receive = receive
        self._send = send
        self._state = _UNSET
        self._headers = _UNSET
        self._params: MultiDictProxy[str] = _UNSET
        self._url = _UNSET
        self._cookies: dict[str, str] = _UNSET
        self._accepts: list[MediaRange] = _UNSET
        self._body: bytes = _UNSET
        self._media: Any = _UNSET
        #: Uploaded files to close when the response is sent.
        self._files: list[IO[bytes]] | None = None
        self.max_upload_bytes = max_upload_bytes

    @property
    def method(self) -> str:
        """The request method, lower-case."""
        return str(self._scope["method"]).lower()

    @property
    def params(self) -> MultiDictProxy[str]:
        """The parsed query string; repeated keys kept.

        Raises:
            ParseError: The query string has an invalid `%` escape or is not
                UTF-8 once decoded (400).
        """
        if self._params is _UNSET:
            raw = self._scope.get("query_string", b"")
            self._params = MultiDictProxy(MultiDict(parse_query(raw, strict=True)))
        return self._params

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies the client sent; a repeated name keeps the first value.

        Malformed pairs (no `=`, no name, control characters) are skipped.
        """
        if self._cookies is _UNSET:
            self._cookies = parse_cookies("; ".join(self.headers.getall("cookie", ())))
        return self._cookies

    @property
    def full_url(self) -> str:
        """The request URL as a string."""
        return str(self.url)

    @property
    def version(self) -> str:
        """The HTTP version, e.g. `"1.1"` or `"2"`."""
        return str(self._scope.get("http_version", "1.1"))

    @property
    def mimetype(self) -> str:
        """The body's media type without parameters, lower-case; `""` if absent."""
        return parse_content_type(self.headers.get("content-type", ""))[0]

    def accept(self, content_type: str) -> tuple[str, float] | None:
        """Tell whether the client accepts a media type, and how much.

        The most specific `Accept` entry naming the type decides (so
        `text/html;q=0` refuses HTML even when `*/*` is listed). A request
        without `Accept` accepts everything.

        Args:
            content_type: A media type such as `"application/json"`.

        Returns:
            The matching `Accept` entry and its q value, or `None` when the
            client would refuse that type.
        """
        if self._accepts is _UNSET:
            sent = self.headers.getall("accept", ())
            self._accepts = parse_accept(",".join(sent)) if sent else [ANY_RANGE]
        return best_match(self._accepts, content_type)

    async def stream(self) -> AsyncIterator[bytes]:
        """Read the body chunk by chunk as it arrives, without keeping it.

        A body already read whole (`content`, `text`, `media()` of JSON or a
        urlencoded form) comes as one chunk. Streaming enforces
        `max_upload_bytes` as it goes; afterwards the body is gone.

        Yields:
            The body's chunks, none empty.

        Raises:
            TooLargeRequestError: The body is, or is announced to be, too large.
            ParseError: The client left before sending the whole body.
            RuntimeError: The body was already streamed (by `stream()` or
                the multipart parser of `media()`).
        """
        if self._body is _CONSUMED:
            raise RuntimeError(
                "the request body was already consumed by a streaming read"
            )
        if self._body is not _UNSET:
            if self._body:
                yield self._body
            return
        limit = self.max_upload_bytes
        if _declared_length(self._scope) > limit:
            raise TooLargeRequestError(f"request body is over {limit} bytes")
        # From here the body only exists in what the caller keeps of it.
        self._body = _CONSUMED
        size = 0
        more = True
        while more:
            message = await self._receive()
            if message["type"] != "http.request":
                raise ParseError("the client disconnected before the body ended")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise TooLargeRequestError(f"request body is over {limit} bytes")
            if chunk:
                yield chunk
            more = message.get("more_body", False)

    @property
    async def content(self) -> bytes:
        """The request body as bytes (awaitable).

        Raises:
            TooLargeRequestError: The body is over `max_upload_bytes`.
            RuntimeError: The body was already streamed.
        """
        if self._body is _UNSET or self._body is _CONSUMED:
            self._body = b"".join([chunk async for chunk in self.stream()])
        return self._body

    @property
    async def text(self) -> str:
        """The request body decoded with its charset, UTF-8 by default (awaitable).

        Raises:
            ParseError: The charset is unknown or does not decode the body
                (400); the latter is also a `UnicodeDecodeError`.
            TooLargeRequestError: The body is over `max_upload_bytes`.
        """
        body = await self.content
        charset = self.charset
        try:
            return body.decode(charset)
        except LookupError:
            raise ParseError(f"unknown charset {charset!r}") from None
        except UnicodeDecodeError as exc:
            raise _UndecodableBody(exc) from None

    @property
    async def apparent_encoding(self) -> dict[str, Any]:
        """Guess the body's encoding (awaitable), as `chardet.detect` does.

        With `chardet` installed, its guess; without, ASCII and UTF-8 are
        told apart from anything else (`{"encoding": None, ...}`).

        Raises:
            TooLargeRequestError: The body is over `max_upload_bytes`.
        """
        body = await self.content
        try:
            chardet = importlib.import_module("chardet")
        except ImportError:
            return _guess_encoding(body)
        return dict(chardet.detect(body))

    @property
    def charset(self) -> str:
        """The `charset` of `Content-Type`, `"utf-8"` when absent."""
        params = parse_content_type(self.headers.get("content-type", ""))[1]
        return params.get("charset") or "utf-8"

    async def media(
        self,
        parser: Callable[[Request], Awaitable[Any]] | None = None,
        parse_as: str | None = None,
    ) -> Any:
        """Parse the body; the result is kept for later calls.

        Args:
            parser: An async function taking the request, used instead of
                the built-in parsers.
            parse_as: `"json"`, `"form"` or `"multipart"`; chosen from
                `Content-Type` when `None`.

        Returns:
            A `MultiDictProxy`: of a JSON object's members, or of form
            fields (strings and `UploadedFile`s); other JSON values as
            they are.

        Raises:
            ParseError: The body is malformed or of an unsupported type (400).
            TooLargeRequestError: The body is over `max_upload_bytes`.
        """
        if self._media is _UNSET:
            if parser is None:
                from spangle.parser import parse_body

                self._media = await parse_body(self, parse_as)
            else:
                self._media = await parser(self)
        return self._media

    async def push(self, path: str) -> None:
        """Ask the server to push a resource (HTTP/2); a no-op without support.

        Args:
            path: The path of the resource in this app, e.g. `/static/app.css`.
        """
        extensions = self._scope.get("extensions") or {}
        if "http.response.push" not in extensions:
            return
        headers = [(k, v) for k, v in self._scope["headers"] if k in _PUSH_HEADERS]
        await self._send(
            {"type": "http.response.push", "path": path, "headers": headers}
        )

    def close_later(self, file: IO[bytes]) -> None:
        """Close a file with the request, once the response has been sent.

        The multipart parser of `media()` hands each uploaded file over as
        it opens it; a parser of your own may do the same.

        Args:
            file: An open file.
        """
        if self._files is None:
            self._files = []
        self._files.append(file)

    def close(self) -> None:
        """Close the files handed to `close_later` (uploaded files included).

        The framework calls it once the response is sent; a second call
        does nothing.
        """
        if self._files is not None:
            for file in self._files:
                file.close()
            self._files = None


class _UndecodableBody(ParseError, UnicodeDecodeError):
    """A body its charset does not decode: a 400, and what 0.11 raised."""

    def __init__(self, error: UnicodeDecodeError) -> None:
        UnicodeDecodeError.__init__(
            self, error.encoding, error.object, error.start, error.end, error.reason
        )
        # SpangleError's fields, set here: UnicodeDecodeError owns `args`.
        self.message = f"the body is not valid {error.encoding}"
        self.status_code = 400
        self.headers = {}


def _guess_encoding(body: bytes) -> dict[str, Any]:
    if body.isascii():
        return {"encoding": "ascii", "confidence": 1.0, "language": ""}
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return {"encoding": None, "confidence": 0.0, "language": None}
    return {"encoding": "utf-8", "confidence": 0.99, "language": ""}


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return -1
