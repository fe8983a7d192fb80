"""The ASGI lifespan protocol: startup and shutdown in SPEC order."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from spangle._internal.asgi import Receive, Send
from spangle._internal.calls import call_maybe_async

logger = logging.getLogger("spangle")


async def serve_lifespan(
    startup: Sequence[Callable[[], Any]],
    shutdown: Sequence[Callable[[], Any]],
    receive: Receive,
    send: Send,
) -> None:
    """Answer the server's lifespan events until shutdown.

    A failure is reported as `lifespan.startup.failed` (the first one stops
    the startup) or `lifespan.shutdown.failed` (every function still runs),
    then re-raised, as Starlette does: servers that read the report ignore
    the exception, clients that do not (such as `asgi-lifespan`) see it.

    Args:
        startup: Component startups, then start functions, in order.
        shutdown: Stop functions, then component shutdowns, in order.
        receive: The ASGI receive callable.
        send: The ASGI send callable.

    Raises:
        Exception: The first exception a lifespan function raised.
    """
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await _run("startup", startup, send, stop_at_first=True)
        elif message["type"] == "lifespan.shutdown":
            await _run("shutdown", shutdown, send, stop_at_first=False)
            return


async def _run(
    event: str, functions: Sequence[Callable[[], Any]], send: Send, stop_at_first: bool
) -> None:
    failure: tuple[str, Exception] | None = None
    for func in functions:
        try:
            await call_maybe_async(func)
        except Exception as exc:
            name = getattr(func, "__qualname__", repr(func))
            logger.exception("lifespan %s function %s failed", event, name)
            if failure is None:
                failure = f"{name} failed: {type(exc).__name__}: {exc}", exc
            if stop_at_first:
                break
    if failure is None:
        await send({"type": f"lifespan.{event}.complete"})
        return
    await send({"type": f"lifespan.{event}.failed", "message": failure[0]})
    raise failure[1]
