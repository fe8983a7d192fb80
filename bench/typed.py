"""Typed messages: the cost of `receive_json(type=...)` and `send_json(model)`.

Run with `.venv/bin/python bench/typed.py` from the repository root. A
`Connection` reads the same small JSON text frame (a chat post of 4 fields)
from an ASGI receive that never waits, and writes to a no-op ASGI send, so
the numbers are the framework's and the decoder's cost per message, not a
network's. Each case is timed in several rounds; the best round counts
(noise on a shared machine only ever slows a round).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypedDict

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spangle.models.websocket import Connection  # noqa: E402

TEXT = '{"room": "lobby", "nick": "ann", "text": "hello there", "seq": 42}'


class PostStruct(msgspec.Struct):
    room: str
    nick: str
    text: str
    seq: int


@dataclasses.dataclass
class PostClass:
    room: str
    nick: str
    text: str
    seq: int


class PostDict(TypedDict):
    room: str
    nick: str
    text: str
    seq: int


async def _accepted() -> Connection:
    frame = {"type": "websocket.receive", "text": TEXT}

    async def receive() -> dict[str, Any]:
        return frame

    async def send(message: Any) -> None:
        return None

    conn = Connection({"type": "websocket", "headers": []}, receive, send)
    await conn.accept()
    return conn


def receive_case(model: Any) -> Callable[[Connection, int], Awaitable[None]]:
    async def run(conn: Connection, count: int) -> None:
        for _ in range(count):
            await conn.receive_json(model)

    async def plain(conn: Connection, count: int) -> None:
        for _ in range(count):
            await conn.receive_json()

    return plain if model is None else run


def send_case(value: Any) -> Callable[[Connection, int], Awaitable[None]]:
    async def run(conn: Connection, count: int) -> None:
        for _ in range(count):
            await conn.send_json(value)

    return run


async def best_ns(
    case: Callable[[Connection, int], Awaitable[None]], count: int, rounds: int
) -> float:
    conn = await _accepted()
    await case(conn, count // 10)  # warm up: decoders are built once per type
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter_ns()
        await case(conn, count)
        best = min(best, (time.perf_counter_ns() - start) / count)
    return best


async def main(count: int, rounds: int) -> None:
    fields = msgspec.json.decode(TEXT)
    receives = {
        "receive_json()": None,
        "receive_json(type=Struct)": PostStruct,
        "receive_json(type=dataclass)": PostClass,
        "receive_json(type=TypedDict)": PostDict,
    }
    sends = {
        "send_json(dict)": fields,
        "send_json(Struct)": PostStruct(**fields),
        "send_json(dataclass)": PostClass(**fields),
    }
    print(f"{count} messages x {rounds} rounds, best round; {len(TEXT)}-byte frame")
    print("| operation | ns/message | vs plain |\n|---|---:|---:|")
    for cases, make in ((receives, receive_case), (sends, send_case)):
        base = None
        for name, arg in cases.items():
            ns = await best_ns(make(arg), count, rounds)
            base = base or ns
            print(f"| `{name}` | {ns:,.0f} | {ns / base:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    asyncio.run(main(options.count, options.rounds))
