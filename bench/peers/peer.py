"""The peers of the peer benchmark (bench/peers/main.ts): one work step of
deltalake (delta-rs), pyiceberg (SqlCatalog on SQLite) or DuckDB (Python) in
this fresh process.

    python peer.py '{"op": "ingest", "system": "delta", "dir": ..., "source": ..., "format": "csv"}'

prints one JSON line: {"ms": [time of each step, after the imports], ...}.
The imports are outside "ms" (the process wall, measured by the harness,
includes them), like dv's module loading in bench/peers/dv-child.ts.

Tables: delta  - DIR is the Delta table;
        iceberg - DIR/catalog.db (SQLite) and DIR/warehouse, table bench.t;
        duckdb  - DIR/part-0.parquet written by COPY (zstd); DuckDB has no table
                  commits across processes and no branches: append and branch are n/a.
"""
import json
import random
import sys
import time


def load(system):
    """Imports what `system` needs (outside the timed part)."""
    import pyarrow  # noqa: F401  every system hands Arrow tables around
    import pyarrow.compute  # noqa: F401
    import pyarrow.csv  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    if system == 'delta':
        import deltalake  # noqa: F401
    elif system == 'iceberg':
        import pyiceberg.catalog.sql  # noqa: F401
        import pyiceberg.exceptions  # noqa: F401
        import sqlalchemy.exc  # noqa: F401
    elif system == 'duckdb':
        import duckdb  # noqa: F401
    else:
        raise SystemExit(f'unknown system {system!r}: expected delta, iceberg or duckdb')


def read_input(path, fmt):
    """The input as an Arrow table: pyarrow's CSV reader (types inferred) or Parquet reader.
    Timestamps become microseconds: Delta and Iceberg store no nanoseconds."""
    import pyarrow as pa
    import pyarrow.csv
    import pyarrow.parquet
    table = pyarrow.csv.read_csv(path) if fmt == 'csv' else pyarrow.parquet.read_table(path)
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.unit != 'us':
            table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp('us', tz=field.type.tz)))
    return table


def stats_of(table):
    """Rows, the exact sum of `id` (a string: it can exceed 2^53) and the sum of `value`."""
    import pyarrow.compute as pc
    return {
        'rows': table.num_rows,
        'sumId': str(pc.sum(table['id']).as_py() or 0),
        'sumValue': pc.sum(table['value']).as_py() or 0.0,
    }


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def retrying(step, retryable, attempts=200):
    """Runs step(), again after a short random sleep while it raises one of `retryable`
    (another process won the commit); returns (result, retries)."""
    for retry in range(attempts):
        try:
            return step(), retry
        except retryable:
            if retry == attempts - 1:
                raise
            time.sleep(random.uniform(0.001, 0.02))


# --- deltalake ------------------------------------------------------------

def delta_ingest(req):
    import deltalake
    deltalake.write_deltalake(req['dir'], read_input(req['source'], req['format']))


# A warm writer keeps its table (or catalog) open across appends, as dv-child.ts keeps its Repository.
OPEN = {}


def delta_append(req):
    import deltalake
    from deltalake.exceptions import CommitFailedError
    table = read_input(req['source'], 'csv')

    def step():
        if 'delta' not in OPEN:
            OPEN['delta'] = deltalake.DeltaTable(req['dir'])
        deltalake.write_deltalake(OPEN['delta'], table, mode='append')
    _, retries = retrying(step, (CommitFailedError,))
    return retries


def delta_first(req):
    import deltalake
    return deltalake.DeltaTable(req['dir'], version=0).to_pyarrow_table()


def delta_current(req):
    import deltalake
    if req.get('ref'):
        raise SystemExit('deltalake has no branches')
    return deltalake.DeltaTable(req['dir']).to_pyarrow_table()


# --- pyiceberg ------------------------------------------------------------

def iceberg_catalog(req):
    from pyiceberg.catalog.sql import SqlCatalog
    d = req['dir']
    return SqlCatalog('bench', uri=f'sqlite:///{d}/catalog.db', warehouse=f'file://{d}/warehouse')


def iceberg_retryable():
    import pyiceberg.exceptions
    import sqlalchemy.exc
    # CommitFailedException: another process committed first; OperationalError: SQLite is locked.
    return (pyiceberg.exceptions.CommitFailedException, sqlalchemy.exc.OperationalError)


def iceberg_ingest(req):
    catalog = iceberg_catalog(req)
    catalog.create_namespace('bench')
    data = read_input(req['source'], req['format'])
    catalog.create_table('bench.t', schema=data.schema).append(data)


