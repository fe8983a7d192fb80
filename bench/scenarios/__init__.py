"""Benchmark scenarios; each in-process one runs in a child process per app.

A fresh process per framework keeps one framework's imports and garbage
from slowing another's collections, as in production where each app runs
alone. A child prints one JSON line; `run_child` reads it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT = 300.0


class ScenarioError(RuntimeError):
    """A child process failed; the message holds the end of its output."""


def run_child(module: str, *args: str, timeout: float = CHILD_TIMEOUT) -> Any:
    """Run `python -m module args` in the repository and decode its JSON line.

    Args:
        module: A scenario module, e.g. `bench.scenarios.inproc`.
        *args: Its command-line arguments.
        timeout: Seconds before the child is killed.

    Returns:
        The decoded last line of its output.

    Raises:
        ScenarioError: The child failed or printed no JSON.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ScenarioError(f"{module} {' '.join(args)}: timed out") from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ScenarioError(" | ".join(tail) or f"exit code {done.returncode}")
    return json.loads(lines[-1])


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on uvloop, the loop every server scenario uses too.

    Args:
        main: The coroutine.

    Returns:
        Its result.
    """
    import uvloop

    return uvloop.run(main)


def child_main(
    parser: argparse.ArgumentParser,
    work: Callable[[argparse.Namespace], Coroutine[Any, Any, Any]],
) -> None:
    """Parse arguments, run `work` on uvloop and print its JSON result.

    Args:
        parser: The child's argument parser.
        work: Makes the coroutine to run from the parsed arguments.
    """
    result = run_loop(work(parser.parse_args()))
    print(json.dumps(result), flush=True)
