#!/usr/bin/env bash
# Installs (if missing) and starts/stops the S3-compatible test server: moto
# (PyPI) behind .ci/s3-server.py, on 127.0.0.1, with no root services.
#   bash .ci/s3-server.sh start   -> writes $DV_S3_STATE_DIR/env (source it)
#   bash .ci/s3-server.sh stop
# The env file exports DV_TEST_S3_ENDPOINT (the S3 tests skip without it) and
# the standard AWS variables pointing at the server.
set -euo pipefail
# shellcheck source=.ci/server-lib.sh
source "$(dirname "$0")/server-lib.sh"
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
  await_server s3-server "$endpoint" "moto $MOTO_VERSION"
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
