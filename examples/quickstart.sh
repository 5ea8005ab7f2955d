#!/usr/bin/env bash
# The five-minute tour of dv and the README's pipelines, run end to end on generated sample data
# (test/cli/readme.test.ts runs the README's own blocks on the same data).
# Usage: npm run quickstart   (or: npm run build && bash examples/quickstart.sh [WORKDIR])
# WORKDIR defaults to a fresh temporary directory (removed afterwards);
# a given WORKDIR is emptied first and kept.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dv() { node "$ROOT/dist/cli/main.js" "$@"; }
[ -f "$ROOT/dist/cli/main.js" ] || { echo "error: $ROOT/dist/cli/main.js is missing: run 'npm run build' first" >&2; exit 2; }

if [ $# -ge 1 ]; then
  WORK="$(mkdir -p "$1" && cd "$1" && pwd)"
  rm -rf "${WORK:?}/lake"
else
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/dv-quickstart.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
fi

# Echo each step (as typed) before running it; pipes and quotes work as in a shell.
step() { printf '\n$ %s\n' "$1"; eval "$1"; }

cd "$WORK"
mkdir -p lake
node "$ROOT/examples/make-sample-data.mjs" lake

step 'dv init lake && cd lake'
step 'dv write events events.csv --partition-by "day(ts)"'
step 'dv write users users.ndjson'
step 'dv status'
step 'dv commit -m "initial load"'
step 'dv write events more.parquet --commit -m "more events"'
step 'dv log --oneline'
step 'dv show HEAD events'
step 'dv branch backfill'
step 'dv checkout backfill'
step 'dv write events fix.csv --mode overwrite --commit -m "rewrite on branch"'
step 'dv checkout main'

step 'ID=$(dv log -n 1 --format=%h main~1)'
step 'dv cat events --at "$ID" --format csv | head -3'
step 'dv cat events --at main~1 | head -3'
step 'WHEN=$(dv log -n 1 --format=%ad main~1)'
step 'dv cat events --at "main@{$WHEN}" | head -3'
step 'dv cat events --at backfill | head -3'
step 'dv tag v1'
step "dv cat events --at v1 --columns id,ts --where \"ts >= '2026-01-02'\" --limit 10"
step 'dv log -n 1 --json'

# Pipelines (README.md): idempotent loads, partition replacement, deletes, upserts, overwrite by predicate.
step 'dv write events march.csv --branch main --commit -m "load march" --idempotency-key ingest-2026-03'
step 'dv write events march.csv --branch main --commit -m "load march" --idempotency-key ingest-2026-03'
step 'dv log --idempotency-key ingest-2026-03 --oneline'
step 'dv write events march-02.csv --mode replace-partitions --commit -m "fix 2026-03-02"'
step "dv write events --mode delete --where \"kind = 'refund'\" --commit -m \"drop refunds\""
step 'dv write users users.csv --mode upsert --key user_id --commit -m "sync users"'
step "dv write events q1.csv --mode overwrite --where \"ts < '2026-04-01'\" --commit -m \"redo Q1\""
step "dv log --format='%h %s' -n 6"

# Backfills on a branch (README.md): land one, see a second one conflict, undo the first.
# expect CODE 'cmd': a step that must fail with exit CODE (a conflict is exit 4).
expect() { printf '\n$ %s\n' "$2"; set +e; eval "$2"; local rc=$?; set -e; [ "$rc" = "$1" ] || { echo "error: expected exit $1, got $rc" >&2; exit 1; }; }
step 'dv branch jan-fix'
step 'dv write events jan-fix.csv --mode replace-partitions --branch jan-fix --commit -m "backfill jan 2-3"'
step 'dv diff main jan-fix --stat'
step 'dv diff main jan-fix events --rows --limit 5'
step 'dv write events late.csv --commit -m "late events"'
step 'dv merge jan-fix'
step 'dv branch jan4-fix'
step 'dv write events jan4-fix.csv --mode replace-partitions --branch jan4-fix --commit -m "backfill jan 4"'
step 'dv write events late-jan4.csv --commit -m "late events for jan 4"'
expect 4 'dv merge jan4-fix'
expect 4 'dv merge jan4-fix --dry-run --json'
step 'dv revert -m 1 HEAD~1'
step 'dv log --oneline -n 5'

if [ $# -ge 1 ]; then KEPT=" (the repository is kept in $WORK/lake)"; else KEPT=''; fi
printf '\nquickstart ok: the tour ran end to end%s\n' "$KEPT"
