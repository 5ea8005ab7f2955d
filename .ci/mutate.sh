#!/usr/bin/env bash
# Mutation testing with StrykerJS (stryker.config.mjs; issue 14 §1).
#   bash .ci/mutate.sh                 every group, in full (slow: hours on 2 cores)
#   bash .ci/mutate.sh refs table      the named groups
#   bash .ci/mutate.sh src/refs/rev.ts one or more target files
#   bash .ci/mutate.sh --changed       the target files changed since the
#                                      recorded baselines (what .ci/run does)
# A group mutates one layer against the in-process suites that exercise it (a
# narrow test set keeps per-test coverage cheap). Each group's results live in
# reports/stryker-incremental-GROUP.json (committed): a run reuses it (Stryker
# --incremental: only mutants whose code or covering tests changed are run
# again), then merges its results back and records the commit it measured in
# reports/stryker-baseline-GROUP. --changed works on copies and leaves both
# alone. Scores are checked against the bars in .ci/mutation-score.mjs.
# StrykerJS 10 needs Node >= 22: on an older Node this runs it on the Node
# that .ci/node.sh installs for CI (DuckDB's addon is N-API: any version).
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A MUTATE TESTS
MUTATE[format]='src/format/**/*.ts'
TESTS[format]='test/format/**/*.test.ts'
MUTATE[refs]='src/refs/**/*.ts'
TESTS[refs]='test/refs/**/*.test.ts,test/table/reset.test.ts,test/table/protect.test.ts,test/table/expire.test.ts'
MUTATE[store]='src/store/local.ts,src/store/local-*.ts'
TESTS[store]='test/store/**/*.test.ts,test/conformance/storage.test.ts,test/workspace/**/*.test.ts'
MUTATE[table]='src/table/**/*.ts'
TESTS[table]='test/table/**/*.test.ts'
GROUPS_ALL=(format refs store table)

node_bin="$(command -v node)"
if [ "$(node -p 'process.versions.node.split(".")[0] >= 22')" != true ]; then
  node_bin="$(bash .ci/node.sh "${DV_MUTATE_NODE_VERSION:-24.22.3}")/node"
fi

group_of() {
  case "$1" in
    src/format/*) echo format ;;
    src/refs/*) echo refs ;;
    src/store/local.ts | src/store/local-*.ts) echo store ;;
    src/table/*) echo table ;;
  esac
}

changed=false
declare -A targets=()
if [ "${1:-}" = --changed ]; then
  changed=true
  for g in "${GROUPS_ALL[@]}"; do
    [ -f "reports/stryker-baseline-$g" ] || continue
    baseline="$(cat "reports/stryker-baseline-$g")"
    # Committed and uncommitted changes since the baseline, new files included.
    while read -r f; do
      if [ "$(group_of "$f")" = "$g" ] && [ -f "$f" ]; then targets[$g]="${targets[$g]:+${targets[$g]},}$f"; fi
    done < <({ git diff --name-only "$baseline" -- src; git ls-files --others --exclude-standard -- src; } | grep '\.ts$' | sort -u)
  done
  if [ "${#targets[@]}" -eq 0 ]; then
    echo "mutate: no mutation target changed since the recorded baselines (reports/stryker-baseline-*)" >&2
    exit 0
  fi
else
  args=("$@")
  if [ "${#args[@]}" -eq 0 ]; then args=("${GROUPS_ALL[@]}"); fi
  for a in "${args[@]}"; do
    if [ -n "${MUTATE[$a]:-}" ]; then
      targets[$a]="${MUTATE[$a]}"
    else
      g="$(group_of "$a")"
      if [ -z "$g" ] || [ ! -f "$a" ]; then echo "mutate: '$a' is neither a group (${GROUPS_ALL[*]}) nor a target file" >&2; exit 2; fi
      targets[$g]="${targets[$g]:+${targets[$g]},}$a"
    fi
  done
fi

mkdir -p .stryker-tmp reports/mutation
status=0
for g in "${GROUPS_ALL[@]}"; do
  [ -n "${targets[$g]:-}" ] || continue
  tests="${DV_MUTATE_TESTS:-${TESTS[$g]}}"  # DV_MUTATE_TESTS: other suites, for a run over one file
  echo "==> mutate $g: ${targets[$g]} against $tests" >&2
  committed="reports/stryker-incremental-$g.json"
  inc=".stryker-tmp/incremental-$g.json"
  rm -f "$inc"
  if [ -f "$committed" ]; then cp "$committed" "$inc"; fi
  head="$(git rev-parse HEAD)"
  DV_MUTATE_GROUP="$g" DV_MUTATE_TESTS="$tests" DV_MUTATE_INCREMENTAL_FILE="$inc" \
    "$node_bin" node_modules/@stryker-mutator/core/bin/stryker.js run --mutate "${targets[$g]}"
  "$node_bin" .ci/mutation-score.mjs "reports/mutation/$g.json" || status=1
  if [ "$changed" = false ]; then
    "$node_bin" .ci/mutation-merge.mjs "$committed" "$inc"
    echo "$head" > "reports/stryker-baseline-$g"
  fi
done
exit "$status"
