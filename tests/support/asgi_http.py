"""Call an ASGI app with a hand-made HTTP request, below any client library.

Real clients normalise paths, encode headers and always send a
Content-Length; these tests need to send what a broken client would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from spangle._internal.asgi import ASGIApp, Message


@dataclass
class RawResponse:
    """What the app sent back.

    Attributes:
        status: The status of `http.response.start`.
        headers: Raw header pairs.
        body: All body chunks joined.
        messages: Every message sent.
    """

    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    messages: list[Message] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """Return the first header of that name, decoded, or `None`."""
        for key, value in self.headers:
            if key.decode("latin-1").lower() == name.lower():
                return value.decode("latin-1")
        return None


async def call_http(
    app: ASGIApp,
    method: str = "GET",
    path: str = "/",
    *,
    query: bytes = b"",
    headers: Sequence[tuple[bytes, bytes]] = (),
    chunks: Sequence[bytes] = (b"",),
    extensions: dict[str, Any] | None = None,
    root_path: str = "",
) -> RawResponse:
    """Send one request to `app` and collect its answer.

    Args:
        app: The ASGI app.
        method: The method, as sent.
        path: The decoded path, as a server would put it in the scope.
        query: The raw query string.
        headers: Raw header pairs.
        chunks: Body chunks; all but the last are sent with `more_body`.
        extensions: The scope's extensions.
        root_path: The scope's root path.

    Returns:
        The response.
    """
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "root_path": root_path,
        "query_string": query,
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "extensions": extensions or {},
    }
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    response = RawResponse()

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        response.messages.append(message)
        if message["type"] == "http.response.start":
            response.status = message["status"]
            response.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            response.body += message.get("body", b"")

    await app(scope, receive, send)
    return response
