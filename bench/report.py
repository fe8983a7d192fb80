"""The figures, their ratios to raw ASGI, issue 7's targets, and the table."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.apps import FRAMEWORKS

BASELINE = "raw"
SUBJECT = "spangle"


@dataclass(frozen=True)
class Metric:
    """One row of the table.

    Attributes:
        key: Its key in the results.
        title: What it measures.
        unit: The unit of its value.
        higher_is_better: Whether a larger value is better.
        target: spangle's goal from issue 7, as text.
        check: The part of an entry the target bounds: `ratio`, `delta` or
            `cost`.
        bound: The bound (a minimum when higher is better, else a maximum).
    """

    key: str
    title: str
    unit: str
    higher_is_better: bool
    target: str
    check: str
    bound: float

    def meets(self, entry: dict[str, Any]) -> bool:
        """Tell whether an entry meets the target.

        Args:
            entry: A framework's entry for this metric.

        Returns:
            Whether the bounded part is on the right side of the bound.
        """
        value = float(entry[self.check])
        if self.check == "ratio" and self.higher_is_better:
            return value >= self.bound
        return value <= self.bound


def _faster(key: str, title: str, unit: str, bound: float) -> Metric:
    return Metric(key, title, unit, True, f"≥ {bound:.2f}×", "ratio", bound)


def _cheaper(key: str, title: str, unit: str, bound: float) -> Metric:
    return Metric(key, title, unit, False, f"≤ {bound:.2f}×", "ratio", bound)


def _routes(kind: str, percent: float) -> Metric:
    title = f"1,000 {kind} routes vs 1: cost"
    target = f"≤ +{percent:.0f} %"
    return Metric(f"routes_{kind}", title, "%", False, target, "cost", percent)


CPU = "server CPU"
METRICS = (
    _faster("inproc_ws", "WebSocket echo, in-process", "msg/s", 0.90),
    _faster("inproc_http", "HTTP GET /, in-process", "req/s", 0.35),
    _cheaper("server_ws_1", f"uvicorn WS echo, 1 client: {CPU}", "µs/msg", 1.05),
    _cheaper("server_ws_50", f"uvicorn WS echo, 50 clients: {CPU}", "µs/msg", 1.05),
    _cheaper("server_http", f"uvicorn HTTP, wrk 50 conns: {CPU}", "µs/req", 1.25),
    Metric(
        "memory",
        "idle WebSocket, tracemalloc",
        "B/conn",
        False,
        "≤ raw + 1 KiB",
        "delta",
        1024,
    ),
    _routes("static", 10),
    _routes("dynamic", 25),
)
BY_KEY = {metric.key: metric for metric in METRICS}


def add_ratios(metric: Metric, entries: dict[str, dict[str, Any]]) -> None:
    """Give every entry its `ratio` to raw ASGI (and `delta` for memory).

    For the routing metrics the ratio compares requests per second with
    1,000 routes; an entry with a `paired_ratio` (the median ratio of runs
    alternating with raw ASGI) keeps it; otherwise the ratio compares the
    values. An entry that carries its own `raw` value (raw ASGI timed in
    turn with it) is compared with that one.

    Args:
        metric: The metric.
        entries: Framework name -> entry with `value`; updated in place.
    """
    raw = entries.get(BASELINE)
    if raw is None or "value" not in raw:
        return
    # The raw column shows raw's best figure of the run, paired runs included.
    paired = [e["raw"] for n, e in entries.items() if n != BASELINE and "raw" in e]
    pick = max if metric.higher_is_better else min
    raw["value"] = pick([raw["value"], *paired])
    for name, entry in entries.items():
        if "value" not in entry:
            continue
        if name == BASELINE:
            # Raw is its own baseline.
            entry.pop("raw", None)
            entry.pop("extra_us", None)
        # A raw rate timed in turn with this framework, when there is one.
        base = entry.get("raw", raw["value"])
        if metric.check == "cost":
            entry["cost"] = entry["value"]
            entry["ratio"] = entry["many"] / raw["many"]
        elif "paired_ratio" in entry:
            entry["ratio"] = entry["paired_ratio"]
        else:
            entry["ratio"] = entry["value"] / base
        if metric.check == "delta":
            entry["delta"] = entry["value"] - base
        if metric.higher_is_better and name != BASELINE:
            # The framework's own time per operation, whatever the driver
            # costs: what its ratio adds to raw's time per operation.
            entry["extra_us"] = (1 / entry["ratio"] - 1) / base * 1e6


def best_peer(metric: Metric, entries: dict[str, dict[str, Any]]) -> str | None:
    """Return the best framework other than raw and spangle (no reference app).

    Args:
        metric: The metric.
        entries: Framework name -> entry.

    Returns:
        The name, or `None` when no peer was measured.
    """
    peers = {
        name: entry[metric.check]
        for name, entry in entries.items()
        if name in FRAMEWORKS
        and name not in (BASELINE, SUBJECT)
        and metric.check in entry
    }
    if not peers:
        return None
    pick = max if metric.higher_is_better and metric.check == "ratio" else min
    return pick(peers, key=lambda name: peers[name])


def format_value(metric: Metric, entry: dict[str, Any]) -> str:
    """Format an entry as `value (ratio×)`.

    When the entry was compared with raw ASGI timed next to it, that raw
    figure follows the ratio (`0.78× vs 247k`). The ratio of an entry with
    a `paired_ratio` is the median ratio of neighbouring runs, so it can
    differ from the two figures' quotient when noise struck unevenly.

    Args:
        metric: The metric.
        entry: The entry; it holds `error` when the measurement failed.

    Returns:
        The table cell.
    """
    if "error" in entry:
        return "error"
    value = float(entry["value"])
    ratio = f"{entry['ratio']:.2f}×" if "ratio" in entry else "?×"
    if metric.check == "cost":
        return f"{value:+.1f} % ({ratio})"
    if metric.check == "delta":
        return f"{value:,.0f} (+{entry.get('delta', 0):,.0f}, {ratio})"
    if "raw" in entry:
        ratio += f" vs {_number(float(entry['raw']))}"
    if "extra_us" in entry:
        ratio += f", {entry['extra_us']:+.2f} µs"
    return f"{_number(value)} ({ratio})"


def _number(value: float) -> str:
    return f"{value / 1000:,.0f}k" if value >= 10_000 else f"{value:,.1f}"


def render(results: dict[str, dict[str, dict[str, Any]]], names: list[str]) -> str:
    """Render the results as one markdown table.

    Args:
        results: Metric key -> framework name -> entry.
        names: Framework names, in column order.

    Returns:
        The table, one metric a row.
    """
    header = ["figure", "unit", *names, "issue 7 target", "spangle", "best peer"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for metric in METRICS:
        entries = results.get(metric.key)
        if not entries:
            continue
        cells = [metric.title, metric.unit]
        cells += [
            format_value(metric, entries[n]) if n in entries else "—" for n in names
        ]
        subject = entries.get(SUBJECT, {})
        met = (
            "—"
            if metric.check not in subject
            else ("met" if metric.meets(subject) else "missed")
        )
        peer = best_peer(metric, entries)
        peer_text = "—" if peer is None else f"{peer} {_bounded(metric, entries[peer])}"
        cells += [metric.target, met, peer_text]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _bounded(metric: Metric, entry: dict[str, Any]) -> str:
    value = float(entry[metric.check])
    if metric.check == "ratio":
        return f"{value:.2f}×"
    if metric.check == "delta":
        return f"+{value:,.0f} B"
    return f"{value:+.1f} %"


def main() -> None:
    """Print the table of a results file again (bench/results/latest.json)."""
    from bench.run import RESULTS

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS / "latest.json")
    document = json.loads(parser.parse_args().results.read_text())
    results = document["results"]
    for key, entries in results.items():
        add_ratios(BY_KEY[key], entries)
    names = list(dict.fromkeys(n for entries in results.values() for n in entries))
    print(render(results, names))


if __name__ == "__main__":
    main()
