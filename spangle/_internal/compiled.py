"""What an `Api` computes from its registrations before serving.

Registrations only record; the first call after a change builds this once:
the route table, handler table, hook tuples, lifespan order and mounts. A
request then costs a few dict lookups. The middleware stack is built apart
(`middleware_stack`) so that adding a route keeps middleware instances.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from spangle._internal.asgi import ASGIApp
from spangle._internal.errors import HandlerTable
from spangle._internal.routing.router import Endpoint, RouteTable
from spangle._internal.views import ViewEntry
from spangle.blueprint import Blueprint, join_route
from spangle.component import api_ctx

if TYPE_CHECKING:
    from spangle.api import Api

Hook = Callable[..., Awaitable[Any]]


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
    )

    def __init__(self, api: Api) -> None:
        # Views, hooks and handlers are created here; their `__init__` may
        # call `use_component`, so the Api must be the current one.
        token = api_ctx.set(api)
        try:
            self._build(api)
        finally:
            api_ctx.reset(token)

    def _build(self, api: Api) -> None:
        self._build_routes(api, api._root._walk())
        handlers = {exc: api._instance(cls) for exc, cls in api.error_handlers.items()}
        # A handler without on_ws_error must not hide a WebSocket-capable one
        # registered for a base class.
        self.ws_errors = HandlerTable(
            {e: h for e, h in handlers.items() if hasattr(h, "on_ws_error")}
        )
        self.http_errors = HandlerTable(
            {e: h for e, h in handlers.items() if hasattr(h, "on_error")}
        )
        hooks = api.request_hooks
        before = [api._instance(c) for c in hooks["before"]]
        after = [api._instance(c) for c in hooks["after"]]
        self.before_http = _methods(before, "on_request")
        self.after_http = _methods(after, "on_request")
        self.before_ws = _methods(before, "on_ws")
        self.after_ws = _methods(after, "on_ws")
        components = list(api._components.values())
        functions = api.lifespan_handlers
        self.startup = [*_methods(components, "startup"), *functions["startup"]]
        self.shutdown = [
            # Views still running would find the components shut down.
            api._close_connections,
            *functions["shutdown"],
            *_methods(components, "shutdown"),
        ]
        mounts = sorted(api._mounts.items(), key=lambda item: -len(item[0]))
        self.mounts = [(prefix, app) for prefix, app in mounts if prefix]
        self.mount_prefixes = tuple(prefix for prefix, _ in self.mounts)
        if self.mounts and api.favicon is not None:
            # Served by the static mount once the pipeline rewrites the path.
            self.mount_prefixes += ("/favicon.ico",)
        self.root_mount: ASGIApp | None = api._mounts.get("")
        self.middleware = middleware_stack(api) if api._middleware else None

    def _build_routes(self, api: Api, walk: list[tuple[str, Blueprint]]) -> None:
        self.routes: RouteTable[ViewEntry] = RouteTable()
        entries: dict[type, ViewEntry] = {}
        for prefix, blueprint in walk:
            for route in blueprint.router.routes:
                entry = entries.get(route.view)
                if entry is None:
                    entry = entries[route.view] = ViewEntry(api._instance(route.view))
                self.routes.add(
                    join_route(prefix, route.path),
                    entry,
                    route.converters,
                    route.routing or api.routing,
                )
        self.views = entries
        self.default: tuple[Endpoint[ViewEntry], dict[str, Any]] | None = None
        if api.default_route is not None:
            self.default = self.routes.lookup(api.default_route)
            if self.default is None:
                raise ValueError(
                    f"default_route {api.default_route!r} matches no route"
                )


def middleware_stack(api: Api) -> ASGIApp:
    """Return the Api's middleware stack, building it after a change.

    The stack wraps `api._dispatch`, which reads the current tables itself,
    so it survives route and handler registrations.

    Args:
        api: The Api.

    Returns:
        The outermost app: the middleware added last.
    """
    if api._stack is None:
        app: ASGIApp = api._dispatch
        for factory, config in api._middleware:
            app = factory(app, **config)
        api._stack = app
    return api._stack


def _methods(instances: list[Any], name: str) -> tuple[Any, ...]:
    return tuple(getattr(i, name) for i in instances if hasattr(i, name))
