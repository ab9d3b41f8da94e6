#!/usr/bin/env bash
# Installs the Debian packages a make target needs, only when a command is missing.
# Usage: ensure-debs.sh COMMAND:PACKAGE ...   (e.g. tshark:tshark tcpdump:tcpdump)
# Without root (or without apt-get) it says which commands are missing and exits 0:
# the tests that need them skip with a clear line.
set -uo pipefail
missing=()
for pair in "$@"; do
  cmd="${pair%%:*}"; pkg="${pair#*:}"
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-debs: not root or no apt-get; missing: ${missing[*]} (tests needing them will skip)" >&2
  exit 0
fi
echo "ensure-debs: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/usernet-apt.log 2>&1; then
  apt-get update -q >>/tmp/usernet-apt.log 2>&1
  apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/usernet-apt.log 2>&1 \
    || { echo "ensure-debs: apt-get failed, see /tmp/usernet-apt.log" >&2; exit 0; }
fi
