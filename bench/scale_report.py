"""Scores, medians, ratios and tables of the scale scenarios (`bench.scale`).

A fan-out run is a list of steps; its score is the largest client count
whose broadcasts all arrived with a 95th-percentile round trip within the
bound, before two steps in a row missed it. A row's figures are medians
over its rounds; its ratios compare them with raw ASGI's medians.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median
from typing import Any

BASELINE = "raw"
#: Bad steps in a row that end a fan-out run (the load stops there too).
BAD_IN_A_ROW = 2
SUBJECT = "broadcast"
#: The client count at which round trips and CPU are compared.
FIXED_CLIENTS = 2500
PEERS = ("starlette", "fastapi", "litestar")

Step = dict[str, Any]
Run = list[Step]


def good(step: Step, bound_ms: float) -> bool:
    """Tell whether a step met the bound: no error, nothing lost, p95 within."""
    return (
        "error" not in step
        and not step.get("lost")
        and step.get("p95", float("inf")) <= bound_ms
    )


def score(run: Run, bound_ms: float) -> int:
    """Return the largest client count of a good step before the run ended.

    The run ends at a step that failed (clients could not connect) or at
    the second of `BAD_IN_A_ROW` bad steps in a row: one step over the
    bound among good ones is the round trips' noise (a step's p95 moves by
    a fifth between neighbours), not the row's limit.

    Args:
        run: The steps, in increasing client counts.
        bound_ms: The 95th-percentile bound.

    Returns:
        The clients of the last good step; 0 when none is good.
    """
    best = 0
    bad = 0
    for step in run:
        if "error" in step:
            break
        if good(step, bound_ms):
            best, bad = step["clients"], 0
            continue
        bad += 1
        if bad == BAD_IN_A_ROW:
            break
    return best


def at(run: Run, clients: int) -> Step | None:
    """Return the run's measured step with that many clients, if any."""
    for step in run:
        if step["clients"] == clients and "error" not in step and "p95" in step:
            return step
    return None


def _median(values: Sequence[float]) -> float | None:
    return median(values) if values else None


def summarize_row(runs: list[Run], bound_ms: float) -> dict[str, Any]:
    """Reduce a row's rounds to medians.

    Args:
        runs: One run per round.
        bound_ms: The 95th-percentile bound.

    Returns:
        `scores` (per round) and `score` (their median); at
        `FIXED_CLIENTS`: `p50`, `p95`, `max` and `cpu_us` (medians over
        the rounds that reached it, each also as a list `*_runs`); and
        `redis_messages_per_broadcast` where counted.
    """
    scores = [score(run, bound_ms) for run in runs]
    found: dict[str, Any] = {"scores": scores, "score": median(scores)}
    fixed = [step for run in runs if (step := at(run, FIXED_CLIENTS)) is not None]
    for key in ("p50", "p95", "max", "cpu_us"):
        values = [float(step[key]) for step in fixed if key in step]
        found[f"{key}_runs"] = values
        found[key] = _median(values)
    # Counted at each run's largest step, where the other traffic is least.
    counted = [
        [step for step in run if "redis_messages_per_broadcast" in step][-1]
        for run in runs
        if any("redis_messages_per_broadcast" in step for step in run)
    ]
    if counted:
        per = [step["redis_messages_per_broadcast"] for step in counted]
        found["redis_messages_per_broadcast"] = median(per)
        found["redis_subscriptions"] = max(s["redis_subscriptions"] for s in counted)
    return found


def summarize(
    fanout: dict[str, list[Run]], bound_ms: float
) -> dict[str, dict[str, Any]]:
    """Summarise every row and give each its ratios to raw ASGI.

    Returns:
        Row -> summary with `score_ratio`, `p95_ratio` and `cpu_ratio`
        where both it and raw have the figure.
    """
    rows = {name: summarize_row(runs, bound_ms) for name, runs in fanout.items()}
    raw = rows.get(BASELINE)
    if raw is None:
        return rows
    for summary in rows.values():
        for key, ratio in (("score", "score_ratio"), ("p95", "p95_ratio")):
            if summary.get(key) is not None and raw.get(key):
                summary[ratio] = summary[key] / raw[key]
        if summary.get("cpu_us") is not None and raw.get("cpu_us"):
            summary["cpu_ratio"] = summary["cpu_us"] / raw["cpu_us"]
    return rows


