#!/usr/bin/env bash
# Run the benchmark suite: `make bench`, or `bash bench/run.sh [--quick] [--only X]`;
# instruction counts: `make bench-instructions`, or
# `bash bench/run.sh instructions [--server] [--frameworks a,b]`.
# It keeps its own virtualenv, bench/.venv, with every compared framework,
# brought up to date whenever bench/requirements.txt or pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=bench/.venv
STAMP="$VENV/.requirements"

if ! cat bench/requirements.txt pyproject.toml | cmp -s - "$STAMP" 2>/dev/null; then
    echo "setting up $VENV ..." >&2
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r bench/requirements.txt
    "$VENV/bin/python" -m pip install -q -e '.[redis]'
    cat bench/requirements.txt pyproject.toml >"$STAMP"
fi
if ! command -v wrk >/dev/null; then
    echo "wrk is missing: sudo apt-get install wrk (or make system-deps)" >&2
fi

if [ "${1:-}" = instructions ]; then
    shift
    exec "$VENV/bin/python" -m bench.instructions "$@"
fi
status=0
"$VENV/bin/python" -m bench.run "$@" || status=$?
"$VENV/bin/python" -m bench.chart --out bench/results/latest.png \
    --fanout-out bench/results/fanout.png || status=$?
exit "$status"
