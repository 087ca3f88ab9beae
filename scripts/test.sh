#!/usr/bin/env bash
# Quick start, part 2: installs what is missing (libuv1-dev, libhiredis-dev, chromium, node, redis-server) and runs every test:
# the Swift suites (codecs, loopback sockets, real browser) and the client script's node tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh --browser --redis
echo "== client script (node --test)"
node --test Tests/client/
echo "== swift test"
swift build --build-tests
swift test --skip-build
