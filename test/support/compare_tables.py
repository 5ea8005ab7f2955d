"""Compares dv's output with the source it came from, read by pyarrow (the independent reader of the tests).

    python compare_tables.py < pairs.json

stdin: a JSON list of {"name", "expected", "actual", "format"?, "limit"?, "units"?}: `expected` is a Parquet file;
`actual` is a file in `format`: parquet (the default), arrow (an IPC stream), csv, ndjson or json (an array of rows);
`limit` compares with the first `limit` rows of `expected`; `units` maps a column to the timestamp unit ("us", "ns")
`actual` must have it in. stdout: a JSON list of {"name", "ok", "problem"?}.

Values must be equal, not just alike: the same number for integers and decimals of any width, floats bit for bit
(NaN equals NaN), the same instant for timestamps (a cast that would drop digits fails), zone-less stays
zone-less. Columns are brought to one type first (int8 and int64 hold the same values), vectorised, so a large
output compares in well under a second. Text formats hold no types: their columns are parsed as the expected
column's type from DuckDB's text forms (`2026-01-02 10:00:00.5+00`, `nan`, JSON's bare NaN and Infinity); binary
is not compared there (DuckDB escapes it).
"""
import decimal
import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq


def canonical_type(t):
    """The one type both sides of a column are cast to before comparing."""
    if pa.types.is_dictionary(t):
        return canonical_type(t.value_type)
    if pa.types.is_integer(t):
        return pa.int64() if not (pa.types.is_uint64(t)) else pa.uint64()
    if pa.types.is_floating(t):
        return pa.float64()
    if pa.types.is_decimal(t):
        return pa.decimal128(38, t.scale)
    if pa.types.is_timestamp(t):
        return pa.timestamp('us', tz='UTC' if t.tz is not None else None)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
        return pa.binary()
    return t


def parse_text_column(values, t):
    """A column of a text format (CSV strings, or JSON values) as Arrow type `t`'s canonical type."""
    target = canonical_type(t)
    if all(v is None or isinstance(v, str) for v in values):
        return pa.array(values, pa.string()).cast(pa.date32() if pa.types.is_date(t) else target)
    if pa.types.is_floating(t):
        return pa.array([None if v is None else float(v) for v in values], target)
    if pa.types.is_decimal(t):
        return pa.array([None if v is None else decimal.Decimal(str(v)) for v in values], target)
    return pa.array(values, target)


def read_actual(path, fmt, schema):
    if fmt == 'parquet':
        return pq.read_table(path)
    if fmt == 'arrow':
        with open(path, 'rb') as f:
            return ipc.open_stream(f).read_all()
    if fmt == 'csv':
        text = pa.string()
        table = pcsv.read_csv(path, parse_options=pcsv.ParseOptions(newlines_in_values=True),
                              convert_options=pcsv.ConvertOptions(column_types={f.name: text for f in schema}, strings_can_be_null=True, null_values=[''],
                                                                  quoted_strings_can_be_null=False))
        columns = {name: table.column(name).to_pylist() for name in table.column_names}
    else:
        with open(path, 'rb') as f:
            data = f.read().decode('utf-8')
        # one decoder for every line: json.loads(line, **options) builds a new one per call (most of the time of a large NDJSON output)
        decoder = json.JSONDecoder(parse_float=decimal.Decimal, parse_constant=float)
        rows = decoder.decode(data) if fmt == 'json' else [decoder.decode(line) for line in data.splitlines() if line]
        names = list(rows[0].keys()) if rows else [f.name for f in schema]
        columns = {name: [r.get(name) for r in rows] for name in names}
    types = {f.name: f.type for f in schema}
    return pa.table({name: parse_text_column(values, types[name]) if name in types else pa.array(values) for name, values in columns.items()})


def first_difference(a, b):
    """The index of the first row where columns a and b (same canonical type) differ, or None."""
    same_nulls = np.asarray(pc.equal(a.is_null(), b.is_null()))
    if pa.types.is_floating(a.type):
        x = np.asarray(a.fill_null(0.0), dtype='float64')
        y = np.asarray(b.fill_null(0.0), dtype='float64')
        same = (x.view('int64') == y.view('int64')) | (np.isnan(x) & np.isnan(y))
    else:
        same = np.asarray(pc.fill_null(pc.equal(a, b), True))
    ok = same_nulls & same
    return None if ok.all() else int(np.argmin(ok))


def compare(pair):
    expected = pq.read_table(pair['expected'])
    if 'limit' in pair:
        expected = expected.slice(0, pair['limit'])
    fmt = pair.get('format', 'parquet')
    actual = read_actual(pair['actual'], fmt, expected.schema)
    if fmt in ('csv', 'ndjson', 'json'):
        text = [f.name for f in expected.schema if not pa.types.is_binary(f.type)]
        expected, actual = expected.select(text), actual.select([n for n in actual.column_names if n in text or n not in expected.column_names])
    if actual.column_names != expected.column_names:
        return f'columns {actual.column_names} != expected {expected.column_names}'
    if actual.num_rows != expected.num_rows:
        return f'{actual.num_rows} rows != expected {expected.num_rows}'
    for field in expected.schema:
        target = canonical_type(field.type)
        got = actual.schema.field(field.name).type
        if pa.types.is_timestamp(field.type) and (not pa.types.is_timestamp(got) or (got.tz is None) != (field.type.tz is None)):
            return f'column {field.name!r} is {got}, expected {field.type}: a timestamp with a zone and one without are different types'
        unit = pair.get('units', {}).get(field.name)
        if unit and getattr(got, 'unit', None) != unit:
            return f'column {field.name!r} is {got}, expected a timestamp in {unit}'
        if pa.types.is_timestamp(target) and 'ns' in (field.type.unit, getattr(got, 'unit', None)):
            target = pa.timestamp('ns', tz=target.tz)  # compare every nanosecond digit
        a = expected.column(field.name).combine_chunks()
        b = actual.column(field.name).combine_chunks()
        try:
            a, b = a.cast(target), b.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            return f'column {field.name!r} ({actual.schema.field(field.name).type}) is not comparable with {field.type}: {e}'
        row = first_difference(a, b)
        if row is not None:
            return f'column {field.name!r} row {row}: {b[row].as_py()!r} != expected {a[row].as_py()!r}'
    return None


results = []
for pair in json.load(sys.stdin):
    try:
        problem = compare(pair)
    except Exception as e:  # an unreadable output fails its comparison, not the whole batch
        problem = f'{type(e).__name__}: {e}'
    results.append({'name': pair['name'], 'ok': problem is None, **({'problem': problem} if problem else {})})
json.dump(results, sys.stdout)
