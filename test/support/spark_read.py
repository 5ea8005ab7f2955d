"""Reads dv's Iceberg export with Apache Spark (local mode, Iceberg's Spark runtime) and prints what it saw.

    python spark_read.py < request.json        (the python of .ci/spark-tools.sh's venv)

stdin: {"jars": path of iceberg-spark-runtime, "warehouse": a directory laid out as an Iceberg Hadoop
catalog (the export at WAREHOUSE/<namespace>/<table>), "catalog": the name Spark gives it, "scratch":
a directory for Spark's own files, "snapshots": the `<table>.snapshots` metadata table to list,
"queries": [{"name", "sql", "expected": the stdout of `dv cat ... --json` these rows must equal}]}.

One SparkSession serves every query (starting one takes ~10 s): local[2], bound to 127.0.0.1 (driver
host and bind address; Py4J listens there by default), no UI, 2 shuffle partitions, log level WARN,
the session time zone and the JVM's and Python's zones UTC.

stdout: {"spark", "snapshots": [{"snapshot_id", "parent_id", "operation", "dv_snapshot"}, ...] in
commit order, "results": [{"name", "columns", "types", "rows", "expected_columns", "expected"} or
{"name", "error"}]}. "rows" are Spark's rows and "expected" dv's, both as {column: canonical value},
unsorted; the test sorts and compares them. Canonical values (the same text for both sides):
  - a number (Spark int/long/double/decimal; a JSON number in dv's output, parsed exactly as a
    Python Decimal, never through a binary double) is its exact decimal text without exponent or
    trailing zeros: decimal(10,2) 1.50 and dv's 1.5 are both "1.5", double 1e300 is "1" and 300
    zeros. A double is the decimal text of its shortest repr (Python's and JavaScript's agree), so
    "0.1" on both sides. dv's JSON numbers are not parsed by the test (JSON.parse would round a
    decimal(38,5) to a double); that is why the comparison's input is made here;
  - a Spark date is its ISO text, "2026-01-02", as dv prints it;
  - a Spark timestamp (Iceberg timestamptz) is printed as dv prints one: "2026-01-02 23:59:59.5+00"
    (UTC, fractional seconds to the microsecond without trailing zeros, "+00"); a timestamp_ntz
    (Iceberg timestamp) the same without "+00";
  - strings, booleans and nulls are themselves; dv's strings (its dates and timestamps included)
    are taken as they are.
"""
import datetime
import decimal
import json
import os
import sys
import time

decimal.getcontext().prec = 1000  # normalize() rounds to the context precision: keep every digit


def number_text(d):
    text = format(d.normalize(), 'f')
    return '0' if text in ('-0', '0') else text


def timestamp_text(v, with_zone):
    text = v.strftime('%Y-%m-%d %H:%M:%S')
    if v.microsecond:
        text += f'.{v.microsecond:06d}'.rstrip('0')
    return text + ('+00' if with_zone else '')


def canonical_spark(v, type_name):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, datetime.datetime):
        return timestamp_text(v, type_name == 'timestamp')
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, float):
        return number_text(decimal.Decimal(repr(v)))
    if isinstance(v, (int, decimal.Decimal)):
        return number_text(decimal.Decimal(v))
    raise TypeError(f'no canonical form for {type(v).__name__} ({type_name})')


def canonical_dv(v):
    if isinstance(v, decimal.Decimal):
        return number_text(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, (dict, list)):
        raise TypeError('nested values are not compared here')
    return v


def main():
    request = json.load(sys.stdin)
    # Python turns a Spark timestamp into a naive datetime in the process's zone, and the JVM
    # (started from here) inherits TZ: both UTC, like the session zone below.
    os.environ['TZ'] = 'UTC'
    time.tzset()
    os.environ['SPARK_LOCAL_IP'] = '127.0.0.1'
    os.chdir(request['scratch'])
    from pyspark.sql import SparkSession

    name = request['catalog']
    spark = (SparkSession.builder
             .master('local[2]')
             .appName('dv-spark-interop')
             .config('spark.jars', request['jars'])
             .config('spark.driver.host', '127.0.0.1')
             .config('spark.driver.bindAddress', '127.0.0.1')
             .config('spark.ui.enabled', 'false')
             .config('spark.ui.showConsoleProgress', 'false')
             .config('spark.sql.shuffle.partitions', '2')
             .config('spark.sql.session.timeZone', 'UTC')
             .config('spark.driver.extraJavaOptions', '-Duser.timezone=UTC')
             .config('spark.sql.warehouse.dir', os.path.join(request['scratch'], 'spark-warehouse'))
             .config('spark.sql.extensions', 'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions')
             .config(f'spark.sql.catalog.{name}', 'org.apache.iceberg.spark.SparkCatalog')
             .config(f'spark.sql.catalog.{name}.type', 'hadoop')
             .config(f'spark.sql.catalog.{name}.warehouse', request['warehouse'])
             .getOrCreate())
    spark.sparkContext.setLogLevel('WARN')
    try:
        out = {'spark': spark.version, 'results': []}
        if request.get('snapshots'):
            listed = spark.sql(
                "SELECT snapshot_id, parent_id, operation, summary['dv.snapshot-id'] AS dv_snapshot "
                f"FROM {request['snapshots']} ORDER BY committed_at").collect()
            out['snapshots'] = [{'snapshot_id': str(r.snapshot_id), 'parent_id': None if r.parent_id is None else str(r.parent_id),
                                 'operation': r.operation, 'dv_snapshot': r.dv_snapshot} for r in listed]
        for q in request['queries']:
            try:
                df = spark.sql(q['sql'])
                fields = df.schema.fields
                rows = [{f.name: canonical_spark(r[i], f.dataType.simpleString()) for i, f in enumerate(fields)}
                        for r in df.collect()]
                expected = json.loads(q['expected'], parse_float=decimal.Decimal)
                out['results'].append({
                    'name': q['name'],
                    'columns': [f.name for f in fields],
                    'types': [f.dataType.simpleString() for f in fields],
                    'rows': rows,
                    'expected_columns': list(expected[0].keys()) if expected else None,
                    'expected': [{k: canonical_dv(v) for k, v in e.items()} for e in expected],
                })
            except Exception as e:  # noqa: BLE001 - reported per query
                out['results'].append({'name': q['name'], 'error': f'{type(e).__name__}: {e}'})
        json.dump(out, sys.stdout)
    finally:
        spark.stop()


main()
