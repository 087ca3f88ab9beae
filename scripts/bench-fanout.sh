#!/usr/bin/env bash
# Broadcast fan-out benchmark: reload-broker against a C epoll floor and its peers.
#   scripts/bench-fanout.sh                         full run: N = 1000,5000,10000,max (~19k), every server
#   scripts/bench-fanout.sh --quick                 CI: N=200, one trigger, reload-broker and the floor;
#                                                   exits non-zero if any client missed the reload
#   scripts/bench-fanout.sh --servers reload-broker,floor --sizes 1000,5000
#   scripts/bench-fanout.sh --cluster               K = 1,2,4 brokers sharing one redis-server, as many clients per
#                                                   broker as the fd limit allows (one generator each), against one
#                                                   broker alone; and the Redis hop alone (Benchmarks/fanout/cluster.py)
#   scripts/bench-fanout.sh --cluster --quick       CI: 200 clients per broker, K = 1,2, two triggers
# Servers: reload-broker reload-broker-2t (--threads 2, on CPUs 0-1) floor hummingbird picows websockets node-ws seed.
# Installs what is missing (gcc builds, pip into Benchmarks/.venv, apt node-ws); a peer that
# cannot be installed is skipped with a message. Talks only to 127.0.0.0/8.
# Results: Benchmarks/results/fanout-<stamp>.{json,csv,txt} and a latency CDF plot.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/Benchmarks
OUT=$BENCH/.build-fanout
mkdir -p "$OUT"

servers="reload-broker,reload-broker-2t,floor,hummingbird,picows,websockets,node-ws,seed"
sizes="1000,5000,10000,max"
quick=0
cluster=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; servers="reload-broker,floor"; sizes="200" ;;
    --cluster) cluster=1 ;;
    --servers) servers="$2"; shift ;;
    --sizes) sizes="$2"; shift ;;
    --tag|--rate|--srcs|--latency-triggers|--sustained-triggers|--cluster-brokers|--cluster-n) extra+=("$1" "$2"); shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
