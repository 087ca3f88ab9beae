#!/usr/bin/env bash
# Checks the packages scripts/package.sh left in dist/, each the way a user without Swift runs it:
#   tarball  under `env -i PATH=/usr/bin:/bin`: --version, the demo served with the client injected,
#            its man page and completions, scripts/install.sh --prefix into a scratch folder and back out
#   .deb     dpkg-deb -f/-c (Depends: libc6 only, Debian's paths); as root also dpkg -i, the installed
#            binary serving the demo, the man page found by man, then dpkg -r
#   wheel    pip install --no-index into a fresh venv: reload-broker on the venv's PATH and
#            `python -m reload_broker` both serve the demo
# Every broker runs on a free loopback port (--port 0) and is stopped with SIGTERM; exits non-zero
# on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
log() { echo "check-packages: [$(( $(date +%s) - started )) s] $*" >&2; }
fail() { echo "check-packages: FAIL: $*" >&2; exit 1; }

version=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/ReloadBroker/BrokerVersion.swift)
[ -n "$version" ] || fail "no version in Sources/ReloadBroker/BrokerVersion.swift"
arch=$(uname -m)
tarball=dist/reload-broker-$version-linux-$arch.tar.gz
deb=$(ls dist/reload-broker_"$version"_*.deb 2>/dev/null | head -1)
wheel=$(ls dist/reload_broker-"$version"-py3-none-manylinux_*_"$arch".whl 2>/dev/null | head -1)
for file in "$tarball" "$deb" "$wheel"; do
  [ -n "$file" ] && [ -f "$file" ] || fail "missing package for $version in dist/ (run scripts/package.sh)"
done

