#!/usr/bin/env bash
# Creates, once, the Python venv the Parquet tests use as an independent
# reader and as other writers, and `npm run bench -- --peers` as dv's peers
# (deltalake, pyiceberg, duckdb) (.ci/requirements-test.txt), cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/dv-ci/pytools-<hash of the requirements>,
# and prints the line that points the tests at it:
#   eval "$(bash .ci/py-tools.sh)"    -> export DV_TEST_PYTHON=<venv>/bin/python
# Tests that need it skip without DV_TEST_PYTHON, and fail when CI is set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
requirements="$here/requirements-test.txt"
hash="$(sha256sum "$requirements" | cut -c1-16)"
venv="${DV_PYTOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/dv-ci/pytools-$hash}"
mkdir -p "$(dirname "$venv")"

# One installer at a time (two test runs may start together); a venv counts
# only once its marker is written, so an interrupted install is redone.
exec 9>"$venv.lock"
flock 9
if [ ! -f "$venv/.dv-complete" ]; then
  echo "py-tools: installing $(grep -cv '^\s*\(#\|$\)' "$requirements") pinned packages into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: -r "$requirements" >&2
  "$venv/bin/python" -c 'import pyarrow, pandas, fastparquet, polars, pyiceberg, deltalake, duckdb' >&2
  touch "$venv/.dv-complete"
fi
echo "export DV_TEST_PYTHON=$venv/bin/python"
