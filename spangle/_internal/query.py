"""Query string parsing shared by requests and connections."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from spangle.exceptions import ParseError

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def parse_query(query_string: bytes, *, strict: bool = False) -> list[tuple[str, str]]:
    """Parse a raw query string, keeping blank values and repeated keys.

    Lenient mode keeps invalid percent-escapes as written and replaces
    undecodable bytes with U+FFFD; WebSocket connections use it because a
    refused handshake cannot carry a readable 400 to a browser.

    Args:
        query_string: The raw ASGI `query_string`.
        strict: Refuse invalid percent-escapes and non-UTF-8 values.

    Returns:
        `(key, value)` pairs in order.

    Raises:
        ParseError: In strict mode, the query string is malformed (400).
    """
    if not query_string:
        return []
    text = query_string.decode("latin-1")
    # Without a `%` nothing can be mis-escaped or decode badly: skip the checks.
    if not strict or b"%" not in query_string:
        return parse_qsl(text, keep_blank_values=True)
    if _BAD_ESCAPE.search(query_string):
        raise ParseError("invalid percent-escape in query string")
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ParseError("invalid UTF-8 in query string") from None
