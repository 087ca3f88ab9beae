#!/usr/bin/env bash
# Makes sure the system packages the project needs are installed (Debian/Ubuntu).
#   scripts/ensure-deps.sh            libuv1-dev and libhiredis-dev (to build)
#   scripts/ensure-deps.sh --browser  also chromium (for the real-browser tests)
#   scripts/ensure-deps.sh --redis    also redis-server (for the cluster tests and benchmark; the
#                                     tests start their own on a free loopback port, never the service)
# Options combine (--browser --redis).
# As root it installs what is missing with apt-get; otherwise it says what to install.
set -euo pipefail

need=()
pkg-config --exists libuv 2>/dev/null || need+=(libuv1-dev pkg-config)
# hiredis 0.14.1 (Debian 12) with its libuv adapter, for the cluster layer.
[ -f /usr/include/hiredis/adapters/libuv.h ] || need+=(libhiredis-dev)
for option in "$@"; do
  case "$option" in
    --browser)
      command -v chromium >/dev/null 2>&1 || need+=(chromium)
      command -v node >/dev/null 2>&1 || need+=(nodejs)
      ;;
    --redis)
      [ -x /usr/bin/redis-server ] || command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
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
