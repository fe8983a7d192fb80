"""Type aliases used in spangle's public signatures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypedDict

__all__ = ["RoutingStrategy", "Converters", "LifespanFunction", "LifespanHandlers"]

RoutingStrategy = Literal["no_slash", "slash", "strict", "clone"]
"""How a route treats a trailing slash.

- `"no_slash"`: `/a/` redirects (308) to `/a`.
- `"slash"`: `/a` redirects (308) to `/a/`.
- `"strict"`: only the path as written matches.
- `"clone"`: `/a` and `/a/` both serve the view.
"""

Converters = dict[str, Callable[[str], Any]]
"""Path parameter converters by name; a callable may carry a `pattern` regex."""

LifespanFunction = Callable[[], Awaitable[None] | None]
"""A function run at startup or shutdown, sync or async, without arguments."""


class LifespanHandlers(TypedDict):
    """Lifespan functions by event: `"startup"` and `"shutdown"`."""

    startup: list[LifespanFunction]
    shutdown: list[LifespanFunction]
