#!/usr/bin/env bash
# The framework integrations (Integrations/: Hummingbird 2 and Vapor 4 middleware) in CI:
# ONE build of the library, its tests and both example apps in their own scratch path (they pull
# in SwiftNIO, Hummingbird and Vapor, which the core never builds); the tests (real sockets and
# headless Chromium); each example run briefly on a copy of its templates (start, GET a page and
# check the client tag, fetch client.js from the broker the tag names, change the template and see
# the broker's epoch move, SIGTERM, exit status 0); and the DocC catalogs.
#   scripts/integrations.sh [--no-docs]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh --browser
scratch="$PWD/.build-integrations"
swiftpm=(--package-path Integrations --scratch-path "$scratch")

echo "== integrations: build (library, tests, examples)"
swift build "${swiftpm[@]}" --build-tests
bin="$(swift build "${swiftpm[@]}" --show-bin-path)"

echo "== integrations: tests"
swift test "${swiftpm[@]}" --skip-build

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run_example NAME PORT COMMAND…: starts it, waits (at most 30 s) for its page, checks the page has the
# client tag once and the JSON route none, loads client.js from the tag's src, then stops it with SIGTERM.
run_example() {
  local name="$1" port="$2"
  shift 2
  local log="$scratch/$name.log"
  "$@" >"$log" 2>&1 &
  local pid=$!
  local page=""
  for _ in $(seq 1 300); do
    if page="$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null)"; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "$name exited early" >&2; return 1; }
    sleep 0.1
  done
  local fail=""
  [ "$(grep -o 'data-reload-broker' <<<"$page" | wc -l)" = 1 ] || fail="the page has no single client tag"
  grep -q 'data-instance="[0-9a-f]\{16\}" data-epoch="0"' <<<"$page" || fail="${fail:-the tag has no instance and epoch}"
  local src
  src="$(sed -n 's/.*<script src="\([^"]*client\.js\)" data-reload-broker.*/\1/p' <<<"$page" | head -n 1)"
  [ -n "$src" ] && curl -fsS -o /dev/null "$src" || fail="${fail:-client.js not served at '$src'}"
  curl -fsS "http://127.0.0.1:$port/api/time" | grep -q 'data-reload-broker' && fail="${fail:-JSON got the tag}"
  # A template change reloads the tabs: the broker's epoch (its health endpoint) goes to 1.
  echo "<!-- changed -->" >>"$TEMPLATES/index.html"
  local health="${src%client.js}health" epoch=""
  for _ in $(seq 1 100); do
    epoch="$(curl -fsS "$health" 2>/dev/null | sed -n 's/.*"epoch":\([0-9]*\).*/\1/p')"
    [ "$epoch" = 1 ] && break
    sleep 0.1
  done
  [ "$epoch" = 1 ] || fail="${fail:-a template change did not reload (epoch '$epoch')}"
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  if [ -n "$fail" ] || [ "$status" != 0 ]; then
    cat "$log"
    echo "$name: ${fail:-exit status $status after SIGTERM}" >&2
    return 1
  fi
  echo "$name: page served with the client tag, client.js loaded from $src, a template change reloaded, stopped on SIGTERM"
}

echo "== integrations: examples"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export RELOAD_BROKER_PORT=0 TEMPLATES
for framework in Hummingbird Vapor; do cp -r "Integrations/Examples/$framework/templates" "$work/$framework"; done
port="$(free_port)"
TEMPLATES="$work/Hummingbird" PORT="$port" run_example hummingbird-example "$port" "$bin/hummingbird-example"
port="$(free_port)"
TEMPLATES="$work/Vapor" run_example vapor-example "$port" "$bin/vapor-example" serve --hostname 127.0.0.1 --port "$port"

if [ "${1:-}" != "--no-docs" ]; then
  echo "== DocC"
  docs="$PWD/out/docs"
  mkdir -p "$docs"
  swift package --allow-writing-to-directory "$docs" generate-documentation \
    --target ReloadBroker --output-path "$docs/ReloadBroker" --warnings-as-errors
  swift package "${swiftpm[@]}" --allow-writing-to-directory "$docs" generate-documentation \
    --target ReloadBrokerHummingbird --target ReloadBrokerVapor --output-path "$docs/Integrations" --warnings-as-errors
fi
