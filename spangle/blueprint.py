"""Blueprints: routes, hooks, error handlers and lifespan functions to mount."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple, TypeVar

from spangle._internal.routing.router import RouteTable
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
    """Routes in registration order, and the view each path leads to.

    A blueprint's router holds its own routes; `Api.router` answers for
    every route of the app, its blueprints' included.

    Attributes:
        routes (`list[Route]`): Registered routes.
        routing (`RoutingStrategy | None`): The trailing-slash strategy of
            routes registered without one; `None` for the Api's.
        default_route (`str | None`): The path whose view serves paths no
            route matches.
    """

    def __init__(
        self,
        routing: RoutingStrategy | None = None,
        *,
        lookup: Callable[[str], tuple[type, dict[str, Any]] | None] | None = None,
    ) -> None:
        """Make an empty router.

        Args:
            routing: The trailing-slash strategy of routes without one.
            lookup: Finds the view of a path among more routes than this
                router's own (the Api gives its whole route table).
        """
        self.routes: list[Route] = []
        self.routing = routing
        self.default_route: str | None = None
        self._lookup = lookup
        self._table: RouteTable[type] | None = None

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
        self._table = None

    def get(self, path: str) -> tuple[type, dict[str, Any]] | None:
        """Find the view that serves a path.

        Args:
            path: A request path, e.g. `/users/42`.

        Returns:
            The view class and the path parameters, converted; `None` when
            no route serves the path (one that only redirects to add or
            strip a trailing slash does not serve it).
        """
        if self._lookup is not None:
            return self._lookup(path)
        if self._table is None:
            self._table = RouteTable()
            for route in self.routes:
                strategy = route.routing or self.routing or "no_slash"
                self._table.add(route.path, route.view, route.converters, strategy)
        found = self._table.lookup(path)
        if found is None or found[0].redirect is not None:
            return None
        return found[0].target, dict(found[1])


class Registrar:
    """The registration methods `Api` and `Blueprint` share.

    Each method records on one blueprint: a `Blueprint` records on itself,
    an `Api` on the root blueprint that holds its own registrations.
    """

    __slots__ = ()

    def _blueprint(self) -> Blueprint:
        """Return the blueprint that records what is registered here."""
        raise NotImplementedError

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
            routing: The trailing-slash strategy of this route; the Api's
                when `None`.

        Returns:
            A class decorator that returns the class unchanged.
        """
        blueprint = self._blueprint()

        def register(cls: C) -> C:
            blueprint.router.add(path, cls, converters, routing)
            blueprint._changed()
            return cls

        return register

    def handle(self, *exceptions: type[BaseException]) -> Callable[[C], C]:
        """Register the decorated class as the handler of `exceptions`.

        Args:
            *exceptions: Exception types; lookup follows the raised type's
                MRO, so subclasses are handled too unless they have a
                handler of their own.

        Returns:
            A class decorator that returns the class unchanged.
        """
        return self._blueprint()._latest_handlers().handle(*exceptions)

    def add_error_handler(self, eh: ErrorHandler) -> None:
        """Register every handler of an `ErrorHandler`.

        Args:
            eh: The collection to add; for one exception type, the handler
                registered last here wins.
        """
        blueprint = self._blueprint()
        blueprint._attach(eh)
        blueprint._changed()

    def add_lifespan_handler(
        self, event_type: Literal["startup", "shutdown"], handler: LifespanFunction
    ) -> None:
        """Register a function to run at startup or shutdown.

        Args:
            event_type: `"startup"` or `"shutdown"`.
            handler: A function without arguments, sync or async.

        Raises:
            ValueError: `event_type` is neither `"startup"` nor `"shutdown"`.
        """
        blueprint = self._blueprint()
        if event_type not in blueprint.events:
            raise ValueError(
                f"lifespan event must be 'startup' or 'shutdown', not {event_type!r}"
            )
        blueprint.events[event_type].append(handler)
        blueprint._changed()

    # duplicates: on_start/on_stop and before/after_request differ in one
    # word each; they are the public names 0.11 documents.
    def on_start(self, f: F) -> F:
        """Run the decorated function at startup, after the components' startups.

        Args:
            f: A function without arguments, sync or async.

        Returns:
            The function unchanged.
        """
        self.add_lifespan_handler("startup", f)
        return f

    def on_stop(self, f: F) -> F:
        """Run the decorated function at shutdown, before the components' shutdowns.

        Args:
            f: A function without arguments, sync or async.

        Returns:
            The function unchanged.
        """
        self.add_lifespan_handler("shutdown", f)
        return f

    def before_request(self, handler: C) -> C:
        """Run the decorated hook class before every request and connection.

        Args:
            handler: A class with `on_request(req, resp)` and/or `on_ws(conn)`.

        Returns:
            The class unchanged.
        """
        return self._blueprint()._add_hook("before", handler)

    def after_request(self, handler: C) -> C:
        """Run the decorated hook class after every request and closed connection.

        Args:
            handler: A class with `on_request(req, resp)` and/or `on_ws(conn)`.

        Returns:
            The class unchanged.
        """
        return self._blueprint()._add_hook("after", handler)

    def add_blueprint(self, path: str, blueprint: Blueprint) -> None:
        """Mount a blueprint's routes, hooks, handlers and lifespan functions.

        Args:
            path: The prefix for the blueprint's routes.
            blueprint: The blueprint to nest.

        Raises:
            ValueError: The blueprint is this one or one of its ancestors.
        """
        parent = self._blueprint()
        if any(known is parent for _, known in blueprint.tree()):
            raise ValueError("a blueprint cannot contain itself")
        parent.children.append((path, blueprint))
        blueprint.subscribe(parent._changed)
        parent._changed()


