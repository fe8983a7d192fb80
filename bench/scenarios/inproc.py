"""In-process throughput: HTTP `GET /` and WebSocket echo, no sockets.

Run as `python -m bench.scenarios.inproc {http,ws} APP`; it prints the best
rate of several timed runs (noise on a shared machine only ever slows a run).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from bench.apps import load
from bench.drivers import ASGIApp, lifespan, time_http, time_ws_echo
from bench.scenarios import child_main

Timer = Callable[[ASGIApp, int], Awaitable[float]]
TIMERS: dict[str, Timer] = {"http": time_http, "ws": time_ws_echo}
CALIBRATION_SECONDS = 0.02


async def calibrate(timer: Timer, app: ASGIApp, seconds: float) -> int:
    """Find how many operations take about `seconds`.

    Args:
        timer: Times a number of operations on an app.
        app: The ASGI app.
        seconds: The wanted duration of one timed run.

    Returns:
        The operation count.
    """
    count = 100
    elapsed = await timer(app, count)
    while elapsed < CALIBRATION_SECONDS:
        count *= 4
        elapsed = await timer(app, count)
    return max(count, int(count * seconds / elapsed))


async def best_rate(
    timer: Timer, app: ASGIApp, seconds: float, repeats: int
) -> dict[str, Any]:
    """Time `repeats` runs of about `seconds` each.

    Args:
        timer: Times a number of operations on an app.
        app: The ASGI app.
        seconds: The duration of one run.
        repeats: How many runs.

    Returns:
        `count` per run, every `rates` in operations per second, and the `best`.
    """
    count = await calibrate(timer, app, seconds)
    rates = [count / await timer(app, count) for _ in range(repeats)]
    return {"count": count, "rates": rates, "best": max(rates)}


async def _work(args: argparse.Namespace) -> dict[str, Any]:
    app = load(args.app).app
    async with lifespan(app):
        return await best_rate(TIMERS[args.kind], app, args.seconds, args.repeats)


def main() -> None:
    """Measure one app, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=sorted(TIMERS))
    parser.add_argument("app")
    parser.add_argument("--seconds", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=5)
    child_main(parser, _work)


if __name__ == "__main__":
    main()
