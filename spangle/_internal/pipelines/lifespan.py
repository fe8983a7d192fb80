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

    Args:
        startup: Component startups, then start functions, in order.
        shutdown: Stop functions, then component shutdowns, in order.
        receive: The ASGI receive callable.
        send: The ASGI send callable.
    """
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            failure = await _run(startup, stop_at_first=True)
            if failure is not None:
                await send({"type": "lifespan.startup.failed", "message": failure})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            failure = await _run(shutdown, stop_at_first=False)
            if failure is not None:
                await send({"type": "lifespan.shutdown.failed", "message": failure})
            else:
                await send({"type": "lifespan.shutdown.complete"})
            return


async def _run(
    functions: Sequence[Callable[[], Any]], stop_at_first: bool
) -> str | None:
    failure: str | None = None
    for func in functions:
        try:
            await call_maybe_async(func)
        except Exception as exc:
            name = getattr(func, "__qualname__", repr(func))
            logger.exception("lifespan function %s failed", name)
            failure = failure or f"{name} failed: {type(exc).__name__}: {exc}"
            if stop_at_first:
                break
    return failure
