"""Rooms: what history costs a publish, and how long a join with history takes.

Run with `.venv/bin/python bench/rooms.py` from the repository root; it
starts its own `redis-server` on a free loopback port for the Redis rows.

- `publish()`: the time per publish of a 64-byte message to a channel with
  one local subscriber, without history, then with `Broadcast(history=N)`
  (memory: a bounded deque; Redis: XADD with MAXLEN and PUBLISH in one Lua
  script instead of a PUBLISH).
- `join(history=50)`: the time from `join()` to its return for a connection
  (over a no-op ASGI send) that gets the last 50 of the channel's messages
  first, against a plain `join()`.

Each case runs several rounds; the best round counts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout import start_redis  # noqa: E402
from spangle.broadcast import Broadcast  # noqa: E402
from spangle.models.websocket import Connection  # noqa: E402

MESSAGE = "x" * 64


async def publish_us(url: str, history: int, count: int, rounds: int) -> float:
    hub = Broadcast(url, history=history, queue_size=max(count, 1000))
    async with hub, hub.subscribe("bench") as sub:
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(count):
                await hub.publish("bench", MESSAGE)
            for _ in range(count):  # every message arrived
                await anext(sub)
            best = min(best, (time.perf_counter() - start) / count)
    return best * 1e6


async def _accepted() -> Connection:
    async def receive() -> Any:
        await asyncio.Event().wait()

    async def send(message: Any) -> None:
        return None

    conn = Connection({"type": "websocket", "headers": []}, receive, send)
    await conn.accept()
    return conn


async def join_us(url: str, history: int, joins: int, rounds: int) -> float:
    async with Broadcast(url, history=100) as hub:
        for _ in range(100):
            await hub.publish("bench", MESSAGE)
        best = float("inf")
        for _ in range(rounds):
            conns = [await _accepted() for _ in range(joins)]
            start = time.perf_counter()
            for conn in conns:
                await hub.join("bench", conn, history=history, events=bool(history))
            best = min(best, (time.perf_counter() - start) / joins)
            for conn in conns:
                await hub.leave("bench", conn)
    return best * 1e6


async def main(count: int, rounds: int) -> None:
    redis, redis_url = start_redis()
    try:
        await table({"memory": "memory://", "redis": redis_url}, count, rounds)
    finally:
        redis.kill()
        redis.wait()


async def table(urls: dict[str, str], count: int, rounds: int) -> None:
    print("| backend | case | µs per operation | vs without history |")
    print("|---|---|---:|---:|")
    for name, url in urls.items():
        plain = await publish_us(url, 0, count, rounds)
        kept = await publish_us(url, 1000, count, rounds)
        print(f"| {name} | `publish()` | {plain:.1f} | 1.00 |")
        print(
            f"| {name} | `publish()`, history=1000 | {kept:.1f} | {kept / plain:.2f} |"
        )
        plain_join = await join_us(url, 0, 200, rounds)
        history_join = await join_us(url, 50, 200, rounds)
        print(f"| {name} | `join()` | {plain_join:.1f} | 1.00 |")
        print(
            f"| {name} | `join(history=50, events=True)` | {history_join:.1f} "
            f"| {history_join / plain_join:.2f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.count, options.rounds))
