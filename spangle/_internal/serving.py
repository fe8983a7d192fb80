"""`spangle run`'s uvicorn server: its log setup and its graceful shutdown.

uvicorn's own shutdown waits for every connection to close before the
lifespan shutdown, so one WebSocket client that stops reading (its close
frame cannot be written) holds the process forever, and the views blocked
sending to it never learn of the shutdown. This server first closes every
open WebSocket connection itself (1012, views see `WebSocketDisconnect`,
stuck ones are cancelled), then aborts the sockets still open at the
timeout, then lets uvicorn finish (HTTP requests, the lifespan shutdown).
Once the lifespan startup is over it applies the collector policy of
`Config.collector` (`spangle._internal.collector`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import socket
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import ChangeReload, multiprocess

from spangle._internal.collector import CollectorPolicy
from spangle._internal.pipelines.websocket import close_every_connection
from spangle.api import Api
from spangle.component import api_ctx
from spangle.exceptions import CloseCode

# How often the shutdown looks for WebSocket sockets still closing.
_POLL_SECONDS = 0.05
# How many middleware layers uvicorn may wrap around the app, at most.
_WRAPPERS = 4


def log_config(level: str) -> dict[str, Any]:
    """Return uvicorn's logging config with the `spangle` logger beside it.

    uvicorn configures only its own loggers: without this, spangle's lines
    would print unformatted through Python's last-resort handler, and its
    INFO lines (client errors, shutdown) not at all.

    Args:
        level: The log level of `--log-level`, e.g. `"info"`.

    Returns:
        A `logging.config.dictConfig` dictionary.
    """
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["spangle"] = {
        "handlers": ["default"],
        "level": "DEBUG" if level == "trace" else level.upper(),
        "propagate": False,
    }
    return config


class Config(uvicorn.Config):
    """uvicorn's config with the collector policy beside it.

    Attributes:
        collector (`CollectorPolicy | None`): Applied in each serving process
            after its startup; `None` leaves the collector alone.
    """

    def __init__(
        self, app: Any, collector: CollectorPolicy | None = None, **options: Any
    ) -> None:
        """Make the config.

        Args:
            app: The app, or its import string.
            collector: The collector policy, or `None`.
            **options: `uvicorn.Config` options.
        """
        super().__init__(app, **options)
        self.collector = collector

    def load(self) -> None:
        """Load the app as uvicorn does; serve an Api through `serve_current`."""
        super().load()
        holder: Any = self
        attr = "loaded_app"
        for _ in range(_WRAPPERS):
            app = getattr(holder, attr, None)
            if isinstance(app, Api):
                setattr(holder, attr, app.serve_current)
                return
            holder, attr = app, "app"


class Server(uvicorn.Server):
    """uvicorn's server, closing WebSocket connections first at shutdown."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then apply the collector policy.

        Args:
            sockets: The listening sockets, as uvicorn passes them.
        """
        served = _served_api(self.config.loaded_app)
        if served is not None:
            # The server's connections and the lifespan run in copies of
            # this task's context: the Api is current in each from the start.
            api_ctx.set(served)
        await super().startup(sockets)
        collector = getattr(self.config, "collector", None)
        if collector is not None and not self.should_exit:
            collector.install(asyncio.get_running_loop())

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Close WebSockets within the graceful timeout, then shut down.

        Args:
            sockets: The listening sockets, as uvicorn passes them.
        """
        timeout = self.config.timeout_graceful_shutdown or 0.0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for server in self.servers:
            server.close()  # no new connection while the others close
        await close_every_connection(CloseCode.SERVICE_RESTART, timeout)
        while self._websockets() and loop.time() < deadline:
            await asyncio.sleep(_POLL_SECONDS)  # closing handshakes finishing
        for connection in self._websockets():
            # A peer that does not read: the close frame stays unsent and
            # `transport.close()` would wait for it forever.
            connection.transport.abort()
        await super().shutdown(sockets)

    def _websockets(self) -> list[Any]:
        kind = self.config.ws_protocol_class
        if not isinstance(kind, type):
            return []
        return [c for c in self.server_state.connections if isinstance(c, kind)]


def _served_api(app: Any) -> Api | None:
    """Find the Api inside uvicorn's wrappers (proxy headers, message logs)."""
    for _ in range(_WRAPPERS):
        if isinstance(app, Api):
            return app
        owner = getattr(app, "__self__", None)
        if isinstance(owner, Api):
            return owner
        app = getattr(app, "app", None)
    return None


class Process(multiprocess.Process):
    """A `--workers` process that runs `Server` instead of uvicorn's."""

    @property
    def server(self) -> uvicorn.Server:
        """The worker's server, made on first use."""
        if self._server is None:
            self._server = Server(config=self.config)
        return self._server


def run(app: Any, collector: CollectorPolicy | None = None, **options: Any) -> bool:
    """Serve an app as `uvicorn.run` does, with `Server` in every process.

    Args:
        app: The app, or its import string for `reload` and `workers`.
        collector: The collector policy applied after startup, or `None`.
        **options: `uvicorn.Config` options.

    Returns:
        Whether the server started (a failed lifespan startup stops it).
    """
    config = Config(app, collector, **options)
    server = Server(config=config)
    if config.should_reload:
        sock = config.bind_socket()
        ChangeReload(config, target=server.run, sockets=[sock]).run()
        return True
    if config.workers > 1:
        # uvicorn's supervisor makes its workers by this module name, and
        # pickles them to the children by qualified name: each runs `Server`.
        multiprocess.Process = Process  # type: ignore[misc]
        sock = config.bind_socket()
        multiprocess.Multiprocess(config, sockets=[sock]).run()
        return True
    with contextlib.suppress(KeyboardInterrupt):  # as `uvicorn.run` does
        server.run()
    return server.started
