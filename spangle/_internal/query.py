"""Query string parsing shared by requests and connections."""

from __future__ import annotations

from urllib.parse import parse_qsl


def parse_query(query_string: bytes) -> list[tuple[str, str]]:
    """Parse a raw query string, keeping blank values and repeated keys.

    Invalid percent-escapes are kept as written rather than rejected, so a
    malformed query string never fails a request.

    Args:
        query_string: The raw ASGI `query_string`.

    Returns:
        `(key, value)` pairs in order.
    """
    if not query_string:
        return []
    return parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
