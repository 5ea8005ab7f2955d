#!/usr/bin/env bash
# Creates, once, what the Spark interop test (test/interop/spark.test.ts) runs
# Spark with: a Python venv with pyspark and py4j (.ci/requirements-spark.txt,
# every package hash-pinned) and Apache Iceberg's Spark runtime jar from Maven
# Central, checked against the sha256 below. Both are cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/dv-ci/spark-<hash of the requirements and
# the jar's name and sha256>. Spark itself runs on the machine's Java (`java`
# on PATH, or JAVA_HOME; Spark 4.0 needs 17 or 21). Prints the lines that
# point the test at them:
#   eval "$(bash .ci/spark-tools.sh)"
#     -> export DV_TEST_SPARK_PYTHON=<venv>/bin/python
#        export DV_TEST_SPARK_JARS=<dir>/iceberg-spark-runtime-4.0_2.13-1.10.2.jar
# The test skips without them, and fails when CI is set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
requirements="$here/requirements-spark.txt"

# iceberg-spark-runtime for Spark 4.0 / Scala 2.13 (pyspark 4.0.x ships Scala 2.13).
ICEBERG_SPARK_RUNTIME=iceberg-spark-runtime-4.0_2.13
ICEBERG_VERSION=1.10.2
ICEBERG_SHA256=7124a5da756f69c815f3f778691167ed00dfd813dde2c26025278aa35f35abb8
MAVEN="${DV_MAVEN_REPO:-https://repo1.maven.org/maven2}"
jar_name="$ICEBERG_SPARK_RUNTIME-$ICEBERG_VERSION.jar"
jar_url="$MAVEN/org/apache/iceberg/$ICEBERG_SPARK_RUNTIME/$ICEBERG_VERSION/$jar_name"

hash="$( { cat "$requirements"; echo "$jar_name $ICEBERG_SHA256"; } | sha256sum | cut -c1-16)"
dir="${DV_SPARK_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dv-ci/spark-$hash}"
mkdir -p "$(dirname "$dir")"

# One installer at a time (two test runs may start together); the directory
# counts only once its marker is written, so an interrupted install is redone.
exec 9>"$dir.lock"
flock 9
if [ ! -f "$dir/.dv-complete" ]; then
  echo "spark-tools: installing pyspark, py4j and $jar_name into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir/jars"
  python3 -m venv "$dir/venv"
  pip=("$dir/venv/bin/pip" --disable-pip-version-check --quiet)
  # setuptools first (a wheel), so that the pyspark sdist builds with the pinned one.
  "${pip[@]}" install --require-hashes --only-binary=:all: -r <(grep '^setuptools==' "$requirements") >&2
  "${pip[@]}" install --require-hashes --no-build-isolation -r "$requirements" >&2
  "$dir/venv/bin/python" -c 'import pyspark, py4j; print("spark-tools: pyspark", pyspark.__version__)' >&2
  curl --fail --silent --show-error --location --retry 3 -o "$dir/jars/$jar_name.part" "$jar_url"
  echo "$ICEBERG_SHA256  $dir/jars/$jar_name.part" | sha256sum --check --quiet >&2
  mv "$dir/jars/$jar_name.part" "$dir/jars/$jar_name"
  touch "$dir/.dv-complete"
fi

# Spark runs on the machine's Java: check it here rather than in the test's first Spark start.
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
java_major="$("$java" -version 2>&1 | sed -n 's/.* version "\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' | head -n 1)" || true
if [ -z "$java_major" ] || [ "$java_major" -lt 17 ]; then
  echo "spark-tools: Spark 4.0 needs Java 17 or later; $java is ${java_major:+Java }${java_major:-missing}" >&2
  exit 1
fi
echo "export DV_TEST_SPARK_PYTHON=$dir/venv/bin/python"
echo "export DV_TEST_SPARK_JARS=$dir/jars/$jar_name"
