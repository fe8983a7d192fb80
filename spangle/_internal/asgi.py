"""ASGI type aliases, and what every spangle module needs to speak ASGI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The scope extension by which the test client tells the app it wants the
#: exceptions no error handler answered raised, not only answered with 500.
TEST_CLIENT_EXTENSION = "spangle.test_client"


_NEVER_SENT = frozenset({1004, 1005, 1006, 1015})

#: A close frame's payload is at most 125 bytes, two of which hold the code.
MAX_CLOSE_REASON_BYTES = 123


def is_sendable_close_code(code: int) -> bool:
    """Tell whether an endpoint may put a close code on the wire (RFC 6455 7.4).

    Args:
        code: The close code.

    Returns:
        `False` for 1004-1006, 1015 and anything outside 1000-4999.
    """
    return 1000 <= code <= 4999 and code not in _NEVER_SENT


def encode_headers(headers: object) -> list[tuple[bytes, bytes]]:
    """Turn a mapping or a list of pairs into ASGI raw headers.

    Args:
        headers: A `dict[str, str]`, a multidict, or an iterable of
            `(name, value)` string pairs.

    Returns:
        A list of latin-1 encoded `(name, value)` pairs, names lower-cased.
    """
    items: Any = headers.items() if hasattr(headers, "items") else headers
    return [
        (str(name).lower().encode("latin-1"), str(value).encode("latin-1"))
        for name, value in items
    ]
