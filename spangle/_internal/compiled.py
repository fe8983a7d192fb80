"""What an `Api` computes from its registrations before serving.

Registrations only record; the first call after a change builds this once:
the route table, handler table, hook tuples, lifespan order and mounts. A
request then costs a few dict lookups. It is given what it needs: the
Api's blueprints and settings, and the function that makes (once) the
instance of a view, hook or handler class.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from spangle._internal.asgi import ASGIApp
from spangle._internal.errors import HandlerTable
from spangle._internal.origin import OriginPolicy
from spangle._internal.pipelines.websocket import OpenConnections
from spangle._internal.routing.router import Endpoint, RouteTable
from spangle._internal.views import ViewEntry
from spangle.blueprint import Blueprint, join_route
from spangle.types import LifespanHandlers, RoutingStrategy

Hook = Callable[..., Awaitable[Any]]
MiB = 1024 * 1024


class Compiled:
    """The serving tables of an Api.

    Attributes:
        routes: Route lookup.
        views: View entries by view class.
        ws_errors: Error handler lookup among handlers with `on_ws_error`.
        http_errors: Error handler lookup among handlers with `on_error`.
        before_http, after_http: `on_request` of hook instances, in order.
        before_ws, after_ws: `on_ws` of hook instances, in order.
        startup, shutdown: Lifespan functions in SPEC order; the shutdown
            first closes the open WebSocket connections.
        default: The endpoint served for unmatched paths, or `None`.
        mounts: `(prefix, app)` pairs, longest prefix first, root excluded.
        mount_prefixes: Their prefixes (and `/favicon.ico` when the Api has
            a favicon), for one `str.startswith` per request.
        root_mount: The app mounted at `/`, served when no route matches.
        middleware: The middleware stack around the Api's dispatch, or
            `None` when there is no middleware.
        max_upload_bytes: The largest request body accepted.
        ws_max_message_bytes: The largest WebSocket message accepted.
        origin_policy: Which browser origins may open a WebSocket.
        open_connections: The Api's open WebSocket connections.
    """

    __slots__ = (
        "routes",
        "views",
        "ws_errors",
        "http_errors",
        "before_http",
        "after_http",
        "before_ws",
        "after_ws",
        "startup",
        "shutdown",
        "default",
        "mounts",
        "mount_prefixes",
        "root_mount",
        "middleware",
        "max_upload_bytes",
        "ws_max_message_bytes",
        "origin_policy",
        "open_connections",
    )

    def __init__(
        self,
        blueprints: list[tuple[str, Blueprint]],
        *,
        instance: Callable[[type], Any] = lambda cls: cls(),
        routing: RoutingStrategy = "no_slash",
        default_route: str | None = None,
        error_handlers: Mapping[type[BaseException], type] | None = None,
        hooks: Mapping[str, list[type]] | None = None,
        components: Iterable[Any] = (),
        lifespan: LifespanHandlers | None = None,
        mounts: Mapping[str, ASGIApp] | None = None,
        favicon: str | None = None,
        middleware: ASGIApp | None = None,
        max_upload_bytes: int = 10 * MiB,
        ws_max_message_bytes: int = MiB,
        origin_policy: OriginPolicy | None = None,
        open_connections: OpenConnections | None = None,
    ) -> None:
        """Build the tables.

        Args:
            blueprints: `(prefix, blueprint)` pairs whose routes to serve,
                in registration order.
            instance: Returns the one instance of a view, hook or handler
                class.
            routing: The trailing-slash strategy of routes without one.
            default_route: The path whose view serves unmatched paths.
            error_handlers: Handler classes by exception type.
            hooks: Hook classes, `"before"` and `"after"`, in run order.
            components: Component instances, in registration order.
            lifespan: Lifespan functions, `"startup"` and `"shutdown"`.
            mounts: Mounted apps by normalized prefix (`""` for the root).
            favicon: The Api's favicon file, if any.
            middleware: The middleware stack, or `None` without middleware.
            max_upload_bytes: The largest request body accepted.
            ws_max_message_bytes: The largest WebSocket message accepted.
            origin_policy: Which browser origins may open a WebSocket; by
                default, the same host only.
            open_connections: Where the WebSocket pipeline keeps the open
                connections, to close them at shutdown.

        Raises:
            ValueError: `default_route` matches no route.
        """
        self._build_routes(blueprints, instance, routing, default_route)
        handlers = {e: instance(cls) for e, cls in (error_handlers or {}).items()}
        # A handler without on_ws_error must not hide a WebSocket-capable one
        # registered for a base class.
        self.ws_errors = HandlerTable(
            {e: h for e, h in handlers.items() if hasattr(h, "on_ws_error")}
        )
        self.http_errors = HandlerTable(
            {e: h for e, h in handlers.items() if hasattr(h, "on_error")}
        )
        hooks = hooks or {}
        before = [instance(c) for c in hooks.get("before", ())]
        after = [instance(c) for c in hooks.get("after", ())]
        self.before_http = _methods(before, "on_request")
        self.after_http = _methods(after, "on_request")
        self.before_ws = _methods(before, "on_ws")
        self.after_ws = _methods(after, "on_ws")
        components = list(components)
        functions = lifespan or LifespanHandlers(startup=[], shutdown=[])
        self.startup = [*_methods(components, "startup"), *functions["startup"]]
        self.shutdown = [*functions["shutdown"], *_methods(components, "shutdown")]
        self._build_mounts(mounts or {}, favicon)
        self.middleware = middleware
        self.max_upload_bytes = max_upload_bytes
        self.ws_max_message_bytes = ws_max_message_bytes
        self.origin_policy = (
            OriginPolicy(None) if origin_policy is None else origin_policy
        )
        # Not `or`: an empty registry is falsy.
        self.open_connections = (
            OpenConnections() if open_connections is None else open_connections
        )

    def _build_routes(
        self,
        blueprints: list[tuple[str, Blueprint]],
        instance: Callable[[type], Any],
        routing: RoutingStrategy,
        default_route: str | None,
    ) -> None:
        self.routes: RouteTable[ViewEntry] = RouteTable()
        entries: dict[type, ViewEntry] = {}
        for prefix, blueprint in blueprints:
            for route in blueprint.router.routes:
                entry = entries.get(route.view)
                if entry is None:
                    entry = entries[route.view] = ViewEntry(instance(route.view))
                self.routes.add(
                    join_route(prefix, route.path),
                    entry,
                    route.converters,
                    route.routing or routing,
                )
        self.views = entries
        self.default: tuple[Endpoint[ViewEntry], dict[str, Any]] | None = None
        if default_route is not None:
            self.default = self.routes.lookup(default_route)
            if self.default is None:
                raise ValueError(f"default_route {default_route!r} matches no route")

    def _build_mounts(self, mounts: Mapping[str, ASGIApp], favicon: str | None) -> None:
        ordered = sorted(mounts.items(), key=lambda item: -len(item[0]))
        self.mounts = [(prefix, app) for prefix, app in ordered if prefix]
        self.mount_prefixes = tuple(prefix for prefix, _ in self.mounts)
        if self.mounts and favicon is not None:
            # Served by the static mount once the pipeline rewrites the path.
            self.mount_prefixes += ("/favicon.ico",)
        self.root_mount: ASGIApp | None = mounts.get("")


def _methods(instances: list[Any], name: str) -> tuple[Any, ...]:
    return tuple(getattr(i, name) for i in instances if hasattr(i, name))
