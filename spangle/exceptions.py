"""Exceptions raised by spangle and understood by its error handling.

`SpangleError` subclasses carry the HTTP status they answer with;
`WebSocketError` carries the close code a WebSocket connection ends with,
often one of `CloseCode`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from http import HTTPStatus

from starlette.websockets import WebSocketDisconnect as StarletteWebSocketDisconnect

__all__ = [
    "CloseCode",
    "SpangleError",
    "NotFoundError",
    "MethodNotAllowedError",
    "TooLargeRequestError",
    "ParseError",
    "WebSocketError",
    "MessageValidationError",
    "WebSocketDisconnect",
]


class CloseCode(IntEnum):
    """RFC 6455 close codes used by spangle (1012 is registered with IANA)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    UNSUPPORTED_DATA = 1003
    NO_STATUS = 1005
    ABNORMAL = 1006
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013


class SpangleError(Exception):
    """Base of the errors that spangle answers with an HTTP status (500).

    Unhandled, a `SpangleError` is answered with its status, its message as
    a `text/plain` body and its headers. A subclass names its own defaults
    in `default_message` and `default_status`.

    Attributes:
        status_code (`int`): HTTP status of the response.
        message (`str`): Text of the response body.
        headers (`dict[str, str]`): Headers added to the response.
    """

    default_message = "Something wrong."
    default_status: int = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(
        self,
        message: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        """Make the error.

        Args:
            message: The response text; the class's `default_message` when
                `None`.
            status: The HTTP status; the class's `default_status` when `None`.
            headers: Headers to send with the response.
        """
        self.message = self.default_message if message is None else message
        super().__init__(self.message)
        self.status_code = self.default_status if status is None else status
        self.headers: dict[str, str] = dict(headers or {})


class NotFoundError(SpangleError):
    """Missing resources, views, templates (404)."""

    default_message = "Content not found."
    default_status = HTTPStatus.NOT_FOUND


class MethodNotAllowedError(SpangleError):
    """The view does not accept the request method (405).

    Attributes:
        allowed_methods (`tuple[str, ...]`): Upper-case methods the view
            accepts, also sent as the `Allow` header.
    """

    default_message = "Method not allowed."
    default_status = HTTPStatus.METHOD_NOT_ALLOWED

    def __init__(
        self,
        message: str | None = None,
        status: int | None = None,
        allowed_methods: Iterable[str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        """Make the error.

        Args:
            message: The response text (`"Method not allowed."`).
            status: The HTTP status (405).
            allowed_methods: Methods listed in the `Allow` header, any case.
            headers: More headers to send with the response.
        """
        self.allowed_methods = tuple(m.upper() for m in allowed_methods or ())
        allow = (
            {"Allow": ", ".join(self.allowed_methods)} if self.allowed_methods else {}
        )
        super().__init__(message, status, {**allow, **(headers or {})})


class TooLargeRequestError(SpangleError):
    """The request body is larger than allowed (413)."""

    default_message = "Payload too large."
    default_status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class ParseError(SpangleError, ValueError):
    """The request body or query string is malformed (400).

    It is also a `ValueError`, so a handler of `ValueError` catches it.
    """

    default_message = "Unsupported format."
    default_status = HTTPStatus.BAD_REQUEST


class WebSocketError(Exception):
    """The client broke a rule of the WebSocket conversation.

    Uncaught, it closes the connection with its `code`. Caught by the view,
    it leaves the connection open.

    Attributes:
        code (`int`): The close code for the connection, e.g. 1003 or 1009.
    """

    def __init__(self, code: int, message: str = ""):
        """Make the error.

        Args:
            code: WebSocket close code.
            message: What went wrong, for logs and the close reason.
        """
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if message else str(code))


class MessageValidationError(WebSocketError, ValueError):
    """A JSON message is invalid, or does not match the type asked for.

    Raised by `receive_json(type=...)` of a connection or a subscription.
    Uncaught by the view, it closes the connection with 1007 (invalid
    payload data) and its message as the close reason, which names the
    field (`Expected `int`, got `str` - at `$.age``).

    Attributes:
        code (`int`): 1007.
        message (`str`): What is wrong and where.
        path (`str`): Where in the message: `"$"` for the message as a
            whole, `"$.items[0].name"` for a field; `""` when the data is
            not JSON at all.
    """

    def __init__(self, message: str, path: str = "$"):
        """Make the error.

        Args:
            message: What is wrong and where.
            path: Where in the message.
        """
        super().__init__(CloseCode.INVALID_PAYLOAD, message)
        self.path = path


class WebSocketDisconnect(StarletteWebSocketDisconnect):
    """The client went away.

    It is also Starlette's `WebSocketDisconnect`, which spangle 0.11 raised,
    so `except starlette.websockets.WebSocketDisconnect` still catches it.

    Attributes:
        code (`int`): The close code the client sent (1005 when it sent none,
            1006 when the transport broke).
        reason (`str`): The close reason the client sent.
    """

    def __init__(self, code: int = 1005, reason: str = ""):
        """Make the error.

        Args:
            code: Close code from the ASGI disconnect event.
            reason: Close reason from the ASGI disconnect event.
        """
        self.code = code
        self.reason = reason
        Exception.__init__(self, f"client disconnected with code {code}")
