"""Serving ASGI apps mounted under a path prefix."""

from __future__ import annotations

from typing import Any

from spangle._internal.asgi import ASGIApp, Receive, Scope, Send
from spangle.models.http import Request, Response
from spangle.models.websocket import Connection


def normalize_prefix(path: str) -> str:
    """Give a mount prefix one leading slash and no trailing slash.

    Args:
        path: The prefix as the user wrote it.

    Returns:
        The normalized prefix; `""` for the root.
    """
    return "/" + path.strip("/") if path.strip("/") else ""


def find_mount(
    mounts: list[tuple[str, ASGIApp]], path: str
) -> tuple[str, ASGIApp] | None:
    """Find the mounted app whose prefix owns a path.

    Args:
        mounts: `(prefix, app)` pairs, longest prefix first.
        path: The request path.

    Returns:
        The prefix and app, or `None`.
    """
    for prefix, app in mounts:
        if path == prefix or path.startswith(prefix + "/") or not prefix:
            return prefix, app
    return None


async def serve_mounted(
    prefix: str, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """Call a mounted app with its view of the path.

    The app sees `root_path` extended by the prefix, `path` without it, and
    `scope["extensions"]["spangle"]` holding `req`/`resp` or `conn`.

    Args:
        prefix: The mount prefix.
        app: The mounted app.
        scope: The ASGI scope.
        receive: The ASGI receive callable.
        send: The ASGI send callable.
    """
    child = dict(scope)
    child["root_path"] = scope.get("root_path", "") + prefix
    child["path"] = scope["path"][len(prefix) :] or "/"
    extensions: dict[str, Any] = dict(scope.get("extensions") or {})
    if scope["type"] == "http":
        extensions["spangle"] = {
            "req": Request(scope, receive, send),
            "resp": Response(),
        }
    elif scope["type"] == "websocket":
        extensions["spangle"] = {"conn": Connection(scope, receive, send)}
    child["extensions"] = extensions
    await app(child, receive, send)
