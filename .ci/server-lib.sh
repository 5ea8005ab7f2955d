# Shared by .ci/s3-server.sh and .ci/versitygw.sh (sourced, not run): waiting
# for a test server started in the background, writing the env file the suites
# source, and stopping it. The caller sets `state` (its state directory, with
# `pid` and `server.log`) and defines `answers ENDPOINT` (0 once it serves).

# await_server NAME ENDPOINT DESCRIPTION: waits up to 10 s; writes $state/env.
await_server() {
  local name="$1" endpoint="$2" what="$3"
  for _ in $(seq 1 100); do
    if answers "$endpoint"; then
      cat >"$state/env" <<ENV
export DV_TEST_S3_ENDPOINT=$endpoint
export AWS_ENDPOINT_URL=$endpoint
export AWS_ACCESS_KEY_ID=dvtest
export AWS_SECRET_ACCESS_KEY=dvtest
export AWS_REGION=us-east-1
ENV
      echo "$name: $what on $endpoint (pid $(cat "$state/pid")); env in $state/env" >&2
      return
    fi
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "$name: the server did not start; log:" >&2
  cat "$state/server.log" >&2
  exit 1
}

stop_quietly() {
  if [ -f "$state/pid" ]; then
    kill "$(cat "$state/pid")" 2>/dev/null || true
    rm -f "$state/pid" "$state/env"
  fi
}
