#!/usr/bin/env bash
# Quick start, part 1: builds the broker and serves the demo page with live reload.
# Open the URL it prints; Ctrl-C stops it. PORT=0 picks a free port; extra arguments go to
# `reload-broker serve` (e.g. --root site).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "building reload-broker (release; the first build takes a few minutes)…" >&2
if ! swift build -c release --product reload-broker >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
bin="$(swift build -c release --show-bin-path)/reload-broker"
rm -f "$log"
exec "$bin" serve --port "${PORT:-35729}" "$@"
