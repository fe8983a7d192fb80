"""The mark of the cancellation that ends a view still running at shutdown.

When the server shuts down, open WebSocket connections are closed with 1012;
a view still running when the shutdown timeout ends is cancelled with this
message, and `Connection` turns that cancellation into `WebSocketDisconnect`
in whatever `receive` or `send` it is waiting.
"""

from __future__ import annotations

import asyncio

SHUTDOWN_CANCEL = "spangle: the server shut down"
# What uvicorn cancels its tasks with when `--timeout-graceful-shutdown`
# runs out: a view served by plain `uvicorn` ends the same way.
_UVICORN_CANCEL = "Task cancelled, timeout graceful shutdown exceeded"
_SHUTDOWN_CANCELS = frozenset((SHUTDOWN_CANCEL, _UVICORN_CANCEL))


def is_shutdown_cancel(exc: asyncio.CancelledError) -> bool:
    """Tell whether a cancellation is a server shutdown's.

    Args:
        exc: The cancellation.

    Returns:
        Whether it carries `SHUTDOWN_CANCEL` or uvicorn's own message.
    """
    return bool(exc.args) and exc.args[0] in _SHUTDOWN_CANCELS


def uncancel_current_task() -> None:
    """Forget one cancellation request of the running task (Python 3.11+).

    Without it, `asyncio.timeout` blocks later in the task would take their
    own expiry for the shutdown's.
    """
    task = asyncio.current_task()
    if task is not None and hasattr(task, "uncancel"):
        task.uncancel()
