#!/usr/bin/env bash
# Makes sure the system packages the project needs are installed (Debian/Ubuntu).
#   scripts/ensure-deps.sh            libuv1-dev and libhiredis-dev (to build); as root also iproute2
#                                     (the LAN test's network namespace)
#   scripts/ensure-deps.sh --browser  also chromium, node and pip (the real-browser tests; pip fetches
#                                     livereload.js 2.2.1 from the PyPI wheel for the LiveReload ones)
#   scripts/ensure-deps.sh --redis    also redis-server (for the cluster tests and benchmark; the
#                                     tests start their own on a free loopback port, never the service)
#   scripts/ensure-deps.sh --package  also what scripts/package.sh and check-packages.sh use
# Options combine (--browser --redis).
# As root it installs what is missing with apt-get; otherwise it says what to install.
set -euo pipefail

need=()
pkg-config --exists libuv 2>/dev/null || need+=(libuv1-dev pkg-config)
# The LAN test makes a network namespace (root only; it skips itself without ip or root).
if [ "$(id -u)" = 0 ]; then
  command -v ip >/dev/null 2>&1 || need+=(iproute2)
fi
# hiredis 0.14.1 (Debian 12) with its libuv adapter, for the cluster layer.
[ -f /usr/include/hiredis/adapters/libuv.h ] || need+=(libhiredis-dev)
for option in "$@"; do
  case "$option" in
    --browser)
      command -v chromium >/dev/null 2>&1 || need+=(chromium)
      command -v node >/dev/null 2>&1 || need+=(nodejs)
      python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
      ;;
    --redis)
      [ -x /usr/bin/redis-server ] || command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
      ;;
    --package)
      [ -f "$(gcc -print-file-name=libstdc++.a 2>/dev/null)" ] || need+=(libstdc++-12-dev)
      pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
      command -v objdump >/dev/null 2>&1 || need+=(binutils)
      command -v curl >/dev/null 2>&1 || need+=(curl)
      command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)
      ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${need[*]} (apt-get)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The package starts a system service where an init system runs; the tests never use it.
  if [[ " ${need[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
  fi
else
  echo "missing system packages: ${need[*]}" >&2
  echo "install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
