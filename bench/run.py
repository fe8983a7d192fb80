"""Run the benchmark suite and print one table of figures and ratios to raw ASGI.

Usage: `make bench` (which runs `bash bench/run.sh`), or inside bench/.venv
`python -m bench.run [--quick] [--only SCENARIO ...] [--frameworks a,b]`.
Results go to bench/results/latest.json and latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from functools import partial
from importlib import metadata
from statistics import median
from typing import Any

from bench import scale, scale_report
from bench.apps import MODULES, NAMES
from bench.apps.fanout import ROWS
from bench.report import BASELINE, BY_KEY, add_ratios, render
from bench.scenarios import ROOT, ScenarioError, run_child
from bench.scenarios.server import (
    WS_IMPLEMENTATION,
    WS_IMPLEMENTATIONS,
    EchoClients,
    Server,
    http_cpu,
    uvicorn,
)

RESULTS = ROOT / "bench" / "results"
SCENARIOS = (
    *("inproc_ws", "inproc_http", "server", "memory", "routing"),
    *("fanout", "connections"),
)
PACKAGES = (
    *("spangle", "starlette", "fastapi", "litestar", "falcon", "blacksheep"),
    *("uvicorn", "uvloop", "httptools", "websockets"),
)

Entries = dict[str, dict[str, Any]]
Results = dict[str, Entries]


@dataclass(frozen=True)
class Settings:
    """How long and how often each scenario measures.

    Attributes:
        inproc_seconds: Duration of one timed in-process run.
        repeats: Timed runs per in-process child process.
        rounds: Passes over every framework for the in-process figures.
        server_rounds: Rounds of alternating runs (raw, framework) per
            framework through uvicorn.
        ws_seconds: How long the WebSocket clients send through uvicorn.
        wrk_seconds: How long wrk runs.
        connections: Idle WebSockets held for the memory figure.
        routing_seconds: Duration of one timed routing run.
        routing_repeats: Timed runs of each routing configuration.
        warmup: Whether wrk runs one unmeasured second first.
        ws: uvicorn's WebSocket implementation for the server figures.
    """

    inproc_seconds: float
    repeats: int
    rounds: int
    server_rounds: int
    ws_seconds: float
    wrk_seconds: int
    connections: int
    routing_seconds: float
    routing_repeats: int
    warmup: bool
    ws: str = WS_IMPLEMENTATION


# The machine's two cores may be siblings that halve each other's speed while
# both are busy: many short runs, best of all, catch the quiet moments.
FULL = Settings(0.1, 10, 2, 16, 1.0, 1, 2000, 0.03, 25, True)
QUICK = Settings(0.02, 1, 1, 1, 0.5, 1, 100, 0.01, 1, False)


def log(text: str) -> None:
    """Print progress to stderr, keeping stdout for the table.

    Args:
        text: The line.
    """
    print(text, file=sys.stderr, flush=True)


def measure(results: Results, key: str, name: str, work: Callable[[], Any]) -> None:
    """Run one measurement, recording its entry or its error.

    When the figure was measured in an earlier round, the better of the two
    entries stays, and `runs` lists every round's value.

    Args:
        results: Where entries go.
        key: The metric key.
        name: The framework.
        work: Returns the entry (a dict with `value`).
    """
    try:
        entry = work()
    except (ScenarioError, OSError, ValueError) as exc:
        entry = {"error": str(exc)}
        log(f"  {key:<15} {name:<11} error: {exc}")
    else:
        log(f"  {key:<15} {name:<11} {entry['value']:,.2f} {BY_KEY[key].unit}")
    store(results, key, name, entry)


def store(results: Results, key: str, name: str, entry: dict[str, Any]) -> None:
    """Record an entry, keeping the better one if the figure has one already.

    Args:
        results: Where entries go.
        key: The metric key.
        name: The framework.
        entry: Its new entry.
    """
    entries = results.setdefault(key, {})
    previous = entries.get(name)
    if previous is not None and "value" in previous:
        entry = _better(key, previous, entry)
    entries[name] = entry


def _better(key: str, previous: dict[str, Any], entry: dict[str, Any]) -> Any:
    if "value" not in entry:
        return previous
    runs = [
        *previous.get("runs", [previous["value"]]),
        *entry.get("runs", [entry["value"]]),
    ]
    pick = max if BY_KEY[key].higher_is_better else min
    best = pick(previous, entry, key=lambda e: e["value"])
    merged = {**best, "runs": runs}
    if "pairs" in previous or "pairs" in entry:
        # Every round's neighbouring runs count towards the ratio.
        merged["pairs"] = [*previous.get("pairs", []), *entry.get("pairs", [])]
        merged["paired_ratio"] = median(merged["pairs"])
    return merged


def _inproc(kind: str, name: str, s: Settings) -> dict[str, Any]:
    args = ["--seconds", str(s.inproc_seconds), "--repeats", str(s.repeats)]
    found = run_child("bench.scenarios.inproc", kind, name, *args)
    entry = {"value": found["best"], "rates": found["rates"]}
    if name != BASELINE:
        entry["raw"] = found["raw_best"]
        pairs = zip(found["rates"], found["raw_rates"], strict=True)
        entry["pairs"] = [own / raw for own, raw in pairs]
        entry["paired_ratio"] = median(entry["pairs"])
    return entry


def _memory(name: str, s: Settings) -> dict[str, Any]:
    args = ("--connections", str(s.connections))
    found = run_child("bench.scenarios.memory", name, *args)
    return {"value": found["per_connection"], "connections": s.connections}


def run_inproc(results: Results, kind: str, names: list[str], s: Settings) -> None:
    """Measure in-process throughput (`kind` is `ws` or `http`).

    Rounds go over every framework in turn, so that a busy spell on the
    shared machine does not fall on one framework's runs only.
    """
    for _ in range(s.rounds):
        for name in names:
            measure(results, f"inproc_{kind}", name, partial(_inproc, kind, name, s))


def run_memory(results: Results, names: list[str], s: Settings) -> None:
    """Measure idle memory per accepted WebSocket."""
    for name in names:
        measure(results, "memory", name, partial(_memory, name, s))


SERVER_KEYS = ("server_ws_1", "server_ws_50", "server_http")


def run_server(results: Results, names: list[str], s: Settings) -> None:
    """Measure server CPU per message and per request through uvicorn.

    Raw ASGI and the framework are served side by side and measured in
    turn, one short run each, round after round, so that each framework run
    has a raw run next to it in time, meeting the same load from whatever
    else runs on the machine. The load comes in bursts that can double a
    run's CPU time, so medians count: the figure is the median run, and the
    ratio the median of the ratios of neighbouring runs.
    """
    peers = [name for name in names if name != BASELINE] or [BASELINE]
    for name in peers:
        served = list(dict.fromkeys([BASELINE, name]))
        runs: dict[str, dict[str, list[float]]] = {
            key: {n: [] for n in served} for key in SERVER_KEYS
        }
        try:
            with ExitStack() as stack:
                servers = {n: stack.enter_context(uvicorn(n, ws=s.ws)) for n in served}
                work = _server_work(stack, servers, s)
                for round_number in range(s.server_rounds):
                    for key in SERVER_KEYS:
                        for n in served:
                            value = work[key](n, round_number == 0)["value"]
                            log(f"  {key:<15} {n:<11} {value:,.2f} {BY_KEY[key].unit}")
                            runs[key][n].append(value)
        except (ScenarioError, OSError, ValueError) as exc:
            log(f"  server          {name:<11} error: {exc}")
            for key in SERVER_KEYS:
                results.setdefault(key, {})[name] = {"error": str(exc)}
            continue
        for key in SERVER_KEYS:
            for n, entry in paired_entries(runs[key], name).items():
                store(results, key, n, entry)


def paired_entries(runs: dict[str, list[float]], name: str) -> Entries:
    """Make the entries of raw ASGI and a framework from alternating runs.

    Args:
        runs: Each one's run values, in the order they ran.
        name: The framework.

    Returns:
        Entries by name; the framework's carries raw's median (`raw`) and
        the median ratio of neighbouring runs (`paired_ratio`).
    """
    raw_runs = runs[BASELINE]
    entries: Entries = {BASELINE: {"value": median(raw_runs), "runs": raw_runs}}
    if name != BASELINE:
        own = runs[name]
        pairs = [a / b for a, b in zip(own, raw_runs, strict=True)]
        entries[name] = {
            "value": median(own),
            "runs": own,
            "raw": median(raw_runs),
            "pairs": pairs,
            "paired_ratio": median(pairs),
        }
    return entries


def _server_work(
    stack: ExitStack, servers: dict[str, Server], s: Settings
) -> dict[str, Callable[[str, bool], dict[str, Any]]]:
    """Make one run of each metric, by key, callable per served app.

    The echo clients connect once, for every round. Each callable takes the
    app's name and whether this is the first round (wrk warms up then).
    """
    echo = {
        (n, clients): stack.enter_context(EchoClients(server, clients, s.ws_seconds))
        for n, server in servers.items()
        for clients in (1, 50)
    }
    return {
        "server_ws_1": lambda n, first: echo[n, 1].run(),
        "server_ws_50": lambda n, first: echo[n, 50].run(),
        "server_http": lambda n, first: http_cpu(
            servers[n], s.wrk_seconds, first and s.warmup
        ),
    }


def run_routing(results: Results, names: list[str], s: Settings) -> None:
    """Measure the cost of 1,000 routes against 1, static and dynamic."""
    args = ["--seconds", str(s.routing_seconds), "--repeats", str(s.routing_repeats)]
    for name in names:
        try:
            rates = run_child("bench.scenarios.routing", name, *args)
        except ScenarioError as exc:
            log(f"  routing         {name:<11} error: {exc}")
            for kind in ("static", "dynamic"):
                results.setdefault(f"routes_{kind}", {})[name] = {"error": str(exc)}
            continue
        for kind in ("static", "dynamic"):
            one, many = rates[f"{kind}_1"], rates[f"{kind}_1000"]
            entry = {"value": rates[f"{kind}_cost"] * 100, "one": one, "many": many}
            results.setdefault(f"routes_{kind}", {})[name] = entry
            log(f"  routes_{kind:<8} {name:<11} {entry['value']:+.1f} %")


def machine(ws: str) -> dict[str, Any]:
    """Describe the machine and the measured packages."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "server": f"uvicorn --loop uvloop --http httptools --ws {ws}",
        "versions": versions,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (smoke)")
    parser.add_argument(
        "--only", action="append", choices=SCENARIOS, help="run only these scenarios"
    )
    parser.add_argument(
        "--frameworks",
        default=",".join(NAMES),
        help="comma-separated subset of "
        + ",".join(MODULES)
        + " (raw is always run; the default leaves out reference apps)",
    )
    parser.add_argument(
        "--ws",
        choices=WS_IMPLEMENTATIONS,
        default=WS_IMPLEMENTATION,
        help="uvicorn's WebSocket implementation for the server scenario "
        f"(default {WS_IMPLEMENTATION}, uvicorn's own; spangle run uses wsproto)",
    )
    parser.add_argument(
        "--steps",
        help="fan-out: comma-separated client counts (default: 500 to 12,000)",
    )
    parser.add_argument("--rounds", type=int, help="fan-out: rounds (default 5)")
    parser.add_argument(
        "--rows",
        help="fan-out: comma-separated subset of " + ",".join(ROWS) + " (default all)",
    )
    return parser.parse_args(argv)


