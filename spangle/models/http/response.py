"""The HTTP response a view fills in (public as `spangle.models.http.Response`)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

from addict import Dict as AttrDict
from multidict import CIMultiDict

from spangle._internal.asgi import Message, Receive, Scope, Send
from spangle._internal.headers import parse_content_type

__all__ = ["Response"]

logger = logging.getLogger("spangle")

_UNSET: Any = object()
# PERF: Content-Type headers are kept as ready raw pairs; a response builds
# and encodes none.
Header = tuple[bytes, bytes]
_TEXT: Header = (b"content-type", b"text/plain; charset=utf-8")
_HTML: Header = (b"content-type", b"text/html; charset=utf-8")
_JSON: Header = (b"content-type", b"application/json")
_BINARY: Header = (b"content-type", b"application/octet-stream")
# Statuses whose responses carry no body (RFC 9110, 6.4.1).
_BODILESS = frozenset((*range(200), 204, 304))
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
# PERF: one encoder; json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


# PERF: looking a Content-Length header up costs less than formatting one, and
# sizes repeat (the same page, the same JSON shape). Bounded: cleared when full.
_LENGTH_HEADERS: dict[int, Header] = {}
_LENGTH_HEADERS_MAX = 1024


def _length_header(size: int) -> Header:
    """Make, and remember, the `content-length` header of a body size."""
    if len(_LENGTH_HEADERS) >= _LENGTH_HEADERS_MAX:
        _LENGTH_HEADERS.clear()
    header = _LENGTH_HEADERS[size] = (b"content-length", b"%d" % size)
    return header


def _content_type(value: str, text: bool) -> Header:
    if text and "charset=" not in value.lower():
        value += "; charset=utf-8"
    return (b"content-type", value.encode("latin-1"))


class Response:
    """The HTTP response a view fills in; also an ASGI app that sends it.

    Setting a body (`text`, `content`, `json`, `streaming`, a template) sets
    `Content-Type` unless a `content-type` header is set explicitly. A
    mounted app finds the request's response in
    `scope["extensions"]["spangle"]["resp"]` and may send it with
    `await resp(scope, receive, send)`.

    Attributes:
        status_code (`int`): The HTTP status. Default: `200`.
        headers (`CIMultiDict`): Response headers; `add()` keeps repeats.
        streaming (`AsyncIterator[bytes | str] | None`): An async generator of
            body chunks; when set, it is the body.
        reraise (`bool`): In an error handler, re-raise the exception after
            the response is sent.
    """

    __slots__ = (
        "status_code",
        "streaming",
        "reraise",
        "_headers",
        "_body",
        "_json",
        "_content_type",
        "_cookies",
        "_redirect",
    )

    def __init__(self) -> None:
        """Make an empty `200 OK` response."""
        self.status_code = 200
        # PERF: most responses set no header; the multidict is made on demand.
        self._headers: CIMultiDict[str] | None = None
        self.streaming: AsyncIterator[bytes | str] | None = None
        self.reraise = False
        self._body = b""
        self._json: Any = _UNSET
        self._content_type: Header | None = None
        self._cookies: SimpleCookie = _UNSET
        # (location, query string or None to keep the request's, is app path)
        self._redirect: tuple[str, str | None, bool] | None = None

    @property
    def headers(self) -> CIMultiDict[str]:
        """Response headers, case-insensitive; `add()` keeps repeats."""
        headers = self._headers
        if headers is None:
            headers = self._headers = CIMultiDict()
        return headers

    @headers.setter
    def headers(self, value: Mapping[str, str] | CIMultiDict[str]) -> None:
        self._headers = CIMultiDict(value)

    @property
    def status(self) -> int:
        """The HTTP status, the same as `status_code`."""
        return self.status_code

    @status.setter
    def status(self, value: int) -> None:
        self.status_code = value

    @property
    def mimetype(self) -> str:
        """The media type of the body, without parameters; `""` when unknown.

        An explicit `content-type` header wins over the type the body set.
        Setting it sets that header.
        """
        explicit = self._headers.get("content-type") if self._headers else None
        if explicit is not None:
            return parse_content_type(explicit)[0]
        header = self._content_type
        if header is None:
            header = _BINARY if self.streaming is not None else None
        return "" if header is None else parse_content_type(header[1].decode())[0]

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers["content-type"] = value

    # -- body ----------------------------------------------------------------

    @property
    def text(self) -> str:
        """The body as text; setting it sends `text/plain; charset=utf-8`."""
        return self._encode_body().decode("utf-8", errors="replace")

    @text.setter
    def text(self, value: str) -> None:
        self._body = value.encode("utf-8")
        self._content_type = _TEXT
        self._json = _UNSET

    @property
    def content(self) -> bytes:
        """The body as bytes; setting it sends `application/octet-stream`."""
        return self._encode_body()

    @content.setter
    def content(self, value: bytes) -> None:
        self._body = value
        self._content_type = _BINARY
        self._json = _UNSET

    @property
    def json(self) -> Any:
        """A JSON body, sent as `application/json`.

        Reading it first makes an empty `addict.Dict`, so
        `resp.json.user.name = "x"` builds the object in place.
        """
        value = self._json
        if value is _UNSET:
            value = self._json = AttrDict()
            self._content_type = _JSON
        elif type(value) is dict:
            # PERF: a dict set by the view becomes an addict only when read.
            value = self._json = AttrDict(value)
        return value

    @json.setter
    def json(self, value: Any) -> None:
        self._json = value
        self._content_type = _JSON

    @property
    def cookies(self) -> SimpleCookie:
        """Cookies to set (`http.cookies.SimpleCookie`); see `set_cookie`."""
        if self._cookies is _UNSET:
            self._cookies = SimpleCookie()
        return self._cookies

    # -- chainable setters -----------------------------------------------------

    def set_status(self, status: int) -> Response:
        """Set the status code.

        Args:
            status: The HTTP status.

        Returns:
            The response itself.
        """
        self.status_code = status
        return self

    # duplicates: 0.11's chainable setters, one line of work each.
    def set_header(self, key: str, value: str) -> Response:
        """Set a header, replacing any of the same name.

        Args:
            key: Header name.
            value: Header value.

        Returns:
            The response itself.
        """
        self.headers[key] = value
        return self

    def add_header(self, key: str, value: str) -> Response:
        """Add a header, keeping others of the same name.

        Args:
            key: Header name.
            value: Header value.

        Returns:
            The response itself.
        """
        self.headers.add(key, value)
        return self

    def set_text(self, text: str, content_type: str = "text/plain") -> Response:
        """Set a text body, encoded with the charset `content_type` names.

        Args:
            text: The body.
            content_type: The media type; without a charset, the body is
                UTF-8 and `; charset=utf-8` is added.

        Returns:
            The response itself.

        Raises:
            LookupError: The charset is unknown.
            UnicodeEncodeError: The charset cannot encode `text`.
        """
        self.text = text
        if content_type != "text/plain":
            charset = parse_content_type(content_type)[1].get("charset")
            if charset is not None:
                self._body = text.encode(charset)
            self._content_type = _content_type(content_type, True)
        return self

    def set_content(
        self, content: bytes, content_type: str = "application/octet-stream"
    ) -> Response:
        """Set a binary body.

        Args:
            content: The body.
            content_type: The media type.

        Returns:
            The response itself.
        """
        self.content = content
        if content_type != "application/octet-stream":
            self._content_type = _content_type(content_type, False)
        return self

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: int | str | datetime | None = None,
        path: str | None = "/",
        comment: str | None = None,
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = True,
        version: int | None = None,
        samesite: str | None = "Lax",
    ) -> Response:
        """Set a cookie on the client.

        Args:
            key: The cookie name.
            value: Its value (quoted when needed).
            max_age: Seconds until it expires.
            expires: When it expires: seconds from now, a date string, or a
                `datetime` (naive ones are taken as UTC).
            path: The path it applies to.
            comment: An obsolete comment attribute, kept for compatibility.
            domain: The domain it applies to.
            secure: Send it over HTTPS only.
            httponly: Hide it from JavaScript.
            version: An obsolete version attribute, kept for compatibility.
            samesite: `"Lax"`, `"Strict"`, `"None"`, or `None` to omit.

        Returns:
            The response itself.
        """
        cookies = self.cookies
        cookies[key] = value
        morsel = cookies[key]
        if isinstance(expires, datetime):
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=timezone.utc)
            expires = format_datetime(expires.astimezone(timezone.utc), usegmt=True)
        for name, attr in (
            ("max-age", max_age),
            ("expires", expires),
            ("path", path),
            ("comment", comment),
            ("domain", domain),
            ("version", version),
            ("samesite", samesite),
        ):
            if attr is not None:
                morsel[name] = attr
        morsel["secure"] = secure
        morsel["httponly"] = httponly
        return self

    def delete_cookie(
        self, key: str, path: str | None = "/", domain: str | None = None
    ) -> Response:
        """Tell the client to forget a cookie.

        Args:
            key: The cookie name.
            path: The path it was set with.
            domain: The domain it was set with.

        Returns:
            The response itself.
        """
        return self.set_cookie(key, max_age=0, expires=_EPOCH, path=path, domain=domain)

    def redirect(
        self,
        *,
        view: type | None = None,
        params: dict[str, Any] | None = None,
        url: str | None = None,
        status: int = 307,
        query_string: str | Mapping[str, Any] | None = None,
    ) -> Response:
        """Send the client elsewhere: to a view of this app or to a URL.

        Args:
            view: A routed view class; its path is built with `url_for`.
            params: The view's path parameters.
            url: Any URL, used as given.
            status: A 3xx status; `307` keeps the method and body.
            query_string: The query to add: a string or a mapping. `None`
                keeps the request's query string; `""` sends none.

        Returns:
            The response itself.

        Raises:
            TypeError: Neither `view` nor `url` is given (with both, `url`
                is ignored).
            ValueError: `status` is not a 3xx status.
            KeyError: The view is not routed or a parameter is missing.
        """
        if view is None and url is None:
            raise TypeError("redirect() takes view= or url=")
        if not 300 <= status < 400:
            raise ValueError(f"a redirect needs a 3xx status, not {status}")
        if view is not None:
            from spangle.component import use_api

            location, in_app = use_api().url_for(view, params), True
        else:
            location, in_app = str(url), False
        if query_string is not None and not isinstance(query_string, str):
            query_string = urlencode(query_string, doseq=True)
        self.status_code = status
        self._redirect = (location, query_string, in_app)
        return self

    async def load_template(
        self, template_name: str, content_type: str = "text/html", **params: Any
    ) -> Response:
        """Render a Jinja2 template from `Api.templates_dir` as the body.

        Args:
            template_name: The template's path inside `templates_dir`.
            content_type: The media type; UTF-8 is added as the charset.
            **params: Template variables; `api` (the serving `Api`) is
                always available.

        Returns:
            The response itself.

        Raises:
            NotFoundError: No such template (or no `templates_dir` folder).
            ValueError: Templates are disabled (`templates_dir=None`).
        """
        from spangle._internal.templates import render

        self.text = await render(template_name, params)
        self._content_type = (
            _HTML if content_type == "text/html" else _content_type(content_type, True)
        )
        return self

    # -- sending ---------------------------------------------------------------

    def _reset(self) -> None:
        """Forget the body, headers and cookies, for an error handler."""
        self.status_code = 200
        self._headers = None
        self.streaming = None
        self._body = b""
        self._json = _UNSET
        self._content_type = None
        self._cookies = _UNSET
        self._redirect = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response (no body for `HEAD`).

        Args:
            scope: The ASGI `http` scope of the request.
            receive: The ASGI receive callable.
            send: The ASGI send callable.
        """
        status = self.status_code
        start: Message
        if (
            self._headers is None
            and self._redirect is None
            and self._json is _UNSET
            and self._cookies is _UNSET
            and self.streaming is None
            and status not in _BODILESS
        ):
            # PERF: the common plain response, built here without a call.
            body = self._body
            length = _LENGTH_HEADERS.get(len(body)) or _length_header(len(body))
            content_type = self._content_type
            raw = [length] if content_type is None else [content_type, length]
            start = {"type": "http.response.start", "status": status, "headers": raw}
        else:
            try:
                start, body = self._render(scope)
            except Exception as exc:
                start, body = self._render_failure(scope, exc)
        await send(start)
        head = scope["method"] == "HEAD"
        if self.streaming is None or head:
            await send({"type": "http.response.body", "body": b"" if head else body})
        else:
            await self._stream(send)

    def _render_failure(self, scope: Scope, exc: Exception) -> tuple[Message, bytes]:
        """Turn a response that cannot be rendered into a plain 500."""
        # An unencodable header or JSON body is the app's bug.
        logger.error("cannot render the response", exc_info=exc)
        self._reset()
        self.status_code = 500
        self.text = "Internal Server Error"
        return self._render(scope)

    def _encode_body(self) -> bytes:
        if self._json is not _UNSET:
            return _ENCODER.encode(self._json).encode("utf-8")
        return self._body

    def _render(self, scope: Scope) -> tuple[Message, bytes]:
        """Build the `http.response.start` message and the body.

        Raises:
            Exception: A header that cannot be encoded, or a JSON body that
                cannot be serialized.
        """
        status = self.status_code
        headers = self._headers
        # PERF: most responses set no header; skip the multidict walk.
        raw = (
            [
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in headers.items()
            ]
            if headers
            else []
        )
        if self._redirect is not None:
            raw.append((b"location", self._location(scope).encode("latin-1")))
            body = b""
        else:
            body = self._encode_body()
        content_type = self._content_type
        if self.streaming is not None:
            content_type = content_type or _BINARY
        if content_type is not None and (not headers or "content-type" not in headers):
            raw.append(content_type)
        if self._cookies is not _UNSET:
            for morsel in self._cookies.values():
                raw.append((b"set-cookie", morsel.OutputString().encode("latin-1")))
        if status in _BODILESS:
            body = b""
        elif self.streaming is None and (
            not headers or "content-length" not in headers
        ):
            raw.append(_LENGTH_HEADERS.get(len(body)) or _length_header(len(body)))
        return {"type": "http.response.start", "status": status, "headers": raw}, body

    def _location(self, scope: Scope) -> str:
        assert self._redirect is not None
        location, query, in_app = self._redirect
        if in_app:
            location = scope.get("root_path", "") + location
        if query is None:
            query = scope.get("query_string", b"").decode("latin-1")
        if query:
            location += ("&" if "?" in location else "?") + query
        return location

    async def _stream(self, send: Send) -> None:
        """Send the body chunks of a streaming response."""
        assert self.streaming is not None
        async for chunk in self.streaming:
            data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
            if data:
                await send(
                    {"type": "http.response.body", "body": data, "more_body": True}
                )
        await send({"type": "http.response.body", "body": b""})