def iceberg_append(req):
    data = read_input(req['source'], 'csv')

    def step():
        if 'iceberg' not in OPEN:
            OPEN['iceberg'] = iceberg_catalog(req).load_table('bench.t')
        try:
            OPEN['iceberg'].append(data)
        except iceberg_retryable():
            OPEN.pop('iceberg')  # stale: another process committed; load it again
            raise
    _, retries = retrying(step, iceberg_retryable())
    return retries


def iceberg_first(req):
    table = iceberg_catalog(req).load_table('bench.t')
    first = min(table.metadata.snapshots, key=lambda s: s.sequence_number)
    return table.scan(snapshot_id=first.snapshot_id).to_arrow()


def iceberg_current(req):
    table = iceberg_catalog(req).load_table('bench.t')
    if req.get('ref'):
        return table.scan(snapshot_id=table.metadata.refs[req['ref']].snapshot_id).to_arrow()
    return table.scan().to_arrow()


def iceberg_branch(req):
    table = iceberg_catalog(req).load_table('bench.t')
    table.manage_snapshots().create_branch(table.current_snapshot().snapshot_id, req['name']).commit()


# --- DuckDB ---------------------------------------------------------------

def duck_ingest(req):
    import duckdb
    reader = 'read_csv' if req['format'] == 'csv' else 'read_parquet'
    out = f"{req['dir']}/part-0.parquet"
    duckdb.connect().execute(f"COPY (SELECT * FROM {reader}({sql_string(req['source'])})) TO {sql_string(out)} (FORMAT parquet, COMPRESSION zstd)")


def duck_first(req):
    import duckdb
    return duckdb.connect().execute(f"SELECT * FROM read_parquet({sql_string(req['dir'] + '/part-0.parquet')})").to_arrow_table()


def duck_first_to_file(req):
    import duckdb
    src = sql_string(req['dir'] + '/part-0.parquet')
    duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet({src})) TO {sql_string(req['out'])} (FORMAT parquet, COMPRESSION zstd)")


def duck_current(req):
    import duckdb
    if req.get('ref'):
        raise SystemExit('DuckDB has no branches')
    return duckdb.connect().execute(f"SELECT * FROM read_parquet({sql_string(req['dir'] + '/*.parquet')})").to_arrow_table()


SYSTEMS = {
    'delta': {'ingest': delta_ingest, 'append': delta_append, 'first': delta_first, 'current': delta_current},
    'iceberg': {'ingest': iceberg_ingest, 'append': iceberg_append, 'first': iceberg_first, 'current': iceberg_current,
                'branch': iceberg_branch},
    'duckdb': {'ingest': duck_ingest, 'first': duck_first, 'first-to-file': duck_first_to_file, 'current': duck_current},
}


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000, value


def run(req):
    op, system = req['op'], req.get('system')
    if op == 'probe':
        import deltalake
        import duckdb
        import pyarrow
        import pyiceberg
        return {'versions': {'deltalake': deltalake.__version__, 'pyiceberg': pyiceberg.__version__,
                             'duckdb': duckdb.__version__, 'pyarrow': pyarrow.__version__,
                             'python': sys.version.split()[0]}}
    load(system)
    steps = SYSTEMS[system]
    if op in ('ingest', 'branch'):
        if op not in steps:
            raise SystemExit(f'{system} has no {op}')
        ms, _ = timed(lambda: steps[op](req))
        return {'ms': [ms]}
    if op == 'append':
        times, retries = [], 0
        for _ in range(req.get('count', 1)):
            ms, r = timed(lambda: steps['append'](req))
            times.append(ms)
            retries += r
        return {'ms': times, 'retries': retries}
    if op == 'read':
        # The time-travel read of the table's first version (the ingest), to Arrow or to a zstd Parquet file.
        if req['to'] == 'arrow':
            ms, table = timed(lambda: steps['first'](req))
            return {'ms': [ms], 'stats': stats_of(table)}
        if 'first-to-file' in steps:
            ms, _ = timed(lambda: steps['first-to-file'](req))
        else:
            import pyarrow.parquet
            ms, _ = timed(lambda: pyarrow.parquet.write_table(steps['first'](req), req['out'], compression='zstd'))
        return {'ms': [ms]}
    if op == 'stats':
        return {'stats': stats_of(steps['current'](req))}
    raise SystemExit(f'unknown op {op!r}')


if __name__ == '__main__':
    print(json.dumps(run(json.loads(sys.argv[1]))))
