#!/usr/bin/env bash
# Soak test: the release broker under churning WebSocket clients (readers, clients that stop
# reading, send garbage or half-close, keep-alive HTTP) while triggers fire several times a second.
#   scripts/soak.sh                       1 minute, ~300 live clients
#   scripts/soak.sh --minutes 30 --clients 500
# Records the broker's RSS and open descriptors every second (CSV + PNG, or SVG without matplotlib)
# to out/soak/<stamp>/ and exits non-zero on any violation (see scripts/soak/soak_client.py:
# missed or out-of-order reloads, broker not closing bad clients, fds/RSS not back at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift ;;
    --clients|--persistent|--trigger-rate|--grace|--rss-margin-mb|--seed) extra+=("$1" "$2"); shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
log() { echo "soak: $*" >&2; }

scripts/ensure-deps.sh
# RELOAD_BROKER_BIN: a release binary built already (CI passes the static one of scripts/package.sh).
if [ -n "${RELOAD_BROKER_BIN:-}" ]; then
  BROKER=$(realpath "$RELOAD_BROKER_BIN")
else
  nice -n 19 swift build -c release --product reload-broker 2>&1 | tail -1 >&2
  BROKER="$(swift build -c release --show-bin-path)/reload-broker"
fi
OUT=out/soak/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
# Enough descriptors for the clients on both sides.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

"$BROKER" serve --port 0 --quiet --no-watch >"$OUT/broker.out" 2>"$OUT/broker.err" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
  port=$(grep -oE '127\.0\.0\.1:[0-9]+' "$OUT/broker.out" | head -1 | cut -d: -f2 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { log "the broker did not print its port"; cat "$OUT/broker.err" >&2; exit 2; }
log "broker pid $PID on port $port; $minutes min; results in $OUT"

# matplotlib for the PNG: out/venv (python3 -m venv out/venv && out/venv/bin/pip install matplotlib);
# without it the plot is an SVG.
PLOT_PY=python3
for candidate in out/venv/bin/python Benchmarks/.venv/bin/python; do
  if [ -x "$candidate" ] && "$candidate" -c 'import matplotlib' 2>/dev/null; then PLOT_PY=$candidate; break; fi
done
status=0
"$PLOT_PY" scripts/soak/soak_client.py --port "$port" --pid "$PID" --seconds "$(awk "BEGIN{print $minutes*60}")" \
  --csv "$OUT/rss-fds.csv" --summary "$OUT/summary.json" --plot "$OUT/rss-fds" "${extra[@]}" || status=$?
kill -0 $PID 2>/dev/null || { log "the broker died"; status=1; }
kill -TERM $PID 2>/dev/null || true
wait $PID 2>/dev/null || true
trap - EXIT
[ -s "$OUT/broker.err" ] && { log "broker stderr:"; tail -20 "$OUT/broker.err" >&2; }
if [ $status -eq 0 ]; then log "PASS ($OUT)"; else log "FAIL ($OUT)"; fi
exit $status
