"""Instruction counts under callgrind (bench/instructions.py).

Counting needs valgrind; the one test that runs it is skipped without it.
"""

from __future__ import annotations

import shutil

import pytest

from bench.instructions import inproc_per_operation, render
from bench.scenarios import ScenarioError
from bench.scenarios.server import wrk_totals

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8000/
  1 threads and 10 connections
  1400 requests in 3.00s, 201.11KB read
Requests/sec:    465.92
"""


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
# Four children under callgrind, each tens of times slower than normal: on a
# busy machine they take minutes, not the suite's usual minute.
@pytest.mark.timeout(300)
def test_an_in_process_request_counts_more_instructions_in_spangle_than_raw() -> None:
    raw = inproc_per_operation("http", "raw")
    spangle = inproc_per_operation("http", "spangle")
    # Start-up cancels out: what is left is one request's work, which a
    # framework can only add to.
    assert 1_000 < raw < spangle < 1_000_000


def test_the_table_gives_each_count_as_a_ratio_to_raw() -> None:
    table = render(
        {
            "inproc_ws": {"raw": 20_000.0, "spangle": 25_000.0},
            "server_http": {"raw": 100_000.0, "spangle": 120_000.0},
        }
    )
    # In-process reads as throughput (raw over framework), server as cost.
    assert "| 20,000 (1.000×) | 25,000 (0.800×) |" in table
    assert "| 100,000 (1.000×) | 120,000 (1.200×) |" in table


def test_wrk_totals_are_its_requests_and_seconds() -> None:
    assert wrk_totals(WRK_OUTPUT) == (1400, 3.0)


def test_wrk_output_with_socket_errors_is_refused() -> None:
    output = WRK_OUTPUT + "  Socket errors: connect 0, read 0, write 0, timeout 8\n"
    with pytest.raises(ScenarioError, match="Socket errors"):
        wrk_totals(output)
