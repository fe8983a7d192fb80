"""Routing cost: the last of 1,000 routes against a lone route, in-process.

Run as `python -m bench.scenarios.routing APP`. The four apps (static and
dynamic routes, 1 and 1,000 of them) are timed in turn, run after run, so
that a slow spell on the machine hits all four alike. It prints each app's
best rate and, per kind, the median slowdown from 1 route to 1,000.
"""

from __future__ import annotations

import argparse
from contextlib import AsyncExitStack
from functools import partial
from statistics import median
from typing import Any

from bench.apps import DYNAMIC_HITS, HIT_STATIC, ROUTES, load
from bench.drivers import ASGIApp, lifespan, time_http
from bench.scenarios import child_main
from bench.scenarios.inproc import Timer, calibrate

#: Configuration name -> (dynamic, route count).
CONFIGS = {
    "static_1": (False, 1),
    "static_1000": (False, ROUTES),
    "dynamic_1": (True, 1),
    "dynamic_1000": (True, ROUTES),
}


async def _work(args: argparse.Namespace) -> dict[str, Any]:
    module = load(args.app)
    apps: dict[str, ASGIApp] = {
        name: module.routing_app(count, dynamic)
        for name, (dynamic, count) in CONFIGS.items()
    }
    timers: dict[str, Timer] = {
        name: partial(time_http, paths=DYNAMIC_HITS if dynamic else (HIT_STATIC,))
        for name, (dynamic, _) in CONFIGS.items()
    }
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(lifespan(app))
        counts = {
            name: await calibrate(timers[name], app, args.seconds)
            for name, app in apps.items()
        }
        rates: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(args.repeats):
            for name, app in apps.items():
                rates[name].append(counts[name] / await timers[name](app, counts[name]))
    result: dict[str, Any] = {name: max(values) for name, values in rates.items()}
    for kind in ("static", "dynamic"):
        one, many = rates[f"{kind}_1"], rates[f"{kind}_{ROUTES}"]
        # Runs next to each other in time meet the same load on the machine:
        # the median of their ratios shrugs off a busy spell.
        result[f"{kind}_cost"] = (
            median(a / b for a, b in zip(one, many, strict=True)) - 1
        )
    return result


def main() -> None:
    """Measure one app, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app")
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--repeats", type=int, default=5)
    child_main(parser, _work)


if __name__ == "__main__":
    main()
