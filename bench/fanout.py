"""Fan-out benchmark: one publish to 1,000 and 10,000 local subscribers.

Run with `.venv/bin/python bench/fanout.py` from the repository root. It
starts its own `redis-server` on a free loopback port for the Redis rows.

For every backend and subscriber count it measures, over several rounds,
the time from `publish()` until every subscriber has the message: once for
`subscribe()` iterators (each a task reading its subscription) and once for
joined WebSocket connections (spangle `Connection`s over a no-op ASGI send,
so the numbers show the framework's cost, not a network's).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scenarios.redis_server import redis_server  # noqa: E402
from spangle.broadcast import Broadcast  # noqa: E402
from spangle.models.websocket import Connection  # noqa: E402

ROUNDS = 20


class Done:
    """Counts deliveries and wakes the benchmark when a round is complete."""

    def __init__(self) -> None:
        self.expected = 0
        self.count = 0
        self.event = asyncio.Event()

    def arm(self, expected: int) -> None:
        self.expected, self.count = expected, 0
        self.event.clear()

    def hit(self) -> None:
        self.count += 1
        if self.count == self.expected:
            self.event.set()


async def with_iterators(
    hub: Broadcast, n: int, done: Done
) -> Callable[[], Awaitable[None]]:
    ready = asyncio.Event()
    entered = 0

    async def consume() -> None:
        nonlocal entered
        async with hub.subscribe("bench") as sub:
            entered += 1
            if entered == n:
                ready.set()
            async for _ in sub:
                done.hit()

    tasks = [asyncio.create_task(consume()) for _ in range(n)]
    await ready.wait()

    async def stop() -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    return stop


async def with_connections(
    hub: Broadcast, n: int, done: Done
) -> Callable[[], Awaitable[None]]:
    async def send(message: Any) -> None:
        if message["type"] == "websocket.send":
            done.hit()

    async def receive() -> Any:
        await asyncio.Event().wait()

    conns = []
    for _ in range(n):
        conn = Connection(
            {"type": "websocket", "path": "/", "headers": []}, receive, send
        )
        await conn.accept()
        await hub.join("bench", conn)
        conns.append(conn)

    async def stop() -> None:
        for conn in conns:
            await hub.leave("bench", conn)

    return stop


async def measure(url: str, n: int, kind: str) -> tuple[float, float, float]:
    done = Done()
    async with Broadcast(url, queue_size=1000) as hub:
        setup = with_iterators if kind == "subscribe()" else with_connections
        stop = await setup(hub, n, done)
        timings, publishes = [], []
        for _ in range(ROUNDS):
            done.arm(n)
            gc.collect()
            start = time.perf_counter()
            await hub.publish("bench", "x" * 64)
            publishes.append(time.perf_counter() - start)
            await asyncio.wait_for(done.event.wait(), 60)
            timings.append(time.perf_counter() - start)
        await stop()
    median = statistics.median(timings)
    return statistics.median(publishes) * 1000, median * 1000, n / median


async def run(counts: list[int], redis_url: str) -> None:
    print(f"one publish, median of {ROUNDS} rounds, until every subscriber has it")
    header = (
        "backend",
        "subscribers",
        "kind",
        "publish()",
        "all got it",
        "deliveries/s",
    )
    print("{:<8} {:>11} {:<12} {:>10} {:>11} {:>13}".format(*header))
    for backend, url in (("memory", "memory://"), ("redis", redis_url)):
        for n in counts:
            for kind in ("subscribe()", "join()"):
                call, ms, rate = await measure(url, n, kind)
                print(
                    f"{backend:<8} {n:>11,} {kind:<12} {call:>7.2f} ms"
                    f" {ms:>8.2f} ms {rate:>13,.0f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--uvloop", action="store_true", help="run on uvloop, as uvicorn does"
    )
    args = parser.parse_args()
    with redis_server() as (url, _):
        if args.uvloop:
            import uvloop

            uvloop.run(run(args.counts, url))
        else:
            asyncio.run(run(args.counts, url))


if __name__ == "__main__":
    main()