work=$(mktemp -d)
broker_pid=""
deb_installed=false
cleanup() {
  if [ -n "$broker_pid" ]; then kill -KILL "$broker_pid" 2>/dev/null || true; fi
  if $deb_installed; then dpkg -r reload-broker >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
clean_env=(env -i PATH=/usr/bin:/bin)

# Runs COMMAND... serve --port 0 --no-watch, reads the URL line it prints (through a FIFO, so the
# wait ends as soon as the line is written), checks the demo page has the client injected and
# /health reports the version, then stops it with SIGTERM and expects status 0.
serve_demo() {
  local label=$1; shift
  local fifo=$work/$label.fifo
  mkfifo "$fifo"
  "$@" serve --port 0 --no-watch >"$fifo" 2>"$work/$label.err" &
  broker_pid=$!
  exec 3<"$fifo"
  local line=""
  IFS= read -r -t 20 -u 3 line || fail "$label: no start-up line within 20 s ($(cat "$work/$label.err"))"
  local port
  port=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' <<<"$line" | grep -oE '[0-9]+/$' | tr -d /) ||
    fail "$label: no URL in \"$line\""
  local page health
  page=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/") || fail "$label: GET / failed"
  grep -q '<script src="/__reload/client.js" data-reload-broker' <<<"$page" ||
    fail "$label: the demo page has no injected client script"
  curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$port/__reload/client.js" || fail "$label: no client.js"
  health=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/__reload/health") || fail "$label: no /health"
  grep -q "\"version\":\"$version\"" <<<"$health" || fail "$label: /health says $health"
  kill -TERM "$broker_pid"
  timeout 10 tail --pid="$broker_pid" -f /dev/null || fail "$label: still running 10 s after SIGTERM"
  local status=0
  wait "$broker_pid" || status=$?
  broker_pid=""
  exec 3<&-
  [ "$status" = 0 ] || fail "$label: exited $status after SIGTERM"
  log "$label: served the demo on port $port with the client injected; /health version $version; stopped"
}

# COMMAND... proxy --exec a Python app: the static binary runs itself as the app's exec guard
# (/proc/self/exe). The page comes through with the client injected (curl retries the 502 waiting
# page, as its Retry-After says, until the app answers); after SIGTERM the app is gone too.
proxy_exec() {
  local label=$1; shift
  mkdir -p "$work/app"
  echo '<!doctype html><html><head><title>app</title></head><body>package-check-app</body></html>' >"$work/app/index.html"
  local app_port
  app_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local fifo=$work/$label-proxy.fifo
  mkfifo "$fifo"
  "$@" proxy --port 0 --upstream "http://127.0.0.1:$app_port" \
    --exec "exec python3 -m http.server $app_port --bind 127.0.0.1 --directory '$work/app'" >"$fifo" 2>"$work/$label-proxy.err" &
  broker_pid=$!
  exec 3<"$fifo"
  local line=""
  IFS= read -r -t 20 -u 3 line || fail "$label proxy: no start-up line within 20 s ($(cat "$work/$label-proxy.err"))"
  local port
  port=$(grep -oE 'at http://127\.0\.0\.1:[0-9]+/' <<<"$line" | grep -oE '[0-9]+/$' | tr -d /) ||
    fail "$label proxy: no URL in \"$line\""
  local page
  page=$(curl -fs --max-time 20 --retry 15 --retry-max-time 20 -H 'Accept: text/html' "http://127.0.0.1:$port/") ||
    fail "$label proxy: the app's page never came through ($(tail -3 "$work/$label-proxy.err"))"
  grep -q 'package-check-app' <<<"$page" || fail "$label proxy: not the app's page"
  grep -q '<script src="/__reload/client.js" data-reload-broker' <<<"$page" || fail "$label proxy: no client injected"
  kill -TERM "$broker_pid"
  timeout 10 tail --pid="$broker_pid" -f /dev/null || fail "$label proxy: still running 10 s after SIGTERM"
  wait "$broker_pid" || true
  broker_pid=""
  exec 3<&-
  if curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$app_port/"; then fail "$label proxy: the app outlived the broker"; fi
  log "$label: proxy --exec served the app's page with the client injected; the app stopped with the broker"
}

expect_version() {
  local label=$1; shift
  local printed
  printed=$("$@" --version) || fail "$label: --version failed"
  [ "$printed" = "$version" ] || fail "$label: --version printed \"$printed\", not $version"
}

# Nothing from Swift or the build may be loaded.
expect_self_contained() {
  local libs
  libs=$(ldd "$1" 2>&1) || fail "$1 is not a dynamically linked ELF executable (ldd: $libs)"
  if grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libuv|libz\.|libstdc\+\+|libgcc_s|/opt/swift|not found' <<<"$libs"; then
    fail "$1 loads libraries it should carry"
  fi
}

# --- tarball ---------------------------------------------------------------------------------
mkdir "$work/tar"
tar -xzf "$tarball" -C "$work/tar"
tree=$work/tar/reload-broker-$version-linux-$arch
for file in reload-broker reload-broker.1 README.md install.sh completions/reload-broker.bash \
  completions/_reload-broker completions/reload-broker.fish; do
  [ -f "$tree/$file" ] || fail "the tarball has no $file"
done
expect_self_contained "$tree/reload-broker"
expect_version "tarball" "${clean_env[@]}" "$tree/reload-broker"
for sub in serve proxy trigger; do expect_version "tarball $sub" "${clean_env[@]}" "$tree/reload-broker" $sub; done
serve_demo tarball "${clean_env[@]}" "$tree/reload-broker"
proxy_exec tarball "${clean_env[@]}" "$tree/reload-broker"
for text in 'Examples:' 'Exit statuses:' 'reload-broker proxy --upstream'; do
  grep -qF -- "$text" "$tree/reload-broker.1" || fail "the man page lacks \"$text\""
done
if command -v man >/dev/null 2>&1; then
  MANWIDTH=80 man -l "$tree/reload-broker.1" 2>/dev/null | grep -q 'EXIT STATUS' || fail "man cannot render the page"
fi
bash -n "$tree/completions/reload-broker.bash" || fail "the bash completion does not parse"
grep -q 'complete .*reload-broker' "$tree/completions/reload-broker.bash" || fail "the bash completion registers nothing"
completed=$(bash -c 'source "$1"; COMP_WORDS=(reload-broker pro); COMP_CWORD=1; COMP_LINE="reload-broker pro"
  COMP_POINT=${#COMP_LINE}; _reload-broker reload-broker pro reload-broker; echo "${COMPREPLY[*]}"' _ "$tree/completions/reload-broker.bash")
[ "$completed" = proxy ] || fail "bash completes \"reload-broker pro\" to \"$completed\", not proxy"
if command -v zsh >/dev/null 2>&1; then zsh -n "$tree/completions/_reload-broker" || fail "zsh completion"; fi
if command -v fish >/dev/null 2>&1; then fish -n "$tree/completions/reload-broker.fish" || fail "fish completion"; fi
prefix=$work/prefix
"${clean_env[@]}" "$tree/install.sh" --prefix "$prefix" 2>"$work/install.err" || fail "install.sh: $(cat "$work/install.err")"
for file in bin/reload-broker share/man/man1/reload-broker.1 share/bash-completion/completions/reload-broker \
  share/zsh/site-functions/_reload-broker share/fish/vendor_completions.d/reload-broker.fish; do
  [ -f "$prefix/$file" ] || fail "install.sh --prefix did not install $file"
done
expect_version "install.sh --prefix" "${clean_env[@]}" "$prefix/bin/reload-broker"
scripts/install.sh --prefix "$work/prefix2" "$tarball" 2>/dev/null || fail "install.sh from the tarball file"
expect_version "install.sh TARBALL" "$work/prefix2/bin/reload-broker"
"$tree/install.sh" --prefix "$prefix" --uninstall 2>/dev/null
[ -z "$(find "$prefix" -type f)" ] || fail "install.sh --uninstall left $(find "$prefix" -type f)"
log "tarball: --version on every command, man page, completions, install.sh --prefix / --uninstall"

# --- .deb ------------------------------------------------------------------------------------
depends=$(dpkg-deb -f "$deb" Depends)
[[ "$depends" =~ ^libc6\ \(\>=\ [0-9]+\.[0-9]+\)$ ]] || fail "the .deb Depends on \"$depends\", not libc6 alone"
[ "$(dpkg-deb -f "$deb" Package)" = reload-broker ] || fail "the .deb is not named reload-broker"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "the .deb's version is not $version"
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for path in ./usr/bin/reload-broker ./usr/share/man/man1/reload-broker.1.gz \
  ./usr/share/bash-completion/completions/reload-broker ./usr/share/zsh/vendor-completions/_reload-broker \
  ./usr/share/fish/vendor_completions.d/reload-broker.fish; do
  grep -qx -- "$path" <<<"$contents" || fail "the .deb has no $path"
done
if grep -vE '^\./(usr/((bin|share/(man|bash-completion|zsh|fish|doc))/.*|share/)?)?$' <<<"$contents"; then
  fail "the .deb installs outside /usr/bin and /usr/share"
fi
log "deb: Depends: $depends; $(wc -l <<<"$contents") entries in Debian's places"
if [ "$(id -u)" = 0 ] && command -v dpkg >/dev/null 2>&1; then
  if dpkg -s reload-broker >/dev/null 2>&1; then
    log "deb: a reload-broker package is already installed here; not replacing it (dpkg -i skipped)"
  else
    dpkg -i "$deb" >"$work/dpkg.out" 2>&1 || fail "dpkg -i: $(cat "$work/dpkg.out")"
    deb_installed=true
    expect_self_contained /usr/bin/reload-broker
    expect_version "deb" "${clean_env[@]}" /usr/bin/reload-broker
    serve_demo deb "${clean_env[@]}" /usr/bin/reload-broker
    if command -v man >/dev/null 2>&1; then
      [ "$(man -w reload-broker 2>/dev/null)" = /usr/share/man/man1/reload-broker.1.gz ] || fail "man -w reload-broker"
    fi
    dpkg -r reload-broker >"$work/dpkg.out" 2>&1 || fail "dpkg -r: $(cat "$work/dpkg.out")"
    deb_installed=false
    [ ! -e /usr/bin/reload-broker ] || fail "dpkg -r left /usr/bin/reload-broker"
    log "deb: dpkg -i, served the demo from /usr/bin/reload-broker, man page found, dpkg -r"
  fi
else
  log "deb: not root (or no dpkg): dpkg -i skipped"
fi

# --- wheel -----------------------------------------------------------------------------------
python3 -m venv "$work/venv" || fail "python3 -m venv (install python3-venv)"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$work/venv/bin/python" -m pip install --quiet --root-user-action=ignore --no-index --no-cache-dir "$wheel" ||
  fail "pip install --no-index $wheel"
venv_env=(env -i PATH="$work/venv/bin:/usr/bin:/bin")
[ "$("${venv_env[@]}" sh -c 'command -v reload-broker')" = "$work/venv/bin/reload-broker" ] ||
  fail "the wheel did not put reload-broker on the venv's PATH"
expect_self_contained "$work/venv/bin/reload-broker"
expect_version "wheel" "${venv_env[@]}" reload-broker
expect_version "python -m reload_broker" "${clean_env[@]}" "$work/venv/bin/python" -m reload_broker
[ "$("$work/venv/bin/python" -c 'import reload_broker; print(reload_broker.__version__)')" = "$version" ] ||
  fail "reload_broker.__version__"
[ -f "$work/venv/share/man/man1/reload-broker.1" ] || fail "the wheel did not install the man page"
serve_demo wheel "${venv_env[@]}" reload-broker
serve_demo "python-m" "${clean_env[@]}" "$work/venv/bin/python" -m reload_broker
log "wheel: $(basename "$wheel") installed with pip --no-index into a fresh venv"

log "PASS in $(( $(date +%s) - started )) s"
