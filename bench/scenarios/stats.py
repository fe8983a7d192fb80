"""Small measuring helpers shared by the scale scenarios."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], percent: float) -> float:
    """Return the nearest-rank percentile (the p95 of 40 values is the 38th).

    Args:
        values: At least one value.
        percent: 0 to 100.

    Returns:
        The smallest value with at least `percent` % of values at or below it.

    Raises:
        ValueError: `values` is empty.
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def proc_cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    # Fields 14 and 15 of proc(5), utime and stime, counted after the name.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def proc_rss_bytes(pid: int) -> int:
    """Return a process's resident memory (VmRSS)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
