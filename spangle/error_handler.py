"""A collection of error handlers to register on an `Api` or `Blueprint`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["ErrorHandler"]

C = TypeVar("C", bound=type)


class ErrorHandler:
    """Error handler classes by the exception types they handle.

    A handler class has `on_error(self, req, resp, e)` for HTTP and/or
    `on_ws_error(self, conn, e)` for WebSocket; it is created once, with no
    arguments, when the Api starts serving.

    Attributes:
        handlers (`dict[type[BaseException], type]`): Registered handler classes.
    """

    def __init__(self) -> None:
        """Make an empty collection."""
        self.handlers: dict[type[BaseException], type] = {}
        self._listeners: list[Callable[[], None]] = []

    def handle(self, *exceptions: type[BaseException]) -> Callable[[C], C]:
        """Register the decorated class as the handler of `exceptions`.

        Args:
            *exceptions: Exception types; subclasses are handled too unless
                they have a handler of their own.

        Returns:
            A class decorator that returns the class unchanged; it raises
            `ValueError` for a class with neither `on_error` nor `on_ws_error`.
        """

        def register(cls: C) -> C:
            if not (
                callable(getattr(cls, "on_error", None))
                or callable(getattr(cls, "on_ws_error", None))
            ):
                raise ValueError(
                    f"error handler {cls.__qualname__} needs an on_error or "
                    "on_ws_error method"
                )
            for exc in exceptions:
                self.handlers[exc] = cls
            for notify in self._listeners:
                notify()
            return cls

        return register

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every registration in this collection.

        A blueprint or Api the collection was added to subscribes, to
        rebuild its tables on its next call.

        Args:
            listener: A function without arguments.
        """
        self._listeners.append(listener)