class Blueprint(Registrar):
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
        self.error_handler.subscribe(self._changed)

    @property
    def views(
        self,
    ) -> dict[str, tuple[type, Converters, RoutingStrategy | None]]:
        """The routed views by full path, nested blueprints' included.

        A snapshot: `(view, converters, routing)` by path template; for a
        path registered twice, the view that serves it (the first).
        """
        views: dict[str, tuple[type, Converters, RoutingStrategy | None]] = {}
        for prefix, blueprint in self.tree():
            for route in blueprint.router.routes:
                views.setdefault(
                    join_route(prefix, route.path),
                    (route.view, dict(route.converters or {}), route.routing),
                )
        return views

    def add_blueprint(self, path: str, bp: Blueprint) -> None:
        """Nest another blueprint under a path prefix.

        Args:
            path: The prefix for the child's routes.
            bp: The child blueprint.

        Raises:
            ValueError: The child is this blueprint or one of its ancestors.
        """
        # Only the argument's name differs from the Api's: 0.11 named it so.
        super().add_blueprint(path, bp)

    def tree(self) -> list[tuple[str, Blueprint]]:
        """List this blueprint and its nested ones, depth-first.

        Returns:
            `(prefix, blueprint)` pairs, this one first with prefix `""`;
            a prefix is the joined path of every blueprint above.
        """
        return self._tree("")

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every registration here or in a nested blueprint.

        An `Api` subscribes to rebuild its tables on its next call.

        Args:
            listener: A function without arguments.
        """
        self._listeners.append(listener)

    def _blueprint(self) -> Blueprint:
        return self

    def _changed(self) -> None:
        for notify in self._listeners:
            notify()

    def _tree(self, prefix: str) -> list[tuple[str, Blueprint]]:
        found: list[tuple[str, Blueprint]] = [(prefix, self)]
        for path, child in self.children:
            found.extend(child._tree(_join(prefix, path)))
        return found

    def _latest_handlers(self) -> ErrorHandler:
        """Return the collection a new `handle` registration goes to."""
        latest = self.error_handlers[-1]
        if latest is self.error_handler or latest in self._own_handlers:
            return latest
        # Keep registration order: a handler registered after an added
        # ErrorHandler must win over it for the same type.
        own = ErrorHandler()
        self._own_handlers.append(own)
        self._attach(own)
        return own

    def _attach(self, handlers: ErrorHandler) -> None:
        self.error_handlers.append(handlers)
        handlers.subscribe(self._changed)

    def _add_hook(self, kind: str, handler: C) -> C:
        self.request_hooks[kind].append(handler)
        self._changed()
        return handler


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
