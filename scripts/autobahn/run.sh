#!/usr/bin/env bash
# Run every Autobahn|Testsuite case against the echo app under `spangle run`.
#
#   bash scripts/autobahn/run.sh LABEL [spangle run options...]
#
# LABEL names the report (.autobahn/reports/LABEL) and the server log
# (.autobahn/LABEL.log). AUTOBAHN_SERVER replaces the whole server command,
# `{port}` standing for the port (e.g. to compare hypercorn). CASES (a JSON
# list, default ["*"]) picks cases. Exits non-zero when a case FAILED or the
# server logged a traceback or an ERROR line.
set -euo pipefail
cd "$(dirname "$0")/../.."
label="$1"
shift
DIR="$(pwd)/.autobahn"
bash scripts/autobahn/setup.sh >/dev/null
if [ -d "$DIR/py27" ]; then
    export LD_LIBRARY_PATH="$DIR/py27/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$DIR/$label.log"
reports="$DIR/reports/$label"
rm -rf "$reports"
mkdir -p "$reports"
if [ -n "${AUTOBAHN_SERVER:-}" ]; then
    read -r -a command <<<"${AUTOBAHN_SERVER//\{port\}/$port}"
else
    command=(.venv/bin/spangle run scripts.autobahn.echo_app:api --port "$port" "$@")
fi
echo "autobahn: $label: ${command[*]}" >&2
"${command[@]}" >"$log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
done
cat >"$reports/spec.json" <<JSON
{
  "outdir": "$reports",
  "servers": [{"agent": "spangle", "url": "ws://127.0.0.1:$port/"}],
  "cases": ${CASES:-[\"*\"]},
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
JSON
(cd "$reports" && "$DIR/wstest/bin/wstest" -m fuzzingclient -s spec.json >"$reports/wstest.log" 2>&1)
kill -TERM "$server"
wait "$server" || true
trap - EXIT
.venv/bin/python scripts/autobahn/summary.py "$label" "$reports/index.json" "$log"
