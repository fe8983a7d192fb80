"""The scale scenarios' own logic: scores, medians, tables, the servers' settings.

The smoke run needs picows, which only the benchmark's environment has
(bench/.venv, made by `make bench`); it runs there and is skipped without it.
Nothing here measures time.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.apps.fanout import ROWS
from bench.drivers import lifespan
from bench.fanout_driver import drive_fanout
from bench.scale import UVICORN_OPTIONS, round_order, server_command
from bench.scale_report import (
    FIXED_CLIENTS,
    added_objects,
    connection_targets,
    fanout_targets,
    median_run,
    render_connections,
    render_fanout,
    score,
    step_medians,
    summarize,
)
from bench.scenarios.stats import percentile
from spangle.cli import DEFAULT_WS

ROOT = Path(__file__).resolve().parents[2]
BOUND = 500.0


def step(clients: int, p95: float, **extra: Any) -> dict[str, Any]:
    return {"clients": clients, "p50": p95 / 2, "p95": p95, "max": p95, **extra}


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 41)]
    assert percentile(values, 95) == 38.0
    assert percentile(values, 50) == 20.0
    assert percentile([7.0], 95) == 7.0


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        percentile([], 95)


def test_score_is_the_last_step_under_the_bound_before_two_over_it() -> None:
    run = [step(1000, 100), step(2000, 400), step(3000, 600), step(4000, 700)]
    run.append(step(5000, 450))
    assert score(run, BOUND) == 2000


def test_one_step_over_the_bound_between_good_ones_does_not_end_the_score() -> None:
    run = [step(1000, 100), step(2000, 600), step(3000, 450), step(4000, 700)]
    assert score(run, BOUND) == 3000


def test_a_step_that_failed_ends_the_score() -> None:
    run = [step(1000, 100), {"clients": 2000, "error": "refused"}, step(3000, 300)]
    assert score(run, BOUND) == 1000


def test_a_step_that_lost_a_broadcast_is_a_bad_step() -> None:
    run = [step(1000, 100), step(2000, 200, lost=1), step(3000, 300, lost=2)]
    assert score(run, BOUND) == 1000


def test_a_run_failing_at_its_first_step_scores_zero() -> None:
    assert score([{"clients": 250, "error": "refused"}], BOUND) == 0


def test_rows_figures_are_medians_of_rounds_and_ratios_compare_medians() -> None:
    fanout = {
        "raw": [
            [step(FIXED_CLIENTS, 100, cpu_us=20.0), step(5000, 400)],
            [step(FIXED_CLIENTS, 140, cpu_us=22.0), step(5000, 600)],
            [step(FIXED_CLIENTS, 120, cpu_us=21.0), step(5000, 450)],
        ],
        "broadcast": [
            [step(FIXED_CLIENTS, 130, cpu_us=23.1), step(5000, 700)],
            [step(FIXED_CLIENTS, 132, cpu_us=25.2), step(5000, 480)],
            [step(FIXED_CLIENTS, 500, cpu_us=30.0), step(5000, 900)],
        ],
    }
    rows = summarize(fanout, BOUND)
    assert rows["raw"]["scores"] == [5000, FIXED_CLIENTS, 5000]
    assert rows["raw"]["score"] == 5000
    assert rows["broadcast"]["score"] == FIXED_CLIENTS
    assert rows["broadcast"]["score_ratio"] == pytest.approx(0.5)
    assert rows["broadcast"]["p95_ratio"] == pytest.approx(132 / 120)
    assert rows["broadcast"]["cpu_ratio"] == pytest.approx(25.2 / 21.0)


def test_fanout_table_has_a_line_per_row_with_its_rounds() -> None:
    fanout = {
        "raw": [[step(FIXED_CLIENTS, 120, cpu_us=20.0)]],
        "litestar": [[step(FIXED_CLIENTS, 600, cpu_us=40.0)]],
    }
    table = render_fanout(summarize(fanout, BOUND), BOUND)
    assert (
        "| raw | 2,500 (1.00×) [2,500] | 60 / 120 / 120 (1.00×) | 20.0 (1.00×) |"
        in table
    )
    assert (
        "| litestar | 0 (0.00×) [0] | 300 / 600 / 600 (5.00×) | 40.0 (2.00×) |" in table
    )


def test_broadcast_must_beat_the_best_peer_not_tie_it() -> None:
    fanout = {
        "raw": [[step(FIXED_CLIENTS, 100)]],
        "broadcast": [[step(FIXED_CLIENTS, 105)]],
        "starlette": [[step(FIXED_CLIENTS, 100)]],
    }
    checks = {
        title: verdict for title, _, verdict in fanout_targets(summarize(fanout, BOUND))
    }
    assert checks["Broadcast p95 at 2,500 ≤ 1.10× raw"] == "met"
    assert checks["Broadcast ahead of every Python peer"] == "missed"


def test_redis_deliveries_are_counted_per_worker_at_the_largest_step() -> None:
    counted = {"redis_subscriptions": 2}
    fanout = {
        "broadcast_redis_2w": [
            [
                step(50, 10, redis_messages_per_broadcast=2.4, **counted),
                step(2000, 50, redis_messages_per_broadcast=2.002, **counted),
            ]
        ]
    }
    checks = {t: (m, v) for t, m, v in fanout_targets(summarize(fanout, BOUND))}
    title = "redis:// two workers: one Redis message per broadcast per worker"
    assert checks[title] == ("1.00 per worker (2 subscriptions)", "met")


def test_step_medians_skip_failed_steps() -> None:
    runs = [
        [step(1000, 100), step(2000, 300)],
        [step(1000, 120), {"clients": 2000, "error": "lost"}],
        [step(1000, 110), step(2000, 200)],
    ]
    assert step_medians(runs) == {1000: 110, 2000: 250}


def test_added_objects_are_the_difference_to_raw_by_type() -> None:
    connections = {
        "raw": [{"clients": 100, "tracked_by_type": {"Task": 1.0, "dict": 4.0}}],
        "spangle_set": [
            {
                "clients": 100,
                "tracked_by_type": {"Task": 1.0, "dict": 5.0, "Connection": 1.0},
            }
        ],
    }
    assert added_objects(connections, "spangle_set", 100) == {
        "dict": 1.0,
        "Connection": 1.0,
    }


def test_connection_rounds_are_reduced_to_medians_keeping_the_rounds_memory() -> None:
    def held(rss: float, pause: float, dicts: float) -> dict[str, Any]:
        by_type = {"dict": dicts}
        return {
            "clients": 10,
            "rss_per_connection": rss,
            "gc_longest_ms": pause,
            "gc_full": 0,
            "tracked_by_type": by_type,
        }

    runs = [[held(3000, 50, 4)], [held(1000, 70, 6)], [held(2000, 10, 5)]]
    merged = median_run(runs)
    assert merged == [
        {
            "clients": 10,
            "rss_per_connection": 2000,
            "gc_longest_ms": 50,
            "gc_full": 0,
            "tracked_by_type": {"dict": 5},
            "rss_rounds": [3000, 1000, 2000],
        }
    ]
    assert "2.0 KiB [2.9, 1.0, 2.0]" in render_connections({"raw": merged})


def test_a_connection_step_no_round_measured_keeps_its_error() -> None:
    failed = {"clients": 10, "error": "refused"}
    assert median_run([[failed], [dict(failed)]]) == [failed]


def test_connection_targets_allow_one_kib_more_and_half_the_pause() -> None:
    def held(rss: float, collect: float) -> list[dict[str, Any]]:
        return [{"clients": 10, "rss_per_connection": rss, "gc_longest_ms": collect}]

    connections = {
        "raw": held(20_000, 100),
        "spangle_set": held(21_000, 40),
        "broadcast": held(21_100, 60),
    }
    checks = {t: v for t, _, v in connection_targets(connections, 10)}
    assert (
        checks["spangle_set: server RSS per idle connection at 10 ≤ raw + 1 KiB"]
        == "met"
    )
    assert (
        checks["broadcast: server RSS per idle connection at 10 ≤ raw + 1 KiB"]
        == "missed"
    )
    assert (
        checks[
            "spangle_set: longest collector pause while 10 connections opened and were "
            "broadcast to (spangle run) ≤ 0.5× raw's (uvicorn)"
        ]
        == "met"
    )
    assert (
        checks[
            "broadcast: longest collector pause while 10 connections opened and were "
            "broadcast to (spangle run) ≤ 0.5× raw's (uvicorn)"
        ]
        == "missed"
    )


def test_rounds_alternate_the_order_of_the_rows() -> None:
    rows = ("raw", "broadcast", "starlette")
    assert round_order(rows, 0) == ["raw", "broadcast", "starlette"]
    assert round_order(rows, 1) == ["starlette", "broadcast", "raw"]


def test_spangle_rows_run_under_spangle_run_and_peers_under_uvicorn() -> None:
    spangle = server_command(ROWS["broadcast"], 9000)
    peer = server_command(ROWS["starlette"], 9000)
    assert spangle[1:4] == ["-m", "spangle", "run"]
    assert peer[1:3] == ["-m", "uvicorn"]


def test_peers_get_spangle_runs_websocket_settings() -> None:
    options = dict(zip(UVICORN_OPTIONS[::2], UVICORN_OPTIONS[1::2], strict=True))
    assert options["--ws"] == DEFAULT_WS
    assert options["--ws-per-message-deflate"] == "False"


def _bench_python() -> str | None:
    if importlib.util.find_spec("picows") is not None:
        return sys.executable
    candidate = ROOT / "bench" / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else None


@pytest.mark.skipif(_bench_python() is None, reason="needs picows (bench/.venv)")
@pytest.mark.timeout(300)
def test_fanout_smoke_run_measures_every_step_and_prints_the_table(
    tmp_path: Path,
) -> None:
    python = _bench_python()
    assert python is not None
    command = [python, "-c", SMOKE, str(tmp_path / "out.json")]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=280, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads((tmp_path / "out.json").read_text())
    for name in ("raw", "broadcast"):
        (run,) = found["fanout"][name]
        assert [s["clients"] for s in run] == [5, 10]
        assert all(s["lost"] == 0 and s["samples"] == 4 for s in run)
    assert "| broadcast |" in done.stdout


SMOKE = """
import dataclasses, json, sys
from bench import scale
from bench.run import render_scale
settings = dataclasses.replace(
    scale.QUICK, steps=(5, 10), samples=4, rows=("raw", "broadcast")
)
results = scale.ScaleResults()
scale.run_fanout(results, settings, lambda line: None)
print(render_scale(results, settings))
open(sys.argv[1], "w").write(json.dumps(dataclasses.asdict(results)))
"""


@pytest.mark.parametrize("name", ["raw", "spangle_set", "broadcast"])
async def test_fanout_apps_deliver_every_broadcast_to_every_connection(
    name: str,
) -> None:
    app = importlib.import_module(ROWS[name].module).app
    async with lifespan(app):
        delivered = await drive_fanout(app, broadcasts=3, connections=5)
    assert delivered == 15
