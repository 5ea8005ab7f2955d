#!/usr/bin/env bash
# The five-minute tour of dv, run end to end on generated sample data.
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

# The "initial load" commit is the second-oldest on main (dv init makes a root commit).
FIRST="$(dv log --json | node -e 'const l = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(l[l.length - 2].snapshot.slice(0, 7))')"
LOADED_AT="$(dv log --json | node -e 'const l = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(l[l.length - 2].timestamp)')"

step "dv cat events --at $FIRST --format csv | head"
step 'dv cat events --at main~1 | head'
step "dv cat events --at 'main@{$LOADED_AT}' | head"
step 'dv cat events --at backfill | head'
step 'dv tag v1'
step "dv cat events --at v1 --columns id,ts --where \"ts >= '2026-01-02'\" --limit 10"
step "dv log --json | node -e 'const l = JSON.parse(require(\"fs\").readFileSync(0, \"utf8\")); console.log(l.length + \" commits on main\")'"

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