has() { case ",$servers," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
log() { echo "bench-fanout: $*" >&2; }

command -v taskset >/dev/null || { log "taskset (util-linux) is required"; exit 2; }
[ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 CPUs: server and generator share a core"

# 1. The C load generator and floor.
gcc -O2 -Wall -o "$OUT/loadgen" "$BENCH/fanout/loadgen.c"
gcc -O2 -Wall -o "$OUT/floor" "$BENCH/fanout/floor.c"

# 2. Our broker (release).
scripts/ensure-deps.sh
# RELOAD_BROKER_BIN: a release binary built already (CI passes the static one of scripts/package.sh).
if [ -n "${RELOAD_BROKER_BIN:-}" ]; then
  BROKER=$(realpath "$RELOAD_BROKER_BIN")
else
  swift build -c release --product reload-broker >&2
  BROKER="$(swift build -c release --show-bin-path)/reload-broker"
fi

args=(--loadgen "$OUT/loadgen" --floor "$OUT/floor" --broker "$BROKER" --servers "$servers" --sizes "$sizes")
if [ $cluster = 1 ]; then
  scripts/ensure-deps.sh --redis
  versions="{\"swift\":\"$(swift --version 2>&1 | head -1 | sed 's/"/\\"/g')\",\"redis-server\":\"$(redis-server --version | sed 's/"//g')\",\"hiredis\":\"$(dpkg-query -W -f '${Version}' libhiredis-dev 2>/dev/null)\"}"
  if [ $quick = 1 ]; then
    extra=(--cluster-brokers 1,2 --cluster-n 200 --latency-triggers 2 --settle-ms 200 --quick "${extra[@]}")
  else
    extra=(--latency-triggers 5 --settle-ms 1000 "${extra[@]}")
  fi
  exec python3 "$BENCH/fanout/run.py" "${args[@]}" --cluster --versions "$versions" "${extra[@]}"
fi
versions="{\"swift\":\"$(swift --version 2>&1 | head -1 | sed 's/"/\\"/g')\",\"gcc\":\"$(gcc -dumpfullversion)\""

# 3. Python peers (the seed, websockets, picows) in a venv.
PY=""
PY_PKGS=(fastapi-reloader==1.3.4 uvicorn==0.54.0 websockets==17.4 picows==2.3.1 uvloop==0.23.0 matplotlib)
if has seed || has websockets || has picows || [ $quick = 0 ]; then
  if [ ! -x "$BENCH/.venv/bin/python" ]; then
    python3 -m venv "$BENCH/.venv" || log "cannot create a venv"
  fi
  if [ -x "$BENCH/.venv/bin/python" ]; then
    if ! "$BENCH/.venv/bin/python" -c 'import fastapi_reloader, uvicorn, websockets, picows, uvloop' 2>/dev/null; then
      log "installing ${PY_PKGS[*]} (pip)"
      "$BENCH/.venv/bin/pip" install -q "${PY_PKGS[@]}" >&2 || log "pip install failed: the Python peers may be skipped"
    fi
    PY="$BENCH/.venv/bin/python"
    "$PY" -c 'import matplotlib' 2>/dev/null || "$BENCH/.venv/bin/pip" install -q matplotlib >&2 || log "no matplotlib: the plot will be SVG"
    for mod in fastapi_reloader:seed websockets:websockets picows:picows; do
      "$PY" -c "import ${mod%%:*}" 2>/dev/null || args+=(--skip "${mod##*:}=python package ${mod%%:*} could not be installed")
    done
    pyv=$("$PY" - <<'PYEOF'
import importlib.metadata as m
print(",".join(f'"{p}":"{m.version(p)}"' for p in ["fastapi-reloader","uvicorn","websockets","picows","uvloop","fastapi","starlette"]))
PYEOF
) && versions="$versions,$pyv,\"python\":\"$("$PY" -c 'import platform; print(platform.python_version())')\""
    args+=(--python "$PY")
  else
    args+=(--skip "seed=no python venv" --skip "websockets=no python venv" --skip "picows=no python venv")
  fi
fi

# 4. Node.js ws (Debian's node-ws).
if has node-ws; then
  if ! node -e "try{require('ws')}catch(e){require('/usr/share/nodejs/ws')}" 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing nodejs node-ws (apt-get)"
      (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends nodejs node-ws >/dev/null) || true
    fi
  fi
  if node -e "try{require('ws')}catch(e){require('/usr/share/nodejs/ws')}" 2>/dev/null; then
    args+=(--node "$(command -v node)")
    versions="$versions,\"node\":\"$(node --version)\",\"node-ws\":\"$(node -e "let p;try{p=require('ws/package.json')}catch(e){p=require('/usr/share/nodejs/ws/package.json')};console.log(p.version)")\""
  else
    args+=(--skip "node-ws=nodejs/node-ws could not be installed")
  fi
fi

# 5. Hummingbird (its own package, release).
if has hummingbird; then
  HB_PKG="$BENCH/fanout/hummingbird/hummingbird-peer"
  if swift build -c release --package-path "$HB_PKG" --scratch-path "$BENCH/.build-hummingbird" >&2; then
    args+=(--hummingbird "$(swift build -c release --package-path "$HB_PKG" --scratch-path "$BENCH/.build-hummingbird" --show-bin-path)/HummingbirdPeer")
    versions="$versions,\"hummingbird\":\"2.28.1\",\"hummingbird-websocket\":\"2.8.1\""
  else
    args+=(--skip "hummingbird=swift build of the Hummingbird peer failed")
  fi
fi
versions="$versions}"

if [ $quick = 1 ]; then
  args+=(--quick --latency-triggers 1 --sustained-triggers 0 --settle-ms 200 --idle-ms 300)
fi
RUNPY=python3
[ -n "$PY" ] && RUNPY="$PY"
exec "$RUNPY" "$BENCH/fanout/run.py" "${args[@]}" --versions "$versions" "${extra[@]}"
