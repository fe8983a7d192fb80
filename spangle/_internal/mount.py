"""Serving ASGI apps mounted under a path prefix."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spangle._internal.asgi import ASGIApp, Receive, Scope, Send
from spangle.models.http import Request, Response
from spangle.models.websocket import Connection

if TYPE_CHECKING:
    from spangle._internal.compiled import Compiled


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
        mounts: `(prefix, app)` pairs, longest prefix first, none empty.
        path: The request path.

    Returns:
        The prefix and app, or `None`.
    """
    for prefix, app in mounts:
        # Whole segments only: `/static` owns `/static/a`, not `/staticky`.
        if path == prefix or path.startswith(prefix + "/"):
            return prefix, app
    return None


async def serve_mounted(
    prefix: str,
    app: ASGIApp,
    compiled: Compiled,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Call a mounted app with its view of the path.

    The app sees `root_path` extended by the prefix, `path` without it (`/`
    for the prefix itself), and `scope["extensions"]["spangle"]` holding
    `req`/`resp` or `conn`. Those models wrap the caller's scope, so that
    `req.url` stays the full URL; the caller's scope is left unchanged.

    Args:
        prefix: The mount prefix.
        app: The mounted app.
        compiled: The serving tables of the Api, for its limits.
        scope: The ASGI scope.
        receive: The ASGI receive callable.
        send: The ASGI send callable.
    """
    child = dict(scope)
    child["root_path"] = scope.get("root_path", "") + prefix
    child["path"] = scope["path"][len(prefix) :] or "/"
    extensions: dict[str, Any] = dict(scope.get("extensions") or {})
    if scope["type"] == "http":
        req = Request(scope, receive, send, compiled.max_upload_bytes)
        extensions["spangle"] = {"req": req, "resp": Response()}
    else:  # websocket: lifespan never reaches a mount
        conn = Connection(
            scope, receive, send, max_message_bytes=compiled.ws_max_message_bytes
        )
        extensions["spangle"] = {"conn": conn}
    child["extensions"] = extensions
    await app(child, receive, send)


def strip_root_path(scope: Scope) -> Scope:
    """Give spangle's routing the path below the server's `root_path`.

    Servers such as uvicorn (`--root-path`) put `root_path` in front of
    `path`; spangle routes, mounts and redirects on what follows it. A path
    that does not start with `root_path` comes from a server that already
    stripped it and is left alone.

    Args:
        scope: The ASGI scope, with a non-empty `root_path`.

    Returns:
        The scope, or a copy whose `path` lacks the `root_path` prefix.
    """
    root: str = scope["root_path"].rstrip("/")
    path: str = scope["path"]
    if not root or (path != root and not path.startswith(root + "/")):
        return scope
    return {**scope, "path": path[len(root) :] or "/"}