def step_medians(runs: list[Run]) -> dict[int, float]:
    """Return the median p95 per client count, over the runs that measured it."""
    by_clients: dict[int, list[float]] = {}
    for run in runs:
        for step in run:
            if "p95" in step and "error" not in step and not step.get("lost"):
                by_clients.setdefault(step["clients"], []).append(step["p95"])
    return {clients: median(values) for clients, values in sorted(by_clients.items())}


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _ratio(summary: dict[str, Any], key: str) -> str:
    return f" ({summary[key]:.2f}×)" if key in summary else ""


def render_fanout(rows: dict[str, dict[str, Any]], bound_ms: float) -> str:
    """Render the fan-out summary as a markdown table, one row a row."""
    lines = [
        f"| row | clients under p95 ≤ {bound_ms:,.0f} ms (rounds) "
        f"| p50 / p95 / max at {FIXED_CLIENTS:,} clients, ms "
        "| server CPU per delivery at 2,500, µs |",
        "|---|---|---|---|",
    ]
    for name, s in rows.items():
        rounds = ", ".join(f"{n:,}" for n in s["scores"])
        score_cell = f"{s['score']:,.0f}{_ratio(s, 'score_ratio')} [{rounds}]"
        timing = " / ".join(_ms(s.get(key)) for key in ("p50", "p95", "max"))
        timing += _ratio(s, "p95_ratio")
        cpu = "—" if s.get("cpu_us") is None else f"{s['cpu_us']:.1f}"
        cpu += _ratio(s, "cpu_ratio")
        lines.append(f"| {name} | {score_cell} | {timing} | {cpu} |")
    return "\n".join(lines)


def _verdict(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "missed")


def fanout_targets(rows: dict[str, dict[str, Any]]) -> list[tuple[str, str, str]]:
    """Check the fan-out targets against the summary.

    Returns:
        (target, measured, verdict) triples.
    """
    subject = rows.get(SUBJECT, {})
    checks: list[tuple[str, str, str]] = []

    def ratio_check(title: str, key: str, bound: float, higher: bool) -> None:
        value = subject.get(key)
        met = None if value is None else (value >= bound if higher else value <= bound)
        shown = "—" if value is None else f"{value:.2f}×"
        checks.append((title, shown, _verdict(met)))

    ratio_check(
        f"Broadcast p95 at {FIXED_CLIENTS:,} ≤ 1.10× raw", "p95_ratio", 1.10, False
    )
    ratio_check(
        "Broadcast clients under the bound ≥ 0.95× raw", "score_ratio", 0.95, True
    )
    ratio_check(
        "Broadcast server CPU per delivery ≤ 1.10× raw", "cpu_ratio", 1.10, False
    )
    peers = {n: rows[n]["score"] for n in PEERS if n in rows}
    if peers and "score" in subject:
        best = max(peers, key=lambda n: peers[n])
        shown = f"{subject['score']:,.0f} vs {best} {peers[best]:,.0f}"
        checks.append(
            (
                "Broadcast ahead of every Python peer",
                shown,
                _verdict(subject["score"] > peers[best]),
            )
        )
    redis = rows.get("broadcast_redis")
    if redis is not None and subject.get("score"):
        value = redis["score"] / subject["score"]
        checks.append(
            (
                "redis:// (one worker) clients ≥ 0.90× memory://",
                f"{value:.2f}×",
                _verdict(value >= 0.90),
            )
        )
    two = rows.get("broadcast_redis_2w", {})
    if "redis_messages_per_broadcast" in two:
        per = two["redis_messages_per_broadcast"] / two["redis_subscriptions"]
        shown = f"{per:.2f} per worker ({two['redis_subscriptions']} subscriptions)"
        checks.append(
            (
                "redis:// two workers: one Redis message per broadcast per worker",
                shown,
                _verdict(abs(per - 1) < 0.05),
            )
        )
    return checks


def render_checks(checks: list[tuple[str, str, str]]) -> str:
    """Render target checks as a markdown table."""
    lines = ["| target | measured | |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {v} |" for t, m, v in checks]
    return "\n".join(lines)


def _last(steps: Run, clients: int) -> Step | None:
    for step in steps:
        if step["clients"] == clients and "error" not in step:
            return step
    return None


