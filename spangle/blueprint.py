"""Blueprints: routes, hooks, error handlers and lifespan functions to mount."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple, TypeVar

from spangle.error_handler import ErrorHandler
from spangle.types import Converters, LifespanFunction, RoutingStrategy

__all__ = ["Blueprint", "Router"]

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=LifespanFunction)


class Route(NamedTuple):
    """One registered route.

    Attributes:
        path: The path template.
        view: The view class.
        converters: Custom converters for the template.
        routing: The trailing-slash strategy, `None` for the Api's.
    """

    path: str
    view: type
    converters: Converters | None
    routing: RoutingStrategy | None


class Router:
    """The routes of a blueprint, in registration order.

    Attributes:
        routes (`list[Route]`): Registered routes.
    """

    def __init__(self) -> None:
        """Make an empty router."""
        self.routes: list[Route] = []

    def add(
        self,
        path: str,
        view: type,
        converters: Converters | None = None,
        routing: RoutingStrategy | None = None,
    ) -> None:
        """Register a view at a path.

        Args:
            path: The path template.
            view: The view class.
            converters: Custom converters for the template.
            routing: The trailing-slash strategy, `None` for the Api's.
        """
        self.routes.append(Route(path, view, converters, routing))


class Blueprint:
    """A part of an application, mounted on an `Api` with `add_blueprint`.

    Attributes:
        router (`Router`): The blueprint's routes.
        error_handler (`ErrorHandler`): Its error handlers.
        events (`dict[str, list]`): Lifespan functions by event.
        request_hooks (`dict[str, list[type]]`): Hook classes, `"before"`
            and `"after"`.
        children (`list[tuple[str, Blueprint]]`): Nested blueprints.
    """

    def __init__(self) -> None:
        """Make an empty blueprint."""
        self.router = Router()
        self.error_handler = ErrorHandler()
        self.error_handlers: list[ErrorHandler] = [self.error_handler]
        self.events: dict[str, list[LifespanFunction]] = {"startup": [], "shutdown": []}
        self.request_hooks: dict[str, list[type]] = {"before": [], "after": []}
        self.children: list[tuple[str, Blueprint]] = []
        self._listeners: list[Callable[[], None]] = []
        self._own_handlers: list[ErrorHandler] = []
        self.error_handler._listeners.append(self._changed)

    def _changed(self) -> None:
        for notify in self._listeners:
            notify()

    def route(
        self,
        path: str,
        *,
        converters: Converters | None = None,
        routing: RoutingStrategy | None = None,
    ) -> Callable[[C], C]:
        """Bind the decorated view class to a path.

        Args:
            path: The path template, e.g. `/users/{id:int}`.
            converters: Custom converters by name.
            routing: The trailing-slash strategy; the Api's when `None`.

        Returns:
            A class decorator that returns the class unchanged.
        """

        def register(cls: C) -> C:
            self.router.add(path, cls, converters, routing)
            self._changed()
            return cls

        return register

    def handle(self, *exceptions: type[BaseException]) -> Callable[[C], C]:
        """Register the decorated class as the handler of `exceptions`.

        Args:
            *exceptions: Exception types to handle.

        Returns:
            A class decorator that returns the class unchanged.
        """
        own = self.error_handlers[-1]
        if own is not self.error_handler and own not in self._own_handlers:
            # Keep registration order: a handler registered after an
            # added ErrorHandler must win over it for the same type.
            own = ErrorHandler()
            self._own_handlers.append(own)
            self._attach(own)
        return own.handle(*exceptions)

    def add_error_handler(self, handler: ErrorHandler) -> None:
        """Register every handler of an `ErrorHandler`.

        Args:
            handler: The collection to add; for one exception type, the
                handler registered last on this blueprint wins.
        """
        self._attach(handler)
        self._changed()

    def _attach(self, handler: ErrorHandler) -> None:
        self.error_handlers.append(handler)
        handler._listeners.append(self._changed)

    def add_lifespan_handler(
        self, event: Literal["startup", "shutdown"], handler: LifespanFunction
    ) -> None:
        """Register a function to run at startup or shutdown.

        Args:
            event: `"startup"` or `"shutdown"`.
            handler: A function without arguments, sync or async.

        Raises:
            ValueError: `event` is neither `"startup"` nor `"shutdown"`.
        """
        if event not in self.events:
            raise ValueError(
                f"lifespan event must be 'startup' or 'shutdown', not {event!r}"
            )
        self.events[event].append(handler)
        self._changed()

    def on_start(self, func: F) -> F:
        """Run the decorated function at startup.

        Args:
            func: A function without arguments, sync or async.

        Returns:
            The function unchanged.
        """
        self.add_lifespan_handler("startup", func)
        return func

    def on_stop(self, func: F) -> F:
        """Run the decorated function at shutdown.

        Args:
            func: A function without arguments, sync or async.

        Returns:
            The function unchanged.
        """
        self.add_lifespan_handler("shutdown", func)
        return func

    def before_request(self, cls: C) -> C:
        """Run the decorated hook class before every request and connection.

        Args:
            cls: A class with `on_request(req, resp)` and/or `on_ws(conn)`.

        Returns:
            The class unchanged.
        """
        self.request_hooks["before"].append(cls)
        self._changed()
        return cls

    def after_request(self, cls: C) -> C:
        """Run the decorated hook class after every request and connection.

        Args:
            cls: A class with `on_request(req, resp)` and/or `on_ws(conn)`.

        Returns:
            The class unchanged.
        """
        self.request_hooks["after"].append(cls)
        self._changed()
        return cls

    def add_blueprint(self, path: str, blueprint: Blueprint) -> None:
        """Nest another blueprint under a path prefix.

        Args:
            path: The prefix for the child's routes.
            blueprint: The child blueprint.

        Raises:
            ValueError: The child is this blueprint or one of its ancestors.
        """
        if any(bp is self for _, bp in blueprint._walk()):
            raise ValueError("a blueprint cannot contain itself")
        self.children.append((path, blueprint))
        blueprint._listeners.append(self._changed)
        self._changed()

    def _walk(self, prefix: str = "") -> list[tuple[str, Blueprint]]:
        """List this blueprint and its descendants with their full prefixes."""
        found: list[tuple[str, Blueprint]] = [(prefix, self)]
        for path, child in self.children:
            found.extend(child._walk(_join(prefix, path)))
        return found


def _join(prefix: str, path: str) -> str:
    return "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))


def join_route(prefix: str, path: str) -> str:
    """Join a blueprint prefix and a route template.

    Args:
        prefix: The blueprint's prefix.
        path: The route template.

    Returns:
        The full template; a trailing slash of `path` is kept, so `/`
        under `/api` is `/api/` while `""` is `/api`.
    """
    head = prefix.strip("/")
    tail = path.lstrip("/")
    if not head:
        return "/" + tail
    if not path:
        return "/" + head
    # `/` under `/api` is `/api/`, as in Flask: the strategy decides the rest.
    return "/" + head + "/" + tail
