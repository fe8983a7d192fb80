"""Draw bench/results/latest.json: the ratios, and the fan-out's round trips.

`python -m bench.chart` (in bench/.venv) writes docs/performance.png (one
panel a figure) and, when the fan-out ran, docs/fanout.png (p95 against
clients, one line a row); `--out` and `--fanout-out` write elsewhere.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render to a file

import matplotlib.pyplot as plt  # noqa: E402

from bench.report import BASELINE, METRICS, SUBJECT, Metric  # noqa: E402
from bench.scale_report import step_medians  # noqa: E402
from bench.scenarios import ROOT  # noqa: E402

DEFAULT_IN = ROOT / "bench" / "results" / "latest.json"
DEFAULT_OUT = ROOT / "docs" / "performance.png"
DEFAULT_FANOUT_OUT = ROOT / "docs" / "fanout.png"
COLORS = {BASELINE: "#9e9e9e", SUBJECT: "#d4380d"}
PEER_COLOR = "#4a6fa5"
Bars = tuple[list[str], list[float], float, str]


def bars(metric: Metric, entries: dict[str, dict[str, Any]]) -> Bars:
    """Pick what a metric's panel shows: one bar per framework, a target line.

    Args:
        metric: The metric.
        entries: Framework name -> entry (with ratios).

    Returns:
        Names, bar lengths, the target's position, and the x-axis label.
    """
    names = [n for n, e in entries.items() if "ratio" in e]
    if metric.check == "cost":
        # The target bounds the slowdown from 1 route to 1,000, not a ratio to raw.
        values = [1 / (1 + entries[n]["cost"] / 100) for n in names]
        target = 1 / (1 + metric.bound / 100)
        return (
            names,
            values,
            target,
            "req/s with 1,000 routes ÷ with 1; higher is better",
        )
    values = [float(entries[n]["ratio"]) for n in names]
    better = "higher" if metric.higher_is_better else "lower"
    target = metric.bound
    if metric.check == "delta":
        target = 1 + metric.bound / entries[BASELINE]["value"]
    return names, values, target, f"{metric.unit} ÷ raw ASGI; {better} is better"


def panel(ax: Any, metric: Metric, entries: dict[str, dict[str, Any]]) -> None:
    """Draw one metric as horizontal bars with raw (1.0) and target lines.

    Args:
        ax: The matplotlib axes.
        metric: The metric.
        entries: Framework name -> entry (with ratios).
    """
    names, values, target, label = bars(metric, entries)
    drawn = ax.barh(names, values, color=[COLORS.get(n, PEER_COLOR) for n in names])
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(target, color=COLORS[SUBJECT], linestyle="--", linewidth=1)
    ax.bar_label(drawn, labels=[f"{v:.2f}" for v in values], padding=2, fontsize=7)
    ax.set_xlim(0, max([*values, target, 1.0]) * 1.18)
    ax.set_title(f"{metric.title}\n({label})", fontsize=8)
    ax.tick_params(labelsize=7)


def draw(document: dict[str, Any], out: Path) -> None:
    """Draw every measured metric into one PNG.

    Args:
        document: The decoded latest.json.
        out: The PNG path.
    """
    measured = [m for m in METRICS if document["results"].get(m.key)]
    columns = 2
    rows = max(1, -(-len(measured) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(11, 2.6 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, measured, strict=False):
        panel(ax, metric, document["results"][metric.key])
    for ax in list(axes.flat)[len(measured) :]:
        ax.axis("off")
    machine = document["machine"]
    fig.suptitle(
        f"Ratios to a raw ASGI app, same run ({document['date']}, "
        f"{machine['cores']} cores, Python {machine['python']}); "
        "dashed: spangle's target",
        fontsize=9,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


FANOUT_COLORS = {"raw": "#000000", "broadcast": "#d4380d"}


def draw_fanout(document: dict[str, Any], out: Path) -> None:
    """Draw the fan-out's p95 round trip against clients, one line a row.

    Each point is the median, over the rounds that measured that step, of
    the step's 95th percentile; the dashed line is the bound.

    Args:
        document: The decoded latest.json, with a `scale` part.
        out: The PNG path.
    """
    fanout = document["scale"]["fanout"]
    bound = document.get("scale_settings", {}).get("bound_ms", 500.0)
    fig, ax = plt.subplots(figsize=(9, 5))
    for name, runs in fanout.items():
        medians = step_medians(runs)
        if not medians:
            continue
        style = {"linewidth": 2.2} if name in FANOUT_COLORS else {"linewidth": 1.2}
        ax.plot(
            list(medians),
            list(medians.values()),
            marker="o",
            markersize=3,
            label=name,
            color=FANOUT_COLORS.get(name),
            **style,
        )
    ax.axhline(bound, color="#888888", linestyle="--", linewidth=1)
    ax.set_xlabel("clients")
    ax.set_ylabel("p95 broadcast round trip, ms (median of rounds)")
    ax.set_ylim(0, bound * 1.6)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    machine = document["machine"]
    ax.set_title(
        f"Fan-out through the server ({document['date']}, {machine['cores']} cores)",
        fontsize=9,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    """Read the results, write the charts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, default=DEFAULT_IN)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--fanout-out", type=Path, default=DEFAULT_FANOUT_OUT)
    args = parser.parse_args()
    document = json.loads(args.results.read_text())
    if any(document["results"].get(m.key) for m in METRICS):
        draw(document, args.out)
        print(f"wrote {args.out}")
    if document.get("scale", {}).get("fanout"):
        draw_fanout(document, args.fanout_out)
        print(f"wrote {args.fanout_out}")


if __name__ == "__main__":
    main()
