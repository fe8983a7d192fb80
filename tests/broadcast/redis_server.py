"""Run a throwaway `redis-server` on a free loopback port."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.server import free_port

READY_TIMEOUT = 10.0


class RedisServer:
    """A `redis-server` process, stoppable and restartable.

    Without a `directory` it persists nothing; with one, it keeps an
    append-only file there (`appendonly yes`), so a restart keeps its data.

    Attributes:
        port: Its port on 127.0.0.1 (kept across restarts).
    """

    def __init__(self, port: int | None = None, directory: str | None = None) -> None:
        self.port = port or free_port()
        self.directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its `redis://` URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:  # pragma: no cover - CI installs it
            raise RuntimeError("redis-server is not installed (scripts/system-deps.sh)")
        persistence = ["--appendonly", "no"]
        if self.directory is not None:
            persistence = ["--appendonly", "yes", "--dir", self.directory]
        self._process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *persistence,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.ping():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)  # polling readiness of a process, not synchronising

    def ping(self) -> bool:
        """Tell whether it answers PING right now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections stay open but nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a frozen server run again (SIGCONT)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """Stop it as an operator would (SIGTERM: it writes its data), start it."""
        process, self._process = self._process, None
        assert process is not None
        process.terminate()
        process.wait(10)
        self.start()

    def kill(self) -> None:
        """Kill it at once (SIGKILL), as a crash would."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.send_signal(signal.SIGCONT)  # a frozen process must run to die
        if process is not None:
            process.wait(10)


@contextmanager
def running_redis(directory: str | None = None) -> Iterator[RedisServer]:
    """Run a Redis server for the duration of the block.

    Args:
        directory: Where it keeps an append-only file; none by default.

    Yields:
        The running server; killed afterwards.
    """
    server = RedisServer(directory=directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()
