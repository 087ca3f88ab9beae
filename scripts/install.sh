#!/usr/bin/env bash
# Installs reload-broker: the binary, its man page and bash/zsh/fish completions.
#   ./install.sh [--prefix DIR]                       from an unpacked release tarball (this script is in it)
#   scripts/install.sh [--prefix DIR] FILE.tar.gz     from a tarball
#   scripts/install.sh [--prefix DIR]                 from the source tree: builds the tarball first
#                                                     (scripts/package.sh --tarball-only)
#   --prefix DIR   default /usr/local: DIR/bin, DIR/share/man/man1, DIR/share/{bash-completion,zsh,fish}
#   --uninstall    removes what an install with the same --prefix put there
set -euo pipefail
prefix=/usr/local
source=""
uninstall=false
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "--prefix needs a folder" >&2; exit 2; }; prefix="$2"; shift ;;
    --prefix=*) prefix="${1#--prefix=}" ;;
    --uninstall) uninstall=true ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) source="$1" ;;
  esac
  shift
done
log() { echo "install: $*" >&2; }

bin_path=$prefix/bin/reload-broker
man_path=$prefix/share/man/man1/reload-broker.1
bash_path=$prefix/share/bash-completion/completions/reload-broker
zsh_path=$prefix/share/zsh/site-functions/_reload-broker
fish_path=$prefix/share/fish/vendor_completions.d/reload-broker.fish

if $uninstall; then
  for path in "$bin_path" "$man_path" "$bash_path" "$zsh_path" "$fish_path"; do
    [ -e "$path" ] && rm -f "$path" && log "removed $path"
  done
  exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
work=""
trap 'if [ -n "$work" ]; then rm -rf "$work"; fi' EXIT
if [ -z "$source" ]; then
  if [ -x "$here/reload-broker" ] && [ -f "$here/reload-broker.1" ]; then
    source=$here
  elif [ -f "$here/package.sh" ]; then
    log "building the tarball (scripts/package.sh --tarball-only)…"
    "$here/package.sh" --tarball-only
    source=$(ls -t "$here"/../dist/reload-broker-*-linux-"$(uname -m)".tar.gz | head -1)
  else
    echo "install: no reload-broker beside this script; pass a tarball" >&2
    exit 2
  fi
fi
if [ -f "$source" ]; then
  work=$(mktemp -d)
  tar -xzf "$source" -C "$work"
  source=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
fi
for file in reload-broker reload-broker.1 completions/reload-broker.bash completions/_reload-broker completions/reload-broker.fish; do
  [ -f "$source/$file" ] || { echo "install: $source has no $file" >&2; exit 2; }
done

install -D -m 755 "$source/reload-broker" "$bin_path"
install -D -m 644 "$source/reload-broker.1" "$man_path"
install -D -m 644 "$source/completions/reload-broker.bash" "$bash_path"
install -D -m 644 "$source/completions/_reload-broker" "$zsh_path"
install -D -m 644 "$source/completions/reload-broker.fish" "$fish_path"
log "installed $("$bin_path" --version) into $prefix ($bin_path, man page, bash/zsh/fish completions)"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) log "note: $prefix/bin is not on your PATH" ;;
esac
