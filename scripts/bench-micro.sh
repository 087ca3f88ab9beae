#!/usr/bin/env bash
# Micro-benchmarks of the protocol code (package-benchmark, package Benchmarks/).
#   scripts/bench-micro.sh            run them and check against the committed baseline "main":
#                                     exits non-zero when a threshold is crossed (a regression)
#   scripts/bench-micro.sh --update   run them and store the results as the baseline "main"
#                                     (Benchmarks/.benchmarkBaselines, commit it)
#   scripts/bench-micro.sh --run      only run and print them
#   extra arguments go to `swift package benchmark` (e.g. --filter 'WebSocket.*')
# Needs libjemalloc-dev (installed with apt-get when missing and root) and the main
# package's library products HTTPCodec and WebSocketCodec.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "bench-micro: $*" >&2; }

if ! grep -q '\.library(name: "WebSocketCodec"' Package.swift || ! grep -q '\.library(name: "HTTPCodec"' Package.swift; then
  log "the top-level Package.swift has no HTTPCodec/WebSocketCodec library products; the benchmarks need them"
  exit 2
fi
scripts/ensure-deps.sh
if ! { [ -e /usr/include/jemalloc/jemalloc.h ] || pkg-config --exists jemalloc 2>/dev/null; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing libjemalloc-dev (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends libjemalloc-dev >/dev/null
  else
    log "missing libjemalloc-dev: sudo apt-get install libjemalloc-dev"; exit 2
  fi
fi

mode=check
case "${1:-}" in
  --update) mode=update; shift ;;
  --run) mode=run; shift ;;
  --check) shift ;;
esac
cd Benchmarks
case $mode in
  run) swift package --disable-sandbox benchmark "$@" ;;
  update) swift package --disable-sandbox --allow-writing-to-package-directory benchmark baseline update main --no-progress "$@" ;;
  check)
    # package-benchmark exits 2 on a regression and 4 when there are only improvements;
    # through `swift package` both arrive as 1, so tell them apart by the error it prints.
    logfile=$(mktemp)
    trap 'rm -f "$logfile"' EXIT
    set +e
    swift package --disable-sandbox benchmark baseline check main --no-progress "$@" 2>&1 | tee "$logfile"
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" != 0 ] && grep -aq benchmarkThresholdImprovement "$logfile" && ! grep -aq benchmarkThresholdRegression "$logfile"; then
      log "only improvements over the baseline (consider scripts/bench-micro.sh --update)"
      rc=0
    fi
    [ "$rc" = 0 ] && log "no regression against the baseline 'main'" || log "REGRESSION against the baseline 'main' (or the run failed)"
    exit "$rc" ;;
esac
