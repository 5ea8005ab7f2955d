#!/usr/bin/env bash
# The second S3-compatible test server: versitygw (Apache-2.0, Go) on its
# posix backend, on 127.0.0.1, with no root services. Unlike moto it needs no
# launcher to be atomic: it enforces If-None-Match / If-Match itself.
#   bash .ci/versitygw.sh start   -> writes $DV_VGW_STATE_DIR/env (source it)
#   bash .ci/versitygw.sh stop
# The binary is built once with `go install` (a few minutes) into the CI
# cache, ${XDG_CACHE_HOME:-$HOME/.cache}/dv-ci/versitygw-<version>/, and
# reused after that. Each start begins with an empty store.
# The env file exports the same variables as .ci/s3-server.sh's (the suites
# use the fixed test credentials dvtest/dvtest, so the root user has them).
set -euo pipefail
# shellcheck source=.ci/server-lib.sh
source "$(dirname "$0")/server-lib.sh"
VGW_VERSION="v1.8.0"
state="${DV_VGW_STATE_DIR:-${TMPDIR:-/tmp}/dv-versitygw}"
gobin="${XDG_CACHE_HOME:-$HOME/.cache}/dv-ci/versitygw-$VGW_VERSION"
bin="$gobin/versitygw"
port="${DV_VGW_PORT:-45139}"
mkdir -p "$state"

installed() {
  [ -x "$bin" ] || return 1
  # go records the module version in the binary; a half-written or other build is rebuilt
  if command -v go >/dev/null; then
    go version -m "$bin" 2>/dev/null | grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/versity/versitygw[[:space:]]+$VGW_VERSION[[:space:]]"
  fi
}

install() {
  if installed; then return; fi
  command -v go >/dev/null || { echo "versitygw: Go is needed to build versitygw $VGW_VERSION" >&2; exit 1; }
  echo "versitygw: building github.com/versity/versitygw/cmd/versitygw@$VGW_VERSION into $gobin (a few minutes, once)" >&2
  mkdir -p "$gobin"
  GOBIN="$gobin" GOFLAGS=-trimpath go install "github.com/versity/versitygw/cmd/versitygw@$VGW_VERSION"
}

answers() {
  # any HTTP answer (an unsigned request gets 403) means the server is up
  curl -s -o /dev/null --max-time 1 "$1/"
}

start() {
  install
  stop_quietly
  rm -rf "$state/root"
  mkdir -p "$state/root"
  local endpoint="http://127.0.0.1:$port"
  ROOT_ACCESS_KEY=dvtest ROOT_SECRET_KEY=dvtest nohup "$bin" --port "127.0.0.1:$port" --region us-east-1 --quiet \
    posix "$state/root" >"$state/server.log" 2>&1 &
  echo $! >"$state/pid"
  await_server versitygw "$endpoint" "$VGW_VERSION"
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly ;;
  install) install ;;
  *) echo "usage: $0 start|stop|install" >&2; exit 2 ;;
esac
