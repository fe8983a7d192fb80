"""WebSocket echo clients in their own process, for the uvicorn scenario.

Protocol with the parent, line by line: the client connects every socket and
warms up, then prints `ready`. For each line it reads on stdin it plays
ping-pong for the given seconds and prints a JSON result, then waits for the
next line, so that the parent reads the server's CPU time right after the
messages. When stdin closes, it closes its sockets and ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from websockets.asyncio.client import ClientConnection, connect

from bench.drivers import ECHO_TEXT
from bench.scenarios import run_loop

WARMUP_MESSAGES = 20
CONNECT_TIMEOUT = 10.0


async def ping_pong(ws: ClientConnection, deadline: float) -> int:
    """Send a message, wait for its echo, repeat until `deadline`.

    Args:
        ws: An open connection.
        deadline: `time.perf_counter()` value to stop at.

    Returns:
        How many messages came back.

    Raises:
        RuntimeError: The server sent something else back.
    """
    count = 0
    while time.perf_counter() < deadline:
        await ws.send(ECHO_TEXT)
        if await ws.recv() != ECHO_TEXT:
            raise RuntimeError("the echo differs from the message")
        count += 1
    return count


async def _stdin_line() -> str:
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def _work(args: argparse.Namespace) -> None:
    sockets = await asyncio.wait_for(
        asyncio.gather(
            *(connect(args.url, compression=None) for _ in range(args.clients))
        ),
        CONNECT_TIMEOUT,
    )
    try:
        for ws in sockets:
            for _ in range(WARMUP_MESSAGES):
                await ws.send(ECHO_TEXT)
                await ws.recv()
        print("ready", flush=True)
        while await _stdin_line():
            start = time.perf_counter()
            deadline = start + args.seconds
            runs = (ping_pong(ws, deadline) for ws in sockets)
            counts = await asyncio.gather(*runs)
            elapsed = time.perf_counter() - start
            result = {"messages": sum(counts), "elapsed": elapsed}
            print(json.dumps(result), flush=True)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


def main() -> None:
    """Run the clients."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    run_loop(_work(parser.parse_args()))


if __name__ == "__main__":
    main()
