"""Error handler lookup by the exception's MRO, cached per exception type."""

from __future__ import annotations

from typing import Any


class HandlerTable:
    """Error handler instances by exception type.

    A lookup walks `type(exc).__mro__` once per exception type and caches
    the answer; registration clears the cache.
    """

    __slots__ = ("_handlers", "_cache")

    def __init__(self, handlers: dict[type[BaseException], Any] | None = None) -> None:
        self._handlers: dict[type[BaseException], Any] = dict(handlers or {})
        self._cache: dict[type[BaseException], Any] = {}

    def find(self, exc_type: type[BaseException]) -> Any | None:
        """Find the handler of the closest registered base of `exc_type`.

        Args:
            exc_type: The raised exception's type.

        Returns:
            The handler instance, or `None` when no base is registered.
        """
        try:
            return self._cache[exc_type]
        except KeyError:
            pass
        found = None
        for base in exc_type.__mro__:
            if base in self._handlers:
                found = self._handlers[base]
                break
        self._cache[exc_type] = found
        return found
