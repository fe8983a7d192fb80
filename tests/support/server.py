"""Start a real ASGI server in a subprocess on a free loopback port."""

from __future__ import annotations

import atexit
import copy
import functools
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server process.

    Attributes:
        port: Its port on 127.0.0.1.
        process: The process.
        lines: Every line it printed so far (stdout and stderr together).
    """

    port: int
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str] = field(default_factory=queue.Queue)
    _reader: threading.Thread | None = None

    @property
    def http_url(self) -> str:
        """The base HTTP URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """The base WebSocket URL."""
        return f"ws://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        """Everything the server printed so far."""
        self._drain()
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout: float = READY_TIMEOUT) -> str:
        """Block until the server prints a line containing `text`.

        Args:
            text: The text to wait for.
            timeout: Seconds to wait at most.

        Returns:
            The matching line.

        Raises:
            TimeoutError: The line did not come in time, or the server exited.
        """
        for line in self.lines:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            self.lines.append(line)
            if text in line:
                return line
        raise TimeoutError(f"server never printed {text!r}; output:\n{self.output}")

    def _drain(self) -> None:
        while True:
            try:
                self.lines.append(self._queue.get_nowait())
            except queue.Empty:
                return


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


@functools.cache
def _uvicorn_log_config() -> str:
    """Write uvicorn's default logging config plus the `spangle` logger.

    Without it spangle's INFO lines (refused origins, client errors) are lost,
    since uvicorn configures only its own loggers.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["spangle"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    fd, name = tempfile.mkstemp(prefix="spangle-uvicorn-log-", suffix=".json")
    with os.fdopen(fd, "w") as file:
        json.dump(config, file)
    atexit.register(os.unlink, name)
    return name


def _command(app: str, server: str, port: int) -> tuple[list[str], str]:
    """Return the command serving `app` and the line it prints once ready."""
    if server == "uvicorn":
        command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1"]
        command += ["--port", str(port), "--lifespan", "on"]
        return command + ["--log-config", _uvicorn_log_config()], "Uvicorn running on"
    if server == "spangle":
        command = [sys.executable, "-m", "spangle", "run", app, "--port", str(port)]
        return command, "Uvicorn running on"
    if server == "hypercorn":
        command = [sys.executable, "-m", "hypercorn", app]
        return command + ["--bind", f"127.0.0.1:{port}"], "Running on"
    raise ValueError(f"unknown server {server!r}")


@contextmanager
def run_server(
    app: str,
    *,
    server: str = "uvicorn",
    env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    port: int | None = None,
    expect_start: bool = True,
) -> Iterator[Server]:
    """Serve `module:attribute` with a real server until the block ends.

    Under uvicorn and `spangle run`, the `spangle` logger's INFO lines are
    printed too.

    Args:
        app: The app as `module:attribute`, importable from the repository root.
        server: `"uvicorn"`, `"hypercorn"` or `"spangle"` (`spangle run`).
        env: Extra environment variables.
        extra_args: Extra command-line arguments for the server.
        port: The port; a free one by default.
        expect_start: Wait until the server says it is serving.

    Yields:
        The running server; it is stopped (SIGINT, then SIGKILL) afterwards.
    """
    port = port or free_port()
    command, ready = _command(app, server, port)
    command += extra_args or []
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = watch(process, port)
    try:
        if expect_start:
            running.wait_for_line(ready)
        yield running
    finally:
        stop(running)


def watch(process: subprocess.Popen[str], port: int) -> Server:
    """Collect what a started server process prints, line by line.

    Args:
        process: The process, its stdout a text pipe (stderr merged into it).
        port: The port it serves on.

    Returns:
        The server; `stop` it when done.
    """
    running = Server(port, process)
    running._reader = threading.Thread(
        target=_pump, args=(process.stdout, running._queue), daemon=True
    )
    running._reader.start()
    return running


def stop(server: Server) -> int:
    """Stop a server gracefully, killing it if it does not stop in time.

    Args:
        server: The server.

    Returns:
        The process's exit status.
    """
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
    if server._reader is not None:
        server._reader.join(STOP_TIMEOUT)
    if process.stdout is not None:
        process.stdout.close()
    server._drain()
    return process.returncode


def server_fixture(
    app: str, name: str, scope: Literal["module", "function"] = "module"
) -> Any:
    """Make a pytest fixture that serves `app` for the fixture's scope.

    Args:
        app: The app as `module:attribute`.
        name: The fixture's name (assign it to a module attribute of that name).
        scope: `"module"` to share one server, `"function"` for one per test.

    Returns:
        The fixture.
    """

    @pytest.fixture(scope=scope, name=name)
    def serve() -> Iterator[Server]:
        with run_server(app) as running:
            yield running

    return serve
