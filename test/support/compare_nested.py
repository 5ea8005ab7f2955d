"""Compares dv's output of a nested table with the Parquet file it came from, read by pyarrow.

    python compare_nested.py < pairs.json

stdin: a JSON list of {"name", "expected", "actual", "format"}: `expected` is a Parquet file; `actual` is dv's
output in `format`: parquet, arrow (an IPC stream), csv (nested cells are JSON text), ndjson or json. Values are
brought to one plain form first and must be equal: structs as dicts by field name, lists as lists, maps as
lists of [key, value] sorted by key (JSON output writes them as objects), integers exactly, floats bit for bit,
so a reordered, renamed, truncated or mistyped value fails. Column order and names must match. stdout: a JSON
list of {"name", "ok", "problem"?}.
"""
import json
import sys

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq


def norm(v, t):
    """The plain form of value `v` of Arrow type `t`, however the output spelled it."""
    if v is None:
        return None
    if pa.types.is_struct(t):
        if not isinstance(v, dict):
            raise ValueError(f'expected an object for {t}, got {v!r}')
        if set(v) != {f.name for f in t}:
            raise ValueError(f'fields {sorted(v)} but {t} has {[f.name for f in t]}')
        return {f.name: norm(v[f.name], f.type) for f in t}
    if pa.types.is_map(t):
        items = list(v.items()) if isinstance(v, dict) else [tuple(e.values()) if isinstance(e, dict) else tuple(e) for e in v]
        return sorted([[str(k), norm(x, t.item_type)] for k, x in items], key=lambda kv: kv[0])
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return [norm(x, t.value_type) for x in v]
    if pa.types.is_integer(t):
        if isinstance(v, bool) or int(v) != v:
            raise ValueError(f'not an integer: {v!r}')
        return int(v)
    if pa.types.is_floating(t):
        return float(v).hex()
    if pa.types.is_boolean(t):
        if isinstance(v, str):
            return {'true': True, 'false': False}[v]
        return bool(v)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        if not isinstance(v, str):
            raise ValueError(f'not a string: {v!r}')
        return v
    return v


def rows_of(table):
    return table.to_pylist()


def cell(text, t):
    """A CSV cell: NULL, or nested values as JSON text, numbers and booleans as their text."""
    if text is None:
        return None
    if pa.types.is_nested(t):
        return json.loads(text)
    if pa.types.is_integer(t):
        return int(text)
    if pa.types.is_floating(t):
        return float(text)
    return text


def read_actual(path, fmt, schema):
    if fmt == 'parquet':
        return pq.read_table(path).to_pylist(), pq.read_schema(path).names
    if fmt == 'arrow':
        with open(path, 'rb') as f:
            table = ipc.open_stream(f).read_all()
        return table.to_pylist(), table.column_names
    with open(path, encoding='utf-8', newline='') as f:
        data = f.read()
    if fmt == 'csv':
        # every column as text; an unquoted empty cell is NULL, a quoted one the empty string
        table = pcsv.read_csv(path, parse_options=pcsv.ParseOptions(newlines_in_values=True),
                              convert_options=pcsv.ConvertOptions(column_types={f.name: pa.string() for f in schema}, strings_can_be_null=True,
                                                                  null_values=[''], quoted_strings_can_be_null=False))
        types = {f.name: f.type for f in schema}
        columns = {n: table.column(n).to_pylist() for n in table.column_names}
        return [{n: cell(columns[n][i], types[n]) for n in table.column_names} for i in range(table.num_rows)], table.column_names
    rows = json.loads(data) if fmt == 'json' else [json.loads(line) for line in data.splitlines() if line]
    return rows, list(rows[0].keys()) if rows else [f.name for f in schema]


def compare(pair):
    expected = pq.read_table(pair['expected'])
    schema = expected.schema
    actual, names = read_actual(pair['actual'], pair['format'], schema)
    if names != schema.names:
        return f'columns {names} but expected {schema.names}'
    want = rows_of(expected)
    if len(actual) != len(want):
        return f'{len(actual)} rows but expected {len(want)}'
    for i, (a, w) in enumerate(zip(actual, want)):
        for f in schema:
            try:
                got = norm(a.get(f.name), f.type)
            except (ValueError, KeyError, TypeError) as e:
                return f'row {i} column {f.name}: {e}'
            if got != norm(w[f.name], f.type):
                return f'row {i} column {f.name}: {a.get(f.name)!r} but expected {w[f.name]!r}'
    return None


results = []
for pair in json.load(sys.stdin):
    try:
        problem = compare(pair)
    except Exception as e:  # a file that does not parse is a failed comparison, named
        problem = f'{type(e).__name__}: {e}'
    results.append({'name': pair['name'], 'ok': problem is None, **({'problem': problem} if problem else {})})
json.dump(results, sys.stdout)
