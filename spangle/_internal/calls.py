"""Call helpers for user functions that may be sync or async."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


async def call_maybe_async(func: Callable[[], Any]) -> Any:
    """Call a function and await its result when it is awaitable.

    Args:
        func: A function without arguments.

    Returns:
        What the function returned, awaited if needed.
    """
    result = func()
    if inspect.isawaitable(result):
        return await result
    return result
