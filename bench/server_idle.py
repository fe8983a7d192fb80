"""Server memory per idle WebSocket, with and without permessage-deflate.

`python -m bench.server_idle [--connections N]` serves raw ASGI and spangle
with uvicorn's wsproto implementation, as `spangle run` does (spangle
through `spangle run` itself), opens N WebSockets from another process that
then stay silent, and prints the server's resident memory (VmRSS) added per
connection. The clients offer permessage-deflate, as browsers do; the
server takes it only where it is turned on. Each connection echoes one
message first: wsproto makes its compression state on first use.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from websockets.asyncio.client import ClientConnection, connect

from bench.scenarios import ROOT
from bench.scenarios.server import free_port

READY_TIMEOUT = 30.0
SETTLE_SECONDS = 1.0


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _command(app: str, port: int, deflate: bool) -> list[str]:
    if app == "spangle":
        command = [sys.executable, "-m", "spangle", "run", "bench.apps.spangle_app:app"]
        command += ["--port", str(port), "--log-level", "warning"]
        return command + (["--ws-per-message-deflate"] if deflate else [])
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.apps.raw:app",
        "--port",
        str(port),
    ]
    command += ["--ws", "wsproto", "--lifespan", "on", "--log-level", "warning"]
    return command + ["--ws-per-message-deflate", str(deflate)]


def _rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@contextmanager
def _server(app: str, deflate: bool) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        _command(app, port, deflate),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_raise_fd_limit,
    )
    try:
        yield port, process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _open(port: int, count: int) -> list[ClientConnection]:
    url = f"ws://127.0.0.1:{port}/ws"
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            first = await connect(url, ping_interval=None)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)  # the server is starting
    clients = [first]
    for _ in range(count - 1):
        clients.append(await connect(url, ping_interval=None))
    for ws in clients:
        await ws.send("hello")
        assert await ws.recv() == "hello"
    return clients


async def _measure(app: str, deflate: bool, count: int) -> float:
    with _server(app, deflate) as (port, process):
        warm = await _open(port, 20)  # allocator and caches warmed
        for ws in warm:
            await ws.close()
        await asyncio.sleep(SETTLE_SECONDS)
        before = _rss_bytes(process.pid)
        clients = await _open(port, count)
        await asyncio.sleep(SETTLE_SECONDS)
        after = _rss_bytes(process.pid)
        for ws in clients:
            await ws.close()
    return (after - before) / count


def main() -> None:
    """Measure raw ASGI and spangle, deflate off and on; print KiB each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=2000)
    args = parser.parse_args()
    _raise_fd_limit()
    print(f"server RSS per idle WebSocket, {args.connections} connections, wsproto")
    for deflate in (False, True):
        for app in ("raw", "spangle"):
            per = asyncio.run(_measure(app, deflate, args.connections))
            label = "on " if deflate else "off"
            print(f"  deflate {label}  {app:<8} {per / 1024:6.1f} KiB", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
