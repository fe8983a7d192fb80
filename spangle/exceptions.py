"""Exceptions raised by spangle and understood by its error handling.

`SpangleError` subclasses carry the HTTP status they answer with;
`WebSocketError` carries the close code a WebSocket connection ends with,
often one of `CloseCode`'s.
"""

from __future__ import annotations

from spangle._internal.asgi import CloseCode

__all__ = [
    "CloseCode",
    "SpangleError",
    "NotFoundError",
    "MethodNotAllowedError",
    "TooLargeRequestError",
    "ParseError",
    "WebSocketError",
    "WebSocketDisconnect",
]


class SpangleError(Exception):
    """Base of the errors that spangle answers with an HTTP status.

    Attributes:
        status_code (`int`): HTTP status of the response.
        message (`str`): Text of the response body.
    """

    status_code: int = 500
    default_message: str = "Internal Server Error"

    def __init__(self, message: str | None = None, status_code: int | None = None):
        """Make the error.

        Args:
            message: The response text; the class default when `None`.
            status_code: The HTTP status; the class default when `None`.
        """
        self.message = self.default_message if message is None else message
        if status_code is not None:
            self.status_code = status_code
        super().__init__(self.message)


class NotFoundError(SpangleError):
    """No view is bound to the requested path (404)."""

    status_code = 404
    default_message = "Not Found"


class MethodNotAllowedError(SpangleError):
    """The view does not accept the request method (405).

    Attributes:
        allowed_methods (`tuple[str, ...]`): Upper-case methods the view accepts.
    """

    status_code = 405
    default_message = "Method Not Allowed"

    def __init__(
        self,
        message: str | None = None,
        status_code: int | None = None,
        allowed_methods: tuple[str, ...] = (),
    ):
        """Make the error.

        Args:
            message: The response text.
            status_code: The HTTP status.
            allowed_methods: Methods listed in the `Allow` header.
        """
        super().__init__(message, status_code)
        self.allowed_methods = allowed_methods


class TooLargeRequestError(SpangleError):
    """The request body is larger than allowed (413)."""

    status_code = 413
    default_message = "Payload Too Large"


class ParseError(SpangleError):
    """The request body or query string is malformed (400)."""

    status_code = 400
    default_message = "Bad Request"


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


class WebSocketDisconnect(Exception):
    """The client went away.

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
        super().__init__(f"client disconnected with code {code}")
