"""Static files under `static_root`, served by Starlette's `StaticFiles`.

spangle checks the path itself before Starlette sees it, and answers every
failure through its own error handling, so a missing file is the same
`NotFoundError` a missing route is.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from spangle._internal.asgi import ASGIApp, Receive, Scope, Send
from spangle.exceptions import MethodNotAllowedError, NotFoundError, SpangleError

# Pieces that would leave the directory or mean something on another OS.
_UNSAFE = ("\\", "\0", ":")


def safe_relative_path(path: str) -> str | None:
    """Turn a request path into a relative file path, refusing traversal.

    Args:
        path: The request path below `static_root`, e.g. `/css/site.css`.

    Returns:
        The relative path with OS separators, or `None` when the path has
        `.`/`..` segments, backslashes, NUL, drive letters, or names nothing.
    """
    if any(mark in path for mark in _UNSAFE):
        return None
    parts = [part for part in path.split("/") if part]
    if not parts or any(part in (".", "..") for part in parts):
        return None
    return os.path.join(*parts)


ErrorAnswer = Callable[[Scope, Receive, Send, Exception], Awaitable[None]]


class StaticApp:
    """Serve the files of one directory; everything else is a spangle error."""

    __slots__ = ("_files", "_answer")

    def __init__(self, directory: str, answer: ErrorAnswer) -> None:
        """Serve `directory`; it need not exist until a file is asked for.

        Args:
            directory: The directory of static files.
            answer: Answers a request with an error, as the Api would.
        """
        self._files = StaticFiles(directory=directory, check_dir=False)
        self._answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI call (already stripped of `static_root`).

        Args:
            scope: The ASGI scope.
            receive: The ASGI receive callable.
            send: The ASGI send callable.
        """
        if scope["type"] == "websocket":
            await _refuse_websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        relative = safe_relative_path(scope["path"])
        try:
            if relative is None:
                raise NotFoundError()
            response = await self._files.get_response(relative, scope)
        except HTTPException as exc:
            await self._answer(scope, receive, send, _as_spangle_error(exc))
        except SpangleError as exc:
            await self._answer(scope, receive, send, exc)
        else:
            await response(scope, receive, send)


def _as_spangle_error(exc: HTTPException) -> SpangleError:
    if exc.status_code == 404:
        return NotFoundError()
    if exc.status_code == 405:
        return MethodNotAllowedError(allowed_methods=("GET", "HEAD"))
    return SpangleError(exc.detail, exc.status_code)


async def _refuse_websocket(scope: Scope, receive: Receive, send: Send) -> None:
    from spangle.models.websocket import Connection

    if (await receive())["type"] != "websocket.connect":
        return
    await Connection(scope, receive, send).reject(404, "Not Found")


def make_static_app(directory: str, answer: ErrorAnswer) -> ASGIApp:
    """Make the app serving a static directory.

    A missing directory is not an error until a file is asked for (then 404).

    Args:
        directory: The directory of static files.
        answer: Answers a request with an error, as the Api would.

    Returns:
        The ASGI app.
    """
    return StaticApp(directory, answer)
