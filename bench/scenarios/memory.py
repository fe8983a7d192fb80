"""Idle memory per accepted WebSocket, traced with tracemalloc.

Run as `python -m bench.scenarios.memory APP`; it prints the bytes held per
connection while every connection waits in `receive()`.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.apps import load
from bench.drivers import lifespan
from bench.idle import measure_idle
from bench.scenarios import child_main


async def _work(args: argparse.Namespace) -> dict[str, Any]:
    app = load(args.app).app
    async with lifespan(app):
        result = await measure_idle(app, args.connections)
    return {"connections": result.connections, "per_connection": result.per_connection}


def main() -> None:
    """Measure one app, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app")
    parser.add_argument("--connections", type=int, default=2000)
    child_main(parser, _work)


if __name__ == "__main__":
    main()
