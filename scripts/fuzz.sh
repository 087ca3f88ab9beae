#!/usr/bin/env bash
# Runs the libFuzzer targets of Fuzz/ (pure protocol code), each for a while.
#   scripts/fuzz.sh                          every target, 60 s each
#   scripts/fuzz.sh --seconds 1800           the long run (30 min per target)
#   scripts/fuzz.sh --seconds 120 FuzzHTTPRequest FuzzInjection
#   scripts/fuzz.sh --jobs 2 ...             libFuzzer -fork=2 (only on an otherwise idle machine)
# Targets: FuzzHTTPRequest FuzzHTTPResponse FuzzChunkedBody FuzzWebSocketFrames FuzzHandshake FuzzInjection.
# Build: swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library (in Fuzz/).
# Runs at nice 19. Seeds: Fuzz/Corpus/<target>/ (committed); the growing corpus, crashes and logs go
# to out/fuzz/ (git-ignored). A crash (trap, ASan report, violated invariant) is saved as
# out/fuzz/crashes/<target>-crash-<sha1>; replay it with: <binary> <file>. Exit 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
seconds=60
jobs=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift ;;
    --jobs) jobs="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=(FuzzHTTPRequest FuzzHTTPResponse FuzzChunkedBody FuzzWebSocketFrames FuzzHandshake FuzzInjection)

FLAGS=(-c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
(cd Fuzz && nice -n 19 swift build "${FLAGS[@]}" 2>&1 | grep -v 'ld.gold: warning' | tail -3) >&2
BIN="$(cd Fuzz && swift build "${FLAGS[@]}" --show-bin-path)"
OUT=$ROOT/out/fuzz
mkdir -p "$OUT/crashes" "$OUT/logs"

# The Swift runtime's backtracer trips ASan (a stack read in CrashHandlerLinux) after a trap; libFuzzer's
# own stack trace and the saved input are what matter.
export SWIFT_BACKTRACE=enable=no
failed=0
printf '%-22s %8s %12s %10s %8s %8s  %s\n' target seconds executions exec/s cov ft result
for target in "${targets[@]}"; do
  [ -x "$BIN/$target" ] || { echo "no such target: $target" >&2; exit 2; }
  corpus=$OUT/corpus/$target
  mkdir -p "$corpus"
  cp -n "Fuzz/Corpus/$target"/* "$corpus/" 2>/dev/null || true
  log=$OUT/logs/$target.log
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1
        -artifact_prefix="$OUT/crashes/$target-")
  [ -f "Fuzz/Dictionaries/$target.dict" ] && args+=(-dict="Fuzz/Dictionaries/$target.dict")
  [ "$jobs" -gt 0 ] && args+=(-fork="$jobs" -ignore_crashes=0)
  result=ok
  if ! nice -n 19 "$BIN/$target" "${args[@]}" "$corpus" >"$log" 2>&1; then
    result="CRASH (see $log)"
    failed=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  printf '%-22s %8s %12s %10s %8s %8s  %s\n' "$target" "$seconds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
  if [ "$result" != ok ]; then grep -m3 -E 'invariant violated|ERROR: AddressSanitizer|Fatal error|SUMMARY' "$log" >&2 || true; fi
done
exit $failed
