"""A throwaway `redis-server` on a free loopback port, for the Redis rows."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench.scenarios import ScenarioError

START_TIMEOUT = 10.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server(
    preexec_fn: Callable[[], None] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run redis-server (no persistence) until the block ends.

    Args:
        preexec_fn: Run in the child before redis-server starts (pinning).

    Yields:
        Its URL (`redis://127.0.0.1:PORT/0`) and its process.

    Raises:
        ScenarioError: redis-server is missing or did not answer.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise ScenarioError("redis-server is not installed (make system-deps)")
    port = free_port()
    options = ["--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen(
        [binary, *options, "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        preexec_fn=preexec_fn,
    )
    try:
        _wait_pong(port)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.kill()
        process.wait()


def _wait_pong(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.02)  # not listening yet
    raise ScenarioError("redis-server did not start")
