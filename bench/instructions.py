"""Instructions per operation, counted by valgrind: figures noise cannot move.

Usage (inside bench/.venv): `python -m bench.instructions [--frameworks a,b]
[--server]`, or `make bench-instructions`. It prints a Markdown table.

On a shared machine CPU time per request swings by half from one second to
the next; the number of instructions a process executes does not. Callgrind
counts them exactly, whatever else runs, at the price of running the code
about fifty times slower, so this tool is separate from `make bench`:

- in-process: a child process drives the app with `bench/drivers.py` (the
  same code as the timed in-process figures) for a warm-up, then for N
  operations; the child runs twice, with N and with 0, and the difference
  over N is the count per operation (start-up and warm-up cancel out);
- through uvicorn (`--server`): uvicorn itself runs under callgrind with the
  options of the timed scenario; after a warm-up the counters are zeroed
  (`callgrind_control -z`), the load runs (`wrk` for HTTP, one ping-pong
  WebSocket client for the echo) and the counters are dumped (`-d`).

Counts do not see cache misses, so they are a floor under the timed ratios
rather than a replacement: docs/performance.md sets both side by side.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench.apps import MODULES, load
from bench.drivers import lifespan, serve_http, serve_ws_echo
from bench.report import BASELINE
from bench.run import log
from bench.scenarios import ROOT, ScenarioError, run_loop
from bench.scenarios.server import EchoClients, Server, uvicorn, wrk, wrk_totals

KINDS = ("ws", "http")
INPROC_OPERATIONS = 2000
WARMUP_OPERATIONS = 200
SERVER_SECONDS = 3
# Few enough for a server slowed fifty times to answer within wrk's timeout.
SERVER_WRK_CONNECTIONS = 10
# Under callgrind everything runs about fifty times slower than usual.
SLOW_TIMEOUT = 300.0
CHILD_TIMEOUT = 900.0
# Dict and set layouts, and so instruction counts, depend on the hash seed.
# A coverage run around the test suite must not trace the counted children.
_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")},
    "PYTHONHASHSEED": "0",
}
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def callgrind(out: str | Path = os.devnull) -> list[str]:
    """Return the prefix that runs a command under callgrind.

    Args:
        out: Where callgrind writes its counts; each `callgrind_control -d`
            adds a file `out.N`.

    Returns:
        The command prefix.
    """
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]


def inproc_total(kind: str, name: str, operations: int) -> int:
    """Count the instructions of a child that drives `operations` operations.

    Args:
        kind: `ws` (echoed messages) or `http` (`GET /` requests).
        name: A framework of `bench.apps.MODULES`.
        operations: How many operations after the warm-up.

    Returns:
        The child's instructions, start-up included.

    Raises:
        ScenarioError: The child failed or callgrind printed no total.
    """
    module = "bench.instructions"
    child = [sys.executable, "-m", module, "--child", kind, name, str(operations)]
    done = subprocess.run(
        [*callgrind(), *child],
        cwd=ROOT,
        env=_ENV,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        # The child's own lines, not valgrind's (they start with "==pid==").
        own = [line for line in done.stderr.splitlines() if not line.startswith("==")]
        raise ScenarioError(f"{kind} {name}: {' | '.join(own[-3:])}")
    return int(found.group(1))


def inproc_per_operation(kind: str, name: str) -> float:
    """Count the instructions of one in-process operation.

    Args:
        kind: `ws` or `http`.
        name: A framework of `bench.apps.MODULES`.

    Returns:
        Instructions per operation.
    """
    full = inproc_total(kind, name, INPROC_OPERATIONS)
    empty = inproc_total(kind, name, 0)
    return (full - empty) / INPROC_OPERATIONS


async def _drive(kind: str, name: str, operations: int) -> None:
    app = load(name).app
    async with lifespan(app, SLOW_TIMEOUT):
        if kind == "http":
            for _ in range(WARMUP_OPERATIONS + operations):
                await serve_http(app)
        else:
            await serve_ws_echo(app, WARMUP_OPERATIONS)
            if operations:
                await serve_ws_echo(app, operations)


def server_per_operation(kind: str, name: str) -> float:
    """Count uvicorn's instructions per request or echoed message.

    Args:
        kind: `ws` (one client playing ping-pong) or `http` (wrk).
        name: A framework of `bench.apps.MODULES`.

    Returns:
        Instructions per operation, all of the server process's.

    Raises:
        ScenarioError: The server or the load failed.
    """
    with (
        tempfile.TemporaryDirectory() as folder,
        uvicorn(
            name,
            wrapper=callgrind(Path(folder) / "out"),
            ready_timeout=SLOW_TIMEOUT,
            env=_ENV,
        ) as server,
    ):
        if kind == "http":
            operations = _counted(server, lambda: _http_load(server))
        else:
            with EchoClients(server, 1, SERVER_SECONDS) as clients:
                operations = _counted(server, lambda: clients.run()["messages"])
        return _dumped_total(Path(folder)) / operations


def _http_load(server: Server) -> int:
    output = wrk(server.port, SERVER_SECONDS, SERVER_WRK_CONNECTIONS)
    return wrk_totals(output)[0]


def _counted(server: Server, load_once: Callable[[], int]) -> int:
    load_once()  # warm-up: imports, caches, the adaptive interpreter
    _control("-z", server)
    operations = load_once()
    _control("-d", server)
    return operations


def _control(flag: str, server: Server) -> None:
    done = subprocess.run(
        ["callgrind_control", flag, str(server.process.pid)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise ScenarioError(f"callgrind_control {flag}: {done.stdout[-300:]}")


def _dumped_total(folder: Path) -> int:
    dumps = sorted(folder.glob("out.*"))
    if not dumps:
        raise ScenarioError("callgrind wrote no dump")
    for line in dumps[0].read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise ScenarioError(f"no summary in {dumps[0].name}")


def measure(names: list[str], server: bool) -> dict[str, dict[str, float]]:
    """Count instructions per operation for every framework and figure.

    Args:
        names: Frameworks, raw ASGI first.
        server: Whether to count through uvicorn too.

    Returns:
        Instructions per operation by figure, then by framework.
    """
    figures: dict[str, Callable[[str], float]] = {
        f"inproc_{kind}": partial(inproc_per_operation, kind) for kind in KINDS
    }
    if server:
        figures |= {
            f"server_{kind}": partial(server_per_operation, kind) for kind in KINDS
        }
    counts: dict[str, dict[str, float]] = {key: {} for key in figures}
    for key, count in figures.items():
        for name in names:
            counts[key][name] = count(name)
            log(f"  {key:<12} {name:<11} {counts[key][name]:,.0f}")
    return counts


TITLES = {
    "inproc_ws": "WebSocket echo, in-process (per message)",
    "inproc_http": "HTTP GET /, in-process (per request)",
    "server_ws": "uvicorn WS echo, 1 client: server (per message)",
    "server_http": "uvicorn HTTP, wrk: server (per request)",
}


def render(counts: dict[str, dict[str, float]]) -> str:
    """Render counts as a Markdown table, each with its ratio to raw ASGI.

    The ratio reads as the timed tables do: above 1 for in-process figures
    means faster than raw (raw's count over the framework's), for server
    figures it is the framework's count over raw's (cost, lower is better).

    Args:
        counts: Instructions per operation by figure, then by framework.

    Returns:
        The table.
    """
    names = list(next(iter(counts.values())))
    lines = [
        "| instructions | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for key, row in counts.items():
        raw = row.get(BASELINE)
        cells = []
        for name in names:
            value = row[name]
            if raw is None:
                cells.append(f"{value:,.0f}")
                continue
            ratio = raw / value if key.startswith("inproc") else value / raw
            cells.append(f"{value:,.0f} ({ratio:.3f}×)")
        lines.append(f"| {TITLES[key]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Count, then print the table; or, with `--child`, drive one app."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default=f"{BASELINE},spangle")
    parser.add_argument("--server", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "APP", "N"))
    args = parser.parse_args(argv)
    if args.child:
        kind, name, operations = args.child
        run_loop(_drive(kind, name, int(operations)))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    names = list(dict.fromkeys([BASELINE, *args.frameworks.split(",")]))
    unknown = [name for name in names if name not in MODULES]
    if unknown:
        sys.exit(f"unknown frameworks: {', '.join(unknown)}")
    print(render(measure(names, args.server)))


if __name__ == "__main__":
    main()
