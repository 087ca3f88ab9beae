#!/usr/bin/env bash
# Makes sure the system packages the project needs are installed (Debian/Ubuntu).
#   scripts/ensure-deps.sh            libuv1-dev (to build)
#   scripts/ensure-deps.sh --browser  also chromium (for the real-browser tests)
#   scripts/ensure-deps.sh --package  also what scripts/package.sh and check-packages.sh use
# As root it installs what is missing with apt-get; otherwise it says what to install.
set -euo pipefail

need=()
pkg-config --exists libuv 2>/dev/null || need+=(libuv1-dev pkg-config)
if [ "${1:-}" = "--browser" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v node >/dev/null 2>&1 || need+=(nodejs)
fi
if [ "${1:-}" = "--package" ]; then
  [ -f "$(gcc -print-file-name=libstdc++.a 2>/dev/null)" ] || need+=(libstdc++-12-dev)
  pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
  command -v objdump >/dev/null 2>&1 || need+=(binutils)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing system packages: ${need[*]}" >&2
  echo "install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
