"""Cross-site WebSocket hijacking protection: is a handshake's Origin allowed?"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from spangle._internal.asgi import Scope

_DEFAULT_PORTS = (None, 80, 443)


class OriginPolicy:
    """Which browser origins may open a WebSocket.

    `None` (the default) allows an `Origin` naming the same host and port as
    the `Host` header, whatever the scheme (so 80 and 443 count as the same,
    default port); `["*"]` allows every origin; a
    list allows exactly those origins, scheme included. A handshake without
    `Origin` comes from a non-browser client and is always allowed.
    """

    __slots__ = ("allow_all", "origins")

    def __init__(self, allowed_origins: Iterable[str] | None) -> None:
        """Make the policy.

        Args:
            allowed_origins: The Api's `allowed_origins` setting.
        """
        origins = None if allowed_origins is None else list(allowed_origins)
        self.allow_all = origins is not None and "*" in origins
        self.origins = (
            None if origins is None else {o.rstrip("/").lower() for o in origins}
        )

    def allows(self, scope: Scope) -> tuple[bool, str | None]:
        """Check a handshake.

        Args:
            scope: The ASGI `websocket` scope.

        Returns:
            Whether the handshake may go on, and the `Origin` it carried.
        """
        if self.allow_all:
            return True, None
        origin = host = None
        # PERF: scan raw headers; building a multidict costs memory per socket.
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1")
        if origin is None:
            return True, None
        if self.origins is not None:
            return origin.rstrip("/").lower() in self.origins, origin
        if host is None:
            return False, origin
        return _same_host(origin, host), origin


def _same_host(origin: str, host: str) -> bool:
    try:
        parts = urlsplit(origin)
        target = urlsplit(f"//{host}")
        ports = _port(parts.port), _port(target.port)
    except ValueError:
        return False
    same_port = ports[0] == ports[1]
    return bool(parts.hostname) and parts.hostname == target.hostname and same_port


def _port(port: int | None) -> int | None:
    # The scheme is not compared, so neither are its default ports: a page
    # from https://example.com may talk to ws://example.com behind a proxy.
    return None if port in _DEFAULT_PORTS else port
