"""The application: options, registration, and the ASGI entry point."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from spangle._internal.asgi import ASGIApp, Receive, Scope, Send
from spangle._internal.compiled import Compiled
from spangle._internal.components import bind_methods
from spangle._internal.mount import (
    find_mount,
    normalize_prefix,
    serve_mounted,
    strip_root_path,
)
from spangle._internal.origin import OriginPolicy
from spangle._internal.pipelines.http import serve_http, serve_http_error
from spangle._internal.pipelines.lifespan import serve_lifespan
from spangle._internal.pipelines.websocket import OpenConnections, serve_websocket
from spangle.blueprint import Blueprint, Registrar, Router
from spangle.component import api_ctx
from spangle.exceptions import CloseCode
from spangle.types import Converters, LifespanHandlers, RoutingStrategy

if TYPE_CHECKING:
    from spangle.testing import AsyncHttpTestClient

__all__ = ["Api"]

C = TypeVar("C", bound=type)

MiB = 1024 * 1024

# The options the built app copies: setting one later builds it again.
_BUILD_OPTIONS = frozenset(
    {
        "routing",
        "default_route",
        "favicon",
        "max_upload_bytes",
        "ws_max_message_bytes",
        "allowed_origins",
    }
)


class Api(Registrar):
    """The application: an ASGI3 callable serving views, hooks and components.

    Attributes:
        router (`Router`): Every route of the app; `router.get(path)`
            finds the view of a path.
        debug (`bool`): Development mode.
        routing (`RoutingStrategy`): The default trailing-slash strategy.
        default_route (`str | None`): Path whose view serves unmatched paths.
        max_upload_bytes (`int`): The largest request body accepted.
        max_json_bytes (`int`): The largest JSON body `media()` decodes.
        max_form_fields (`int`): The most fields of a form `media()` decodes.
        max_form_files (`int`): The most files of a multipart form.
        max_form_part_bytes (`int`): The largest multipart field (not file).
        ws_max_message_bytes (`int`): The largest WebSocket message accepted.
        allowed_origins (`list[str] | None`): Browser origins allowed to open
            WebSockets; `None` for same host only.
        ws_shutdown_timeout (`float`): Seconds the lifespan shutdown waits for
            open WebSocket connections to close before cancelling their views.
    """

    # Set by `__setattr__` with `allowed_origins`.
    _origin_policy: OriginPolicy

    def __init__(
        self,
        debug: bool = False,
        static_root: str | None = "/static",
        static_dir: str | None = "static",
        favicon: str | None = None,
        auto_escape: bool = True,
        templates_dir: str | None = "templates",
        routing: RoutingStrategy = "no_slash",
        default_route: str | None = None,
        middleware: Sequence[tuple[Callable[..., ASGIApp], dict[str, Any]]]
        | None = None,
        components: Sequence[type] | None = None,
        max_upload_bytes: int = 10 * MiB,
        ws_max_message_bytes: int = 1 * MiB,
        allowed_origins: Iterable[str] | None = None,
        ws_shutdown_timeout: float = 5.0,
        max_json_bytes: int = 512 * 1024,
        max_form_fields: int = 1000,
        max_form_files: int = 1000,
        max_form_part_bytes: int = 1 * MiB,
    ) -> None:
        """Make an application.

        Args:
            debug: Development mode: the 500 page of an unhandled exception
                shows its traceback.
            static_root: URL prefix of static files; `None` disables them.
            static_dir: Directory of static files; `None` disables them.
            favicon: File in `static_dir` served at `/favicon.ico`.
            auto_escape: Escape HTML in templates.
            templates_dir: Directory of Jinja2 templates.
            routing: Trailing-slash strategy: `no_slash`, `slash`, `strict`, `clone`.
            default_route: Path whose view serves paths no route matches.
            middleware: `(class, config)` pairs; the last runs outermost.
            components: Component classes to register.
            max_upload_bytes: The largest request body accepted (413 above).
            ws_max_message_bytes: The largest WebSocket message accepted
                (close 1009 above).
            allowed_origins: Browser origins allowed to open WebSockets:
                `None` for the same host and port as `Host`, `["*"]` for any.
            ws_shutdown_timeout: Seconds the lifespan shutdown waits for open
                WebSocket connections, closed with 1012, to end before it
                cancels their views and runs the stop functions.
            max_json_bytes: The largest JSON body `media()` decodes (413
                above): JSON is decoded on the event loop, about 60 ms a MiB
                of small objects.
            max_form_fields: The most fields (urlencoded pairs or multipart
                parts without a filename) `media()` decodes (413 above).
            max_form_files: The most files of a multipart form (413 above).
            max_form_part_bytes: The largest multipart field that is not a
                file, held in memory (413 above).
        """
        # duplicates: the options, kept as given, one line each.
        self.debug = debug
        self.static_root = static_root
        self.static_dir = static_dir
        self.favicon = favicon
        self.auto_escape = auto_escape
        self.templates_dir = templates_dir
        self.routing: RoutingStrategy = routing
        self.default_route = default_route
        self.max_upload_bytes = max_upload_bytes
        self.ws_max_message_bytes = ws_max_message_bytes
        self.max_json_bytes = max_json_bytes
        self.max_form_fields = max_form_fields
        self.max_form_files = max_form_files
        self.max_form_part_bytes = max_form_part_bytes
        self.allowed_origins = (
            None if allowed_origins is None else list(allowed_origins)
        )
        self.ws_shutdown_timeout = ws_shutdown_timeout
        self._open_connections = OpenConnections()
        self._root = Blueprint()
        self._root.router = Router(routing, lookup=self._find_view)
        self._root.router.default_route = default_route
        self._root.subscribe(self._invalidate)
        self._components: dict[type, Any] = {}
        self._components_view = MappingProxyType(self._components)
        self._instances: dict[type, Any] = {}
        self._mounts: dict[str, ASGIApp] = {}
        self._middleware: list[tuple[Callable[..., ASGIApp], dict[str, Any]]] = list(
            middleware or ()
        )
        self._compiled: Compiled | None = None
        self._stack: ASGIApp | None = None
        for component in components or ():
            self.register_component(component)
        if static_root is not None and static_dir is not None:
            from spangle._internal.static import make_static_app

            self._mounts[normalize_prefix(static_root)] = make_static_app(
                static_dir, self._serve_error
            )

    def __setattr__(self, name: str, value: Any) -> None:
        # 0.11 applications change options after making the app (and even
        # after serving): the built tables must follow.
        super().__setattr__(name, value)
        if name in _BUILD_OPTIONS:
            if name == "allowed_origins":
                super().__setattr__("_origin_policy", OriginPolicy(value))
            if name == "default_route" and "_root" in self.__dict__:
                self._root.router.default_route = value
            super().__setattr__("_compiled", None)

    # -- ASGI ---------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI call (http, websocket or lifespan).

        Args:
            scope: The ASGI scope.
            receive: The ASGI receive callable.
            send: The ASGI send callable.
        """
        compiled = self._compiled or self._build()
        # PERF: no frame of our own between the server and the pipeline:
        # each one is held by every idle WebSocket.
        serving = (
            self._pipeline(compiled, scope, receive, send)
            if compiled.middleware is None
            else compiled.middleware(scope, receive, send)
        )
        if api_ctx.get(None) is self:
            # PERF: `spangle run` makes its Api current in the context every
            # connection's task copies: no token, and no new context
            # mapping held by each idle WebSocket, per call.
            await serving
            return
        token = api_ctx.set(self)
        try:
            await serving
        finally:
            api_ctx.reset(token)

    def serve_current(
        self, scope: Scope, receive: Receive, send: Send
    ) -> Awaitable[None]:
        """Return what serves one ASGI call, for a server that made the Api current.

        A plain function returning the pipeline's awaitable: no coroutine of
        its own waits under each open connection, as `__call__`'s would.

        Args:
            scope: The ASGI scope.
            receive: The ASGI receive callable.
            send: The ASGI send callable.

        Returns:
            The awaitable to await.
        """
        if api_ctx.get(None) is not self:
            return self(scope, receive, send)
        compiled = self._compiled or self._build()
        if compiled.middleware is None:
            return self._pipeline(compiled, scope, receive, send)
        return compiled.middleware(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a call: the innermost app of the middleware stack."""
        compiled = self._compiled or self._build()
        await self._pipeline(compiled, scope, receive, send)

    def _pipeline(
        self, compiled: Compiled, scope: Scope, receive: Receive, send: Send
    ) -> Awaitable[None]:
        """Pick the coroutine that serves a call, without awaiting it."""
        kind = scope["type"]
        if kind == "lifespan":
            return serve_lifespan(compiled.startup, compiled.shutdown, receive, send)
        if scope.get("root_path"):
            scope = strip_root_path(scope)
        # PERF: one C-level prefix test lets most requests skip the walk.
        if scope["path"].startswith(compiled.mount_prefixes):
            if self.favicon is not None and scope["path"] == "/favicon.ico":
                scope = dict(scope, path=f"{self.static_root}/{self.favicon}")
            mounted = find_mount(compiled.mounts, scope["path"])
            if mounted is not None:
                return serve_mounted(*mounted, compiled, scope, receive, send)
        if compiled.root_mount is not None and not compiled.routes.lookup(
            scope["path"]
        ):
            return serve_mounted(
                "", compiled.root_mount, compiled, scope, receive, send
            )
        if kind == "http":
            return serve_http(compiled, scope, receive, send)
        if kind == "websocket":
            return serve_websocket(compiled, scope, receive, send)
        return _ignore()

    # -- what is registered ---------------------------------------------------

    @property
    def router(self) -> Router:
        """Every route of the app; `router.get(path)` finds a path's view."""
        return self._root.router

    @property
    def mounted_app(self) -> dict[str, ASGIApp]:
        """The mounted ASGI apps by path prefix (`""` for the root); a snapshot."""
        return dict(self._mounts)

    @property
    def error_handlers(self) -> dict[type[BaseException], type]:
        """Handler classes by exception type, blueprints' included; a snapshot.

        For one type, the handler that answers it: the Api's own over a
        blueprint's, a parent blueprint's over a child's.
        """
        handlers: dict[type[BaseException], type] = {}
        for blueprint in reversed(self._blueprints()):
            for collection in blueprint.error_handlers:
                handlers.update(collection.handlers)
        return handlers

    @property
    def request_hooks(self) -> dict[str, list[type]]:
        """Hook classes, `"before"` and `"after"`, in run order; a snapshot."""
        unique = self._blueprints()
        return {
            kind: [hook for bp in unique for hook in bp.request_hooks[kind]]
            for kind in ("before", "after")
        }

    @property
    def lifespan_handlers(self) -> LifespanHandlers:
        """Lifespan functions, `"startup"` and `"shutdown"`, in order; a snapshot.

        Component `startup`/`shutdown` methods are not listed: they run
        before the startup functions and after the shutdown ones.
        """
        unique = self._blueprints()
        return {
            "startup": [f for bp in unique for f in bp.events["startup"]],
            "shutdown": [f for bp in unique for f in bp.events["shutdown"]],
        }

    @property
    def views(self) -> dict[str, tuple[type, Converters, RoutingStrategy | None]]:
        """The routed views by full path, blueprints' included; a snapshot.

        `(view, converters, routing)` by path template, as `Blueprint.views`;
        for a path registered twice, the view that serves it (the first).
        """
        return self._root.views

    @property
    def components(self) -> Mapping[type, Any]:
        """The registered component instances by class; read-only."""
        return self._components_view

    def _blueprints(self) -> list[Blueprint]:
        """The Api's blueprints, each once, the root first, depth-first."""
        return list({id(bp): bp for _, bp in self._root.tree()}.values())

    def _blueprint(self) -> Blueprint:
        return self._root

    def _find_view(self, path: str) -> tuple[type, dict[str, Any]] | None:
        compiled = self._compiled or self._build()
        found = compiled.routes.lookup(path)
        if found is None or found[0].redirect is not None:
            return None
        return type(found[0].target.view), dict(found[1])

    async def _close_connections(self) -> None:
        """Close the open WebSocket connections: the first shutdown function."""
        await self._open_connections.close_all(
            CloseCode.SERVICE_RESTART, self.ws_shutdown_timeout
        )

    def _build(self) -> Compiled:
        # Views, hooks and handlers are created while building; their
        # `__init__` may call `use_component`, so this Api must be current.
        token = api_ctx.set(self)
        try:
            self._compiled = Compiled(
                self._root.tree(),
                instance=self._instance,
                routing=self.routing,
                default_route=self.default_route,
                error_handlers=self.error_handlers,
                hooks=self.request_hooks,
                components=self._components.values(),
                lifespan=self._lifespan_order(),
                mounts=self._mounts,
                favicon=self.favicon,
                middleware=self._middleware_stack(),
                max_upload_bytes=self.max_upload_bytes,
                ws_max_message_bytes=self.ws_max_message_bytes,
                origin_policy=self._origin_policy,
                open_connections=self._open_connections,
            )
        finally:
            api_ctx.reset(token)
        return self._compiled

    def _lifespan_order(self) -> LifespanHandlers:
        functions = self.lifespan_handlers
        # Views still running would find the components shut down.
        functions["shutdown"].insert(0, self._close_connections)
        return functions

    def _middleware_stack(self) -> ASGIApp | None:
        """Return the middleware stack, built again only after `add_middleware`.

        The stack wraps `_dispatch`, which reads the current tables itself,
        so it survives route and handler registrations.
        """
        if not self._middleware:
            return None
        if self._stack is None:
            app: ASGIApp = self._dispatch
            for factory, config in self._middleware:
                app = factory(app, **config)
            self._stack = app
        return self._stack

    async def _serve_error(
        self, scope: Scope, receive: Receive, send: Send, exc: Exception
    ) -> None:
        """Answer a request of a mounted part (static files) with an error."""
        compiled = self._compiled or self._build()
        await serve_http_error(compiled, scope, receive, send, exc)

    def _invalidate(self) -> None:
        self._compiled = None

    def _instance(self, cls: type) -> Any:
        """Return the one instance of a view, hook or handler class."""
        instance = self._instances.get(cls)
        if instance is None:
            instance = self._instances[cls] = cls()
        return instance

    # -- registration (the rest is shared with Blueprint) -------------------

    def register_component(self, component: C) -> C:
        """Create and register a component (usable as a class decorator).

        Registering a class again keeps its first instance.

        Args:
            component: A class created with no arguments.

        Returns:
            The class unchanged.

        Raises:
            TypeError: `component` is not a class.
        """
        if not isinstance(component, type):
            raise TypeError(f"a component must be a class, not {component!r}")
        if component not in self._components:
            instance = self._components[component] = component()
            bind_methods(instance, self)
            self._invalidate()
        return component

    def mount(self, path: str, app: ASGIApp) -> None:
        """Serve another ASGI app under a path prefix.

        The app sees `root_path` extended by the prefix, `path` without it,
        and `scope["extensions"]["spangle"]` holding `req`/`resp` (HTTP) or
        `conn` (WebSocket). An app mounted at `/` serves only the paths no
        route matches.

        Args:
            path: The prefix, e.g. `/legacy`; mounting again replaces the app.
            app: An ASGI3 app.

        Raises:
            TypeError: `app` is not callable.
        """
        if not callable(app):
            raise TypeError(f"a mounted app must be an ASGI callable, not {app!r}")
        self._mounts[normalize_prefix(path)] = app
        self._invalidate()

    def add_middleware(self, middleware: Callable[..., ASGIApp], **config: Any) -> None:
        """Wrap the app in an ASGI middleware; the last added runs outermost.

        Args:
            middleware: A class or factory called as `middleware(app, **config)`.
            **config: Its options.
        """
        self._middleware.append((middleware, config))
        self._stack = None
        self._invalidate()

    # -- helpers -------------------------------------------------------------

    def url_for(self, view: type, params: dict[str, Any] | None = None) -> str:
        """Build the path of a view.

        Args:
            view: A routed view class.
            params: Values of the route's path parameters.

        Returns:
            The path of the view's first route.

        Raises:
            KeyError: The view is not routed or a parameter is missing.
        """
        compiled = self._compiled or self._build()
        entry = compiled.views.get(view)
        if entry is None:
            raise KeyError(f"view {view.__qualname__} is not routed on this Api")
        return compiled.routes.path_for(entry, params)

    def client(
        self,
        timeout: float | None = 1,
        *,
        host: str = "www.example.com",
        raise_server_exceptions: bool = True,
    ) -> AsyncHttpTestClient:
        """Make an in-process test client.

        Use it as `async with api.client() as client:` to run the lifespan.

        Args:
            timeout: Seconds to wait for lifespan events and each request;
                `None` waits forever.
            host: The host of the URLs requested.
            raise_server_exceptions: Raise an exception that no error handler
                answered out of the request call (after the app answered
                500); `False` returns the 500 instead.

        Returns:
            The test client.
        """
        from spangle.testing import AsyncHttpTestClient

        return AsyncHttpTestClient(
            self,
            timeout=timeout,
            host=host,
            raise_server_exceptions=raise_server_exceptions,
        )


async def _ignore() -> None:
    """Serve an ASGI scope type spangle does not know: do nothing."""
