"""In-process throughput: HTTP `GET /` and WebSocket echo, no sockets.

Run as `python -m bench.scenarios.inproc {http,ws} APP`. It times the raw
ASGI app and the app in turn, run after run, and prints every rate of each
and the best: noise on a shared machine only ever slows a run, and runs
next to each other meet the same quiet and busy spells, so the ratios of
neighbouring runs hold steady even when quiet moments are rare.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from bench.apps import load
from bench.drivers import ASGIApp, lifespan, time_http, time_ws_echo
from bench.report import BASELINE
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


async def best_rates(
    timer: Timer, apps: dict[str, ASGIApp], seconds: float, repeats: int
) -> dict[str, list[float]]:
    """Time `repeats` runs of about `seconds` of each app, the apps in turn.

    Args:
        timer: Times a number of operations on an app.
        apps: The ASGI apps by name.
        seconds: The duration of one run.
        repeats: How many runs of each app.

    Returns:
        Every rate of each app, in operations per CPU second.
    """
    counts = {name: await calibrate(timer, app, seconds) for name, app in apps.items()}
    rates: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(repeats):
        for name, app in apps.items():
            rates[name].append(counts[name] / await timer(app, counts[name]))
    return rates


async def _work(args: argparse.Namespace) -> dict[str, Any]:
    apps = {name: load(name).app for name in dict.fromkeys([BASELINE, args.app])}
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(lifespan(app))
        rates = await best_rates(TIMERS[args.kind], apps, args.seconds, args.repeats)
    return {
        "best": max(rates[args.app]),
        "rates": rates[args.app],
        "raw_best": max(rates[BASELINE]),
        "raw_rates": rates[BASELINE],
    }


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
