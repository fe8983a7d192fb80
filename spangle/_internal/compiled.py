"""What an `Api` computes from its registrations before serving.

Registrations only record; the first call after a change builds this once:
the route table, handler table, hook tuples, lifespan order and the
middleware stack. A request then costs a few dict lookups.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from spangle._internal.asgi import ASGIApp
from spangle._internal.errors import HandlerTable
from spangle._internal.routing.router import Endpoint, RouteTable
from spangle._internal.views import ViewEntry
from spangle.blueprint import join_route

if TYPE_CHECKING:
    from spangle.api import Api

Hook = Callable[..., Awaitable[Any]]


class Compiled:
    """The serving tables of an Api.

    Attributes:
        routes: Route lookup.
        views: View entries by view class.
        errors: Error handler lookup.
        before_http, after_http: `on_request` of hook instances, in order.
        before_ws, after_ws: `on_ws` of hook instances, in order.
        startup, shutdown: Lifespan functions in SPEC order.
        default: The endpoint served for unmatched paths, or `None`.
        mounts: `(prefix, app)` pairs, longest prefix first.
        app: The middleware stack around the Api's dispatch.
    """

    __slots__ = (
        "routes",
        "views",
        "errors",
        "before_http",
        "after_http",
        "before_ws",
        "after_ws",
        "startup",
        "shutdown",
        "default",
        "mounts",
        "app",
    )

    def __init__(self, api: Api) -> None:
        walk = api._root._walk()
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
        handlers: dict[type[BaseException], Any] = {}
        # The Api's own handlers win over its blueprints': apply them last.
        for _, blueprint in reversed(walk):
            for collection in blueprint.error_handlers:
                for exc, cls in collection.handlers.items():
                    handlers[exc] = api._instance(cls)
        self.errors = HandlerTable(handlers)
        before = [
            api._instance(c) for _, bp in walk for c in bp.request_hooks["before"]
        ]
        after = [api._instance(c) for _, bp in walk for c in bp.request_hooks["after"]]
        self.before_http = _methods(before, "on_request")
        self.after_http = _methods(after, "on_request")
        self.before_ws = _methods(before, "on_ws")
        self.after_ws = _methods(after, "on_ws")
        components = list(api._components.values())
        self.startup = [
            *_methods(components, "startup"),
            *(f for _, bp in walk for f in bp.events["startup"]),
        ]
        self.shutdown = [
            *(f for _, bp in walk for f in bp.events["shutdown"]),
            *_methods(components, "shutdown"),
        ]
        self.default: tuple[Endpoint[ViewEntry], dict[str, Any]] | None = None
        if api.default_route is not None:
            self.default = self.routes.lookup(api.default_route)
            if self.default is None:
                raise ValueError(
                    f"default_route {api.default_route!r} matches no route"
                )
        self.mounts = sorted(api._mounts.items(), key=lambda item: -len(item[0]))
        app: ASGIApp = api._dispatch
        for factory, config in api._middleware:
            app = factory(app, **config)
        self.app = app


def _methods(instances: list[Any], name: str) -> tuple[Any, ...]:
    return tuple(getattr(i, name) for i in instances if hasattr(i, name))