def scale_settings(args: argparse.Namespace) -> scale.ScaleSettings:
    """Return the scale scenarios' settings, with the command line's changes."""
    settings = scale.QUICK if args.quick else scale.FULL
    if args.steps:
        steps = tuple(int(n) for n in args.steps.split(",") if n)
        if list(steps) != sorted(set(steps)) or not steps or steps[0] < 1:
            raise SystemExit("--steps: increasing positive client counts")
        settings = replace(settings, steps=steps)
    if args.rounds is not None:
        settings = replace(settings, rounds=max(1, args.rounds))
    if args.rows:
        rows = tuple(n for n in args.rows.split(",") if n)
        unknown = [n for n in rows if n not in ROWS]
        if unknown:
            raise SystemExit(f"unknown rows: {', '.join(unknown)}")
        settings = replace(settings, rows=rows)
    return settings


def render_scale(results: scale.ScaleResults, s: scale.ScaleSettings) -> str:
    """Render the fan-out and connections tables, and their targets."""
    parts = []
    checks = []
    if results.fanout:
        rows = scale_report.summarize(results.fanout, s.bound_ms)
        parts.append(scale_report.render_fanout(rows, s.bound_ms))
        checks += scale_report.fanout_targets(rows)
    if results.connections:
        parts.append(scale_report.render_connections(results.connections))
        top = max(s.connection_steps)
        checks += scale_report.connection_targets(results.connections, top)
        for name in s.connection_rows[1:]:
            added = scale_report.added_objects(results.connections, name, top)
            parts.append(
                f"Tracked objects per connection {name} adds to raw's at {top:,}: "
                + scale_report.render_added(added)
            )
    if checks:
        parts.append(scale_report.render_checks(checks))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print the table, write bench/results/latest.*.

    Args:
        argv: Command-line arguments; `sys.argv[1:]` when `None`.

    Returns:
        The exit code: 1 when a measurement failed, else 0.
    """
    args = parse_args(argv)
    settings = replace(QUICK if args.quick else FULL, ws=args.ws)
    wanted = [n for n in args.frameworks.split(",") if n]
    unknown = [n for n in wanted if n not in MODULES]
    if unknown:
        raise SystemExit(f"unknown frameworks: {', '.join(unknown)}")
    names = [BASELINE, *[n for n in MODULES if n in wanted and n != BASELINE]]
    scenarios = args.only or list(SCENARIOS)
    started = time.monotonic()
    info = machine(settings.ws)
    results: Results = {}
    scaled = scale.ScaleResults()
    scale_config = scale_settings(args)
    runners: dict[str, Callable[[], None]] = {
        "inproc_ws": lambda: run_inproc(results, "ws", names, settings),
        "inproc_http": lambda: run_inproc(results, "http", names, settings),
        "server": lambda: run_server(results, names, settings),
        "memory": lambda: run_memory(results, names, settings),
        "routing": lambda: run_routing(results, names, settings),
        "fanout": lambda: scale.run_fanout(scaled, scale_config, log),
        "connections": lambda: scale.run_connections(scaled, scale_config, log),
    }
    for scenario in scenarios:
        log(f"{scenario}:")
        runners[scenario]()
    for key, entries in results.items():
        add_ratios(BY_KEY[key], entries)
    table = render(results, names) if results else ""
    scale_tables = render_scale(scaled, scale_config)
    table = "\n\n".join(part for part in (table, scale_tables) if part)
    elapsed = time.monotonic() - started
    print(table)
    print(f"\n{'quick' if args.quick else 'full'} run, {elapsed:.0f} s")
    write(
        info,
        settings,
        results,
        table,
        elapsed,
        quick=args.quick,
        scaled=scaled,
        scale_config=scale_config,
    )
    failed = any("error" in e for entries in results.values() for e in entries.values())
    failed |= scale_failed(scaled)
    return 1 if failed else 0


def scale_failed(scaled: scale.ScaleResults) -> bool:
    """Tell whether a scale measurement failed outright.

    A fan-out run ends with a step over the bound by design; only a row
    whose first step failed (its server did not serve) counts as failed.
    """
    runs = [run for runs in scaled.fanout.values() for run in runs]
    runs += list(scaled.connections.values())
    return any(not run or ("error" in run[0] and "p95" not in run[0]) for run in runs)


def write(
    info: dict[str, Any],
    settings: Settings,
    results: Results,
    table: str,
    elapsed: float,
    quick: bool,
    scaled: scale.ScaleResults | None = None,
    scale_config: scale.ScaleSettings | None = None,
) -> None:
    """Write bench/results/latest.json and latest.md."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": quick,
        "seconds": elapsed,
        "machine": info,
        "settings": asdict(settings),
        "results": results,
        "scale": asdict(scaled) if scaled is not None else {},
        "scale_settings": asdict(scale_config) if scale_config is not None else {},
    }
    (RESULTS / "latest.json").write_text(json.dumps(document, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(
        f"Run of {document['date']} on {info['cores']} × {info['cpu']}, "
        f"Python {info['python']}, {info['server']}.\n\n{table}\n"
    )


if __name__ == "__main__":
    sys.exit(main())
