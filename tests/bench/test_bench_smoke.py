"""The benchmark apps answer correctly through the benchmark's own drivers.

Peers that are not installed in this environment (they live in bench/.venv)
are skipped. Nothing here measures time.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from bench.apps import HIT_DYNAMIC, HIT_STATIC, MODULES, REFERENCES, load
from bench.drivers import HELLO, lifespan, serve_http, serve_ws_echo
from bench.idle import measure_idle
from bench.report import BY_KEY, add_ratios, best_peer, render
from bench.run import paired_entries, store
from bench.scenarios.server import EchoClients, uvicorn


def _installed(name: str) -> bool:
    # Each peer's app needs the package of its own name; raw ASGI and the
    # reference apps built on it need nothing.
    if name == "raw" or name in REFERENCES:
        return True
    return importlib.util.find_spec(name) is not None


APPS = [
    pytest.param(
        name, marks=pytest.mark.skipif(not _installed(name), reason="not installed")
    )
    for name in MODULES
]


def test_raw_and_spangle_apps_are_importable_here() -> None:
    assert _installed("raw")
    assert _installed("spangle")


@pytest.mark.parametrize("name", APPS)
async def test_get_root_answers_hello_world(name: str) -> None:
    app = load(name).app
    async with lifespan(app):
        exchange = await serve_http(app)
    assert exchange.status == 200
    assert exchange.body == HELLO


@pytest.mark.parametrize("name", APPS)
async def test_websocket_echoes_every_message(name: str) -> None:
    app = load(name).app
    async with lifespan(app):
        exchange = await serve_ws_echo(app, 3, text="ping")
    assert exchange.accepted
    assert exchange.echoed == 3
    assert exchange.last == "ping"


@pytest.mark.parametrize("dynamic", [False, True], ids=["static", "dynamic"])
@pytest.mark.parametrize("name", APPS)
async def test_routing_app_serves_its_last_route(name: str, dynamic: bool) -> None:
    app = load(name).routing_app(50, dynamic)
    async with lifespan(app):
        exchange = await serve_http(app, HIT_DYNAMIC if dynamic else HIT_STATIC)
    assert exchange.status == 200
    assert exchange.body == HELLO


@pytest.mark.parametrize("name", ["raw", "spangle"])
async def test_idle_connections_are_all_accepted_then_released(name: str) -> None:
    app = load(name).app
    async with lifespan(app):
        result = await measure_idle(app, 5)
    assert result.connections == 5
    assert result.total_bytes > 0


def test_table_gives_each_figure_as_a_ratio_to_raw() -> None:
    entries = {"raw": {"value": 200.0}, "spangle": {"value": 190.0}}
    add_ratios(BY_KEY["inproc_ws"], entries)
    table = render({"inproc_ws": entries}, ["raw", "spangle"])
    assert "| 200.0 (1.00×) | 190.0 (0.95×, +263.16 µs) |" in table
    assert "| ≥ 0.90× | met |" in table


def test_a_reference_app_is_never_the_best_peer() -> None:
    entries = {
        "raw": {"value": 200.0},
        "spangle": {"value": 170.0},
        "raw_coroutines": {"value": 190.0},
        "starlette": {"value": 100.0},
    }
    add_ratios(BY_KEY["inproc_ws"], entries)
    assert best_peer(BY_KEY["inproc_ws"], entries) == "starlette"


def test_server_figures_are_medians_and_their_ratio_pairs_neighbouring_runs() -> None:
    runs = {"raw": [40.0, 90.0, 50.0], "spangle": [44.0, 99.0, 60.0]}
    entries = paired_entries(runs, "spangle")
    assert entries["raw"]["value"] == 50.0
    assert entries["spangle"]["value"] == 60.0
    add_ratios(BY_KEY["server_http"], entries)
    # Neighbouring runs: 1.10, 1.10, 1.20; a burst that slows both cancels out.
    assert entries["spangle"]["ratio"] == pytest.approx(1.10)


def test_echo_clients_stay_connected_and_measure_run_after_run() -> None:
    with uvicorn("raw") as server, EchoClients(server, 2, 0.2) as echo:
        runs = [echo.run(), echo.run()]
    for run in runs:
        assert run["messages"] > 0
        assert run["value"] == pytest.approx(run["cpu"] / run["messages"] * 1e6)


def test_in_process_ratio_is_the_median_of_every_rounds_neighbouring_runs() -> None:
    results: dict[str, dict[str, dict[str, Any]]] = {}
    store(results, "inproc_http", "raw", {"value": 500.0})
    # A busy spell slowed the first round's spangle run but not its raw one.
    first = {"value": 100.0, "raw": 500.0, "pairs": [0.2, 0.4], "paired_ratio": 0.3}
    second = {"value": 190.0, "raw": 490.0, "pairs": [0.39, 0.38]}
    store(results, "inproc_http", "spangle", first)
    store(results, "inproc_http", "spangle", {**second, "paired_ratio": 0.385})
    entries = results["inproc_http"]
    add_ratios(BY_KEY["inproc_http"], entries)
    assert entries["spangle"]["value"] == 190.0
    assert entries["spangle"]["ratio"] == pytest.approx(0.385)
