#!/usr/bin/env bash
# Installs (if missing) and starts/stops the S3-compatible test server: moto
# (PyPI) behind .ci/s3-server.py, on 127.0.0.1, with no root services.
#   bash .ci/s3-server.sh start   -> writes $DV_S3_STATE_DIR/env (source it)
#   bash .ci/s3-server.sh stop
# The env file exports DV_TEST_S3_ENDPOINT (the S3 tests skip without it) and
# the standard AWS variables pointing at the server.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
MOTO_VERSION="5.2.5"
state="${DV_S3_STATE_DIR:-${TMPDIR:-/tmp}/dv-s3-server}"
venv="${DV_S3_SERVER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dv-ci/moto-$MOTO_VERSION}"
port="${DV_S3_PORT:-45129}"
mkdir -p "$state"

install() {
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import moto.server, werkzeug' 2>/dev/null; then return; fi
  echo "s3-server: installing moto[server]==$MOTO_VERSION into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
}

answers() {
  "$venv/bin/python" - "$1" <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/", timeout=1).read()
except Exception as e:
    sys.exit(1)
PY
}

start() {
  install
  stop_quietly
  local endpoint="http://127.0.0.1:$port"
  nohup "$venv/bin/python" "$here/s3-server.py" --host 127.0.0.1 --port "$port" >"$state/server.log" 2>&1 &
  echo $! >"$state/pid"
  for _ in $(seq 1 100); do
    if answers "$endpoint"; then
      cat >"$state/env" <<ENV
export DV_TEST_S3_ENDPOINT=$endpoint
export AWS_ENDPOINT_URL=$endpoint
export AWS_ACCESS_KEY_ID=dvtest
export AWS_SECRET_ACCESS_KEY=dvtest
export AWS_REGION=us-east-1
ENV
      echo "s3-server: moto $MOTO_VERSION on $endpoint (pid $(cat "$state/pid")); env in $state/env" >&2
      return
    fi
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "s3-server: the server did not start; log:" >&2
  cat "$state/server.log" >&2
  exit 1
}

stop_quietly() {
  if [ -f "$state/pid" ]; then
    kill "$(cat "$state/pid")" 2>/dev/null || true
    rm -f "$state/pid" "$state/env"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
