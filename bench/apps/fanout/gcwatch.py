"""The garbage collector's record in a bench server, for `GET /gc`.

Importing this module starts timing every collection (`gc.callbacks`): the
number and the longest pause of each generation since the last reset. The
apps answer `GET /gc` with `report(query)`:

- `reset=1` starts a new record after this one;
- `collect=1` also times one full collection (`gc.collect()`) made now,
  and counts the unreachable objects it found (`collected`);
- `objects=1` also counts the objects the collector tracks, by type;
- `garbage=1` also collects, counting the unreachable objects by type.
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs


class _Record:
    __slots__ = ("started", "counts", "longest", "total")

    def __init__(self) -> None:
        self.started = 0
        self.counts = [0, 0, 0]
        self.longest = [0, 0, 0]
        self.total = [0, 0, 0]


_record = _Record()


def _watch(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _record.started = time.perf_counter_ns()
        return
    generation = info["generation"]
    pause = time.perf_counter_ns() - _record.started
    _record.counts[generation] += 1
    _record.total[generation] += pause
    if pause > _record.longest[generation]:
        _record.longest[generation] = pause


gc.callbacks.append(_watch)


def _rss() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _tracked_by_type() -> dict[str, int]:
    """Count the tracked objects by type, frozen ones (`spangle run`) too."""
    frozen = gc.get_freeze_count() > 0
    if frozen:
        gc.unfreeze()
    try:
        counts = Counter(type(o).__qualname__ for o in gc.get_objects())
    finally:
        if frozen:
            gc.freeze()
    return dict(counts)


def _garbage_by_type() -> dict[str, int]:
    """Collect, keeping what was unreachable; count it by type, then free it."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        counts = Counter(type(o).__qualname__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    return dict(counts)


def report(query: str | bytes) -> bytes:
    """Describe the collections so far, as JSON.

    Args:
        query: The request's query string.

    Returns:
        `{"counts", "longest_ms", "total_ms"}` per generation, `rss`,
        `tracked` (objects tracked now, frozen ones included), `frozen`
        (`gc.get_freeze_count()`), `threshold`, and `collect_ms` and
        `collected` / `by_type` (frozen objects included) when asked for.
    """
    global _record
    if isinstance(query, bytes):
        query = query.decode("latin-1")
    asked = {key: values[-1] for key, values in parse_qs(query).items()}
    found: dict[str, Any] = {
        "counts": _record.counts,
        "longest_ms": [ns / 1e6 for ns in _record.longest],
        "total_ms": [ns / 1e6 for ns in _record.total],
        "rss": _rss(),
        "tracked": len(gc.get_objects()) + gc.get_freeze_count(),
        "frozen": gc.get_freeze_count(),
        "threshold": gc.get_threshold(),
    }
    if asked.get("objects") == "1":
        found["by_type"] = _tracked_by_type()
    if asked.get("garbage") == "1":
        found["garbage"] = _garbage_by_type()
    if asked.get("collect") == "1":
        start = time.perf_counter_ns()
        found["collected"] = gc.collect()
        found["collect_ms"] = (time.perf_counter_ns() - start) / 1e6
    if asked.get("reset") == "1":
        _record = _Record()
    return json.dumps(found).encode()
