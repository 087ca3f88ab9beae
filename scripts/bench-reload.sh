#!/usr/bin/env bash
# Save -> visible benchmark in headless Chromium (DevTools protocol), in one run, side by side:
# reload-broker serve against python-livereload 2.7.1 + pyinotify and live-server 0.9.9, and
# reload-broker proxy (FastAPI app) against the seed (fastapi-reloader 1.3.4 + uvicorn --reload),
# each beside its floor (the browser's own Page.reload; the app's own start-up time).
#   scripts/bench-reload.sh                      full run: serve, css, tabs, proxy; 7 saves each (~8 min)
#   scripts/bench-reload.sh --quick              CI: serve + css, 3 saves, ours and the floor (~30 s)
#   scripts/bench-reload.sh --saves 5 --scenarios serve,css,tabs,proxy --tools ours,livereload,live-server,floor
#   more: --atomic (save = write a temp file + rename), --tag NAME, --gap S, --timeout S, --proxy-variants LIST,
#         --alt-broker PATH (another reload-broker build as tool 'alt': an A/B in one run)
# Measures the reload-broker built (release) from this tree. Installs what is missing: chromium
# (apt-get, as scripts/ensure-deps.sh does), the Python peers into Benchmarks/.venv-reload and
# live-server into Benchmarks/.venv-live-server (pip); a peer that cannot be installed is skipped
# with a message. Talks only to 127.0.0.1. Results: Benchmarks/results/reload-<tag>.{json,csv}.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH=$ROOT/Benchmarks
log() { echo "bench-reload: $*" >&2; }

quick=0
tools="ours,livereload,live-server,floor"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; tools="ours,floor"; args+=(--quick) ;;
    --tools) tools="$2"; args+=(--tools "$2"); shift ;;
    --atomic) args+=(--atomic) ;;
    --saves|--scenarios|--tag|--gap|--timeout|--proxy-gap|--proxy-timeout|--proxy-variants) args+=("$1" "$2"); shift ;;
    --alt-broker) args+=("$1" "$(realpath "$2")"); shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
scenarios="serve,css,tabs,proxy"
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[i]}" = --scenarios ]; then scenarios="${args[i+1]}"; fi
done
if [ $quick = 1 ]; then scenarios="serve,css"; fi
has() { case ",$tools," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# 1. Chromium and libuv, then our broker (release) from this tree.
scripts/ensure-deps.sh --browser
# RELOAD_BROKER_BIN: a release binary built already (CI passes the static one of scripts/package.sh).
if [ -n "${RELOAD_BROKER_BIN:-}" ]; then
  BROKER=$(realpath "$RELOAD_BROKER_BIN")
else
  swift build -c release --product reload-broker >&2
  BROKER="$(swift build -c release --show-bin-path)/reload-broker"
fi

# 2. Python: the harness's WebSocket client, the peers and the FastAPI app, in a venv of its own
#    (Benchmarks/.venv belongs to the fan-out benchmark, whose uvicorn must stay without uvloop).
make_venv() {
  [ -x "$1/bin/python" ] && return 0
  python3 -m venv "$1" 2>/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing python3-venv (apt-get)"
    (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null) || true
    python3 -m venv "$1" && return 0
  fi
  log "cannot create a Python venv at $1 (install python3-venv)"; return 1
}
VENV=$BENCH/.venv-reload
make_venv "$VENV" || exit 1
PY=$VENV/bin/python
pip_need() {  # pip_need "import check" packages...: installs the packages unless the check passes
  local check=$1; shift
  "$PY" -c "$check" 2>/dev/null && return 0
  log "installing $* (pip)"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$@" >&2 || { log "pip install $* failed"; return 1; }
}
if ! pip_need "import websockets" websockets==17.4; then
  if [ $quick = 1 ]; then log "SKIPPED: the harness needs the websockets package (PyPI unreachable?)"; exit 0; fi
  log "the harness needs the websockets package"; exit 1
fi
if [ $quick = 0 ]; then
  case ",$scenarios," in *,proxy,*)
    pip_need "import fastapi, uvicorn, fastapi_reloader, watchfiles" fastapi==0.165.0 'uvicorn[standard]==0.54.0' fastapi-reloader==1.3.4 \
      || log "the proxy scenario's app or the seed could not be installed: its variants will fail" ;;
  esac
  if has livereload; then
    pip_need "import livereload, pyinotify" livereload==2.7.1 pyinotify==0.9.6 || log "python-livereload could not be installed: skipped"
  fi
fi

# 3. live-server 0.9.9 in a venv of its own: it pins tornado 5.1.1 and watchdog 0.9.0 (python-livereload needs tornado 6).
LS_VENV=$BENCH/.venv-live-server
if has live-server; then
  ls_check="import live_server.server, live_server.watcher"
  if make_venv "$LS_VENV"; then
    if ! "$LS_VENV/bin/python" -c "$ls_check" 2>/dev/null; then
      log "installing live-server==0.9.9 (pip)"
      "$LS_VENV/bin/pip" install -q --disable-pip-version-check live-server==0.9.9 >&2 || log "pip install live-server failed"
    fi
    if ! "$LS_VENV/bin/python" -c "$ls_check" 2>/dev/null; then
      # Its pinned tornado 5.1.1 and watchdog 0.9.0 do not import on Python >= 3.10 (collections.MutableMapping).
      log "live-server's pinned tornado/watchdog do not import on this Python: replacing them with tornado 6.6.1, watchdog 7.1.0"
      "$LS_VENV/bin/pip" install -q --disable-pip-version-check tornado==6.6.1 watchdog==7.1.0 >&2 2>/dev/null || true
    fi
    if "$LS_VENV/bin/python" -c "$ls_check" 2>/dev/null; then
      args+=(--live-server-python "$LS_VENV/bin/python")
    else
      args+=(--live-server-missing "live-server 0.9.9 does not install or import here")
    fi
  else
    args+=(--live-server-missing "no Python venv for live-server")
  fi
fi

# 4. Versions of everything measured.
versions=$("$PY" - "$LS_VENV/bin/python" <<'PYEOF'
import importlib.metadata as m, json, platform, subprocess, sys
out = {"python": platform.python_version()}
for p in ["websockets", "fastapi", "uvicorn", "uvloop", "httptools", "watchfiles", "fastapi-reloader", "livereload", "pyinotify", "tornado"]:
    try:
        out[p] = m.version(p)
    except m.PackageNotFoundError:
        pass
try:
    code = "import importlib.metadata as m; print(m.version('live-server'), m.version('tornado'), m.version('watchdog'))"
    ls = subprocess.run([sys.argv[1], "-c", code], capture_output=True, text=True, timeout=30).stdout.split()
    if ls:
        out["live-server"] = f"{ls[0]} (tornado {ls[1]}, watchdog {ls[2]})"
except (OSError, subprocess.SubprocessError, IndexError):
    pass
print(json.dumps(out))
PYEOF
)
versions=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["swift"]=sys.argv[2]; print(json.dumps(d))' "$versions" "$(swift --version 2>&1 | head -1)")

exec "$PY" "$BENCH/reload/run.py" --broker "$BROKER" --python "$PY" --out "$BENCH/results" --versions "$versions" "${args[@]}"