def median_run(runs: list[Run]) -> Run:
    """Reduce rounds of the many-connections scenario to one run of medians.

    Args:
        runs: One run per round, with the same steps.

    Returns:
        A step per client count of the first run: each reading the median
        over the rounds that measured it (the tracked objects type by type),
        `rss_rounds` the rounds' memory per connection; a step no round
        measured is the first round's error.
    """
    merged: Run = []
    for first in runs[0] if runs else []:
        clients = first["clients"]
        found = [s for run in runs if (s := _last(run, clients)) is not None]
        if not found:
            merged.append(first)
            continue
        step: Step = {"clients": clients}
        for key, value in found[0].items():
            if isinstance(value, int | float) and key != "clients":
                step[key] = median(s[key] for s in found if key in s)
        if "tracked_by_type" in found[0]:
            types = {t for s in found for t in s["tracked_by_type"]}
            step["tracked_by_type"] = {
                t: median(s["tracked_by_type"].get(t, 0.0) for s in found)
                for t in types
            }
        step["rss_rounds"] = [s["rss_per_connection"] for s in found]
        merged.append(step)
    return merged


def render_connections(connections: dict[str, Run]) -> str:
    """Render memory and the collector per open connection, by row and count.

    Each figure is the median of the rounds; the rounds' memory per
    connection follows in brackets.
    """
    lines = [
        "| row | open connections | server RSS per connection | "
        "tracked objects per connection | one full collection | "
        "longest pause while opening them and broadcasting (full collections) |",
        "|---|---|---|---|---|---|",
    ]
    for name, steps in connections.items():
        for step in steps:
            if "error" in step:
                lines.append(
                    f"| {name} | {step['clients']:,} | error: {step['error']} | | | |"
                )
                continue
            rounds = ", ".join(f"{r / 1024:.1f}" for r in step.get("rss_rounds", []))
            lines.append(
                f"| {name} | {step['clients']:,} "
                f"| {step['rss_per_connection'] / 1024:.1f} KiB"
                f"{f' [{rounds}]' if rounds else ''} "
                f"| {step.get('tracked_per_connection', 0):.1f} "
                f"| {step.get('collect_ms', 0):.0f} ms "
                f"| {step['gc_longest_ms']:.0f} ms ({step['gc_full']}) |"
            )
    return "\n".join(lines)


def added_objects(
    connections: dict[str, Run], name: str, clients: int
) -> dict[str, float]:
    """Return the tracked objects per connection a row adds to raw's, by type.

    Args:
        connections: The connections scenario's steps by row.
        name: The row.
        clients: The open connections of the step compared.

    Returns:
        Type name -> objects per connection more (or fewer, negative) than
        raw ASGI's, largest first; differences under 0.05 are left out.
    """
    own = _last(connections.get(name, []), clients)
    raw = _last(connections.get(BASELINE, []), clients)
    if own is None or raw is None:
        return {}
    ours, theirs = own["tracked_by_type"], raw["tracked_by_type"]
    diff = {t: ours.get(t, 0) - theirs.get(t, 0) for t in {*ours, *theirs}}
    kept = {t: d for t, d in diff.items() if abs(d) >= 0.05}
    return dict(sorted(kept.items(), key=lambda kv: -kv[1]))


def connection_targets(
    connections: dict[str, Run], clients: int
) -> list[tuple[str, str, str]]:
    """Check the memory and collector targets at `clients` open connections."""
    raw = _last(connections.get(BASELINE, []), clients)
    checks: list[tuple[str, str, str]] = []
    if raw is None:
        return checks
    for name in ("spangle_set", SUBJECT):
        own = _last(connections.get(name, []), clients)
        if own is not None:
            checks += _connection_checks(name, own, raw, clients)
    return checks


def _connection_checks(
    name: str, own: Step, raw: Step, clients: int
) -> list[tuple[str, str, str]]:
    own_kib = own["rss_per_connection"] / 1024
    raw_kib = raw["rss_per_connection"] / 1024
    extra = own_kib - raw_kib
    checks = [
        (
            f"{name}: server RSS per idle connection at {clients:,} ≤ raw + 1 KiB",
            f"{extra:+.2f} KiB ({own_kib:.1f} vs {raw_kib:.1f})",
            _verdict(extra <= 1.0),
        )
    ]
    if raw.get("gc_longest_ms"):
        ratio = own["gc_longest_ms"] / raw["gc_longest_ms"]
        checks.append(
            (
                f"{name}: longest collector pause while {clients:,} connections "
                "opened and were broadcast to (spangle run) ≤ 0.5× raw's (uvicorn)",
                f"{ratio:.2f}× ({own['gc_longest_ms']:.0f} vs "
                f"{raw['gc_longest_ms']:.0f} ms)",
                _verdict(ratio <= 0.5),
            )
        )
    return checks


def render_added(added: dict[str, float], limit: int = 15) -> str:
    """List the types a row adds per connection, as `type +n.n`."""
    shown = [f"{t} {d:+.1f}" for t, d in list(added.items())[:limit]]
    return ", ".join(shown) if shown else "none"
