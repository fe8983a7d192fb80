"""Let real-server tests see what a WebSocket app saw and what it left behind.

`install(api)` adds to an app:

- a before hook that marks `conn.state.before`, and an after hook that writes
  how each connection ended into the facts of its `id` query parameter;
- `GET /seen/{key}`: waits (bounded) until the after hook has run for `key`,
  then answers every fact noted for it as JSON, so a test never sleeps;
- lifespan functions: at shutdown, once the server has finished every
  connection, print the tasks created since startup that still exist and how
  many times the after hook ran.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any

from spangle import Api, Connection, Request, Response

SEEN_TIMEOUT = 10.0

_facts: defaultdict[str, dict[str, Any]] = defaultdict(dict)
_done: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
_baseline: set[asyncio.Task[Any]] = set()
_after_runs = 0


def note(conn: Connection, **facts: Any) -> None:
    """Record facts about a connection under its `id` query parameter.

    Args:
        conn: The connection; without an `id` parameter nothing is recorded.
        **facts: JSON-serializable facts.
    """
    key = conn.params.get("id")
    if key is not None:
        _facts[key].update(facts)


class _Before:
    async def on_ws(self, conn: Connection) -> None:
        conn.state.before = True


class _After:
    async def on_ws(self, conn: Connection) -> None:
        global _after_runs
        _after_runs += 1
        note(
            conn,
            after_hook=True,
            closed=conn.closed,
            close_code=conn.close_code,
            close_reason=conn.close_reason,
        )
        key = conn.params.get("id")
        if key is not None:
            _done[key].set()


class _Seen:
    async def on_get(self, req: Request, resp: Response, key: str) -> None:
        try:
            await asyncio.wait_for(_done[key].wait(), SEEN_TIMEOUT)
        except asyncio.TimeoutError:
            resp.set_status(504)
        resp.set_text(json.dumps(_facts[key]), "application/json")


def _remember_startup_tasks() -> None:
    _baseline.update(asyncio.all_tasks())


def _report_leftovers() -> None:
    # Uvicorn runs lifespan shutdown after every connection task has ended,
    # so anything new still alive here was left behind by the app or spangle.
    current = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t not in _baseline | {current}]
    described = ", ".join(repr(t.get_coro()) for t in leftovers)
    print(f"leftover tasks: {len(leftovers)} [{described}]", flush=True)
    print(f"after hooks ran: {_after_runs}", flush=True)


def install(api: Api) -> None:
    """Add the probe's hooks, `/seen/{key}` route and lifespan functions.

    Args:
        api: The app under test.
    """
    api.before_request(_Before)
    api.after_request(_After)
    api.route("/seen/{key}")(_Seen)
    api.on_start(_remember_startup_tasks)
    api.on_stop(_report_leftovers)
