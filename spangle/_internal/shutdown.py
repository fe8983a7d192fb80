"""The mark of the cancellation that ends a view still running at shutdown.

When the server shuts down, open WebSocket connections are closed with 1012;
a view still running when the shutdown timeout ends is cancelled with this
message, and `Connection` turns that cancellation into `WebSocketDisconnect`
in whatever `receive` or `send` it is waiting.
"""

from __future__ import annotations

import asyncio

SHUTDOWN_CANCEL = "spangle: the server shut down"


def is_shutdown_cancel(exc: asyncio.CancelledError) -> bool:
    """Tell whether a cancellation is the shutdown's.

    Args:
        exc: The cancellation.

    Returns:
        Whether it carries `SHUTDOWN_CANCEL`.
    """
    return bool(exc.args) and exc.args[0] == SHUTDOWN_CANCEL


def uncancel_current_task() -> None:
    """Forget one cancellation request of the running task (Python 3.11+).

    Without it, `asyncio.timeout` blocks later in the task would take their
    own expiry for the shutdown's.
    """
    task = asyncio.current_task()
    if task is not None and hasattr(task, "uncancel"):
        task.uncancel()
