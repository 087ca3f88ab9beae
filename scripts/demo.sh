#!/usr/bin/env bash
# Quick start, part 1: builds the broker and serves the demo page with live reload.
# Open the URL it prints; Ctrl-C stops it. PORT=0 picks a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
swift build -c release --product reload-broker 2>&1 | grep -v '^\[' || true
exec "$(swift build -c release --show-bin-path)/reload-broker" serve --port "${PORT:-35729}" "$@"
