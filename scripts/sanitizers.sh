#!/usr/bin/env bash
# Runs the whole Swift test suite under a sanitizer, in its own build folder (the normal .build
# is untouched; .build-asan and .build-tsan are git-ignored).
#   scripts/sanitizers.sh               address (ASan + LeakSanitizer)
#   scripts/sanitizers.sh thread        ThreadSanitizer
#   scripts/sanitizers.sh both
# RELOAD_BROKER_SKIP_BROWSER=1 skips the real-browser suite (Chromium is not instrumented either
# way; only the broker in the test process is). Builds and tests run at nice 19.
# Toolchain leaks (XCTest, Foundation.Process) are suppressed by scripts/lsan.supp and an over-read in
# Foundation.Process.run by scripts/asan.supp; scripts/tsan.supp is empty (kept for the option).
# Logs: out/sanitizers/<mode>.log. Exit 1 if a test failed or a sanitizer reported anything.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-address}
case "$mode" in
  address|thread) modes=("$mode") ;;
  both) modes=(address thread) ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "usage: $0 [address|thread|both]" >&2; exit 2 ;;
esac
scripts/ensure-deps.sh
mkdir -p out/sanitizers
# Report everything in one run rather than stopping at the first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=0:detect_stack_use_after_return=0:suppressions=$PWD/scripts/asan.supp}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp}
failed=0
for m in "${modes[@]}"; do
  case "$m" in address) scratch=.build-asan ;; thread) scratch=.build-tsan ;; esac
  log=out/sanitizers/$m.log
  export RELOAD_BROKER_SANITIZER=$m  # tests skip RSS bounds of instrumented processes
  echo "== $m: building tests in $scratch" >&2
  start=$(date +%s)
  if ! nice -n 19 swift build --build-tests --sanitize="$m" --scratch-path "$scratch" >"$log.build" 2>&1; then
    tail -30 "$log.build" >&2
    echo "== $m: build failed" >&2
    failed=1
    continue
  fi
  built=$(date +%s)
  browser=included
  [ "${RELOAD_BROKER_SKIP_BROWSER:-}" = 1 ] && browser=skipped
  echo "== $m: running tests (browser tests $browser)" >&2
  status=0
  nice -n 19 swift test --skip-build --sanitize="$m" --scratch-path "$scratch" >"$log" 2>&1 || status=$?
  done_at=$(date +%s)
  reports=$(grep -cE '^(==[0-9]+==ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer)' "$log" || true)
  echo "== $m: build $((built - start)) s, tests $((done_at - built)) s, exit $status, sanitizer reports: $reports" >&2
  grep -E 'Test run with|Executed [0-9]+ tests|tests? (passed|failed)' "$log" | tail -4 >&2 || true
  grep -E 'SUMMARY: (Address|Leak|Thread)Sanitizer' "$log" | sort | uniq -c | head -20 >&2 || true
  if [ $status -ne 0 ] || [ "$reports" -gt 0 ]; then failed=1; fi
done
exit $failed
