"""Reads dv's Iceberg exports with PyIceberg and compares every snapshot with what `dv cat` gave.

    python read_iceberg.py < jobs.json

stdin: a JSON list of jobs {"name", "metadata", "checks": [...]}: `metadata` is the URI of a metadata file,
opened with StaticTable.from_metadata with the job's "properties" (e.g. an S3 endpoint), or, with "catalog": {"uri", "namespace", "table"}, loaded from a
SQL catalog). Each check is {"snapshot": Iceberg snapshot id (string) or null for the current one, or
"ref": a ref name, "filter": an optional PyIceberg row filter, "expected": a Parquet file written by
`dv cat --format parquet`}. Rows are compared as multisets of plain values (structs as dicts, maps as
sorted [key, value] lists), column names in order. stdout: a JSON list of {"name", "ok", "problem"?} per
check, plus one {"name": "<job>:info", "info": {...}} per job with the snapshot ids, refs and
schema of the table as PyIceberg sees it.
"""
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq
from pyiceberg.table import StaticTable


def plain(v, t):
    if v is None:
        return None
    if pa.types.is_struct(t):
        return {f.name: plain(v[f.name], f.type) for f in t}
    if pa.types.is_map(t):
        items = v.items() if isinstance(v, dict) else v
        return sorted([[k, plain(x, t.item_type)] for k, x in items], key=lambda kv: repr(kv[0]))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return [plain(x, t.value_type) for x in v]
    if isinstance(v, bytes):
        return v.hex()
    if hasattr(v, 'isoformat'):
        return v.isoformat()
    return v


def rows(table):
    table = table.combine_chunks()
    out = []
    for r in table.to_pylist():
        out.append(json.dumps({f.name: plain(r[f.name], f.type) for f in table.schema}, sort_keys=True, default=str))
    return sorted(out)


def load(job):
    if 'catalog' in job:
        from pyiceberg.catalog.sql import SqlCatalog
        c = job['catalog']
        catalog = SqlCatalog(c['name'], uri=c['uri'], warehouse=c.get('warehouse', 'file:///nonexistent'))
        return catalog.load_table((c['namespace'], c['table']))
    return StaticTable.from_metadata(job['metadata'], properties=job.get('properties', {}))


def main():
    results = []
    for job in json.load(sys.stdin):
        try:
            table = load(job)
        except Exception as e:  # noqa: BLE001 - reported as the job's failure
            results.append({'name': job['name'], 'ok': False, 'problem': f'cannot open: {type(e).__name__}: {e}'})
            continue
        meta = table.metadata
        results.append({'name': job['name'] + ':info', 'info': {
            'snapshots': [str(s.snapshot_id) for s in meta.snapshots],
            'current': str(meta.current_snapshot_id),
            'refs': {k: {'snapshot': str(v.snapshot_id), 'type': str(v.snapshot_ref_type)} for k, v in meta.refs.items()},
            'schema': str(table.schema()),
            'name_mapping': meta.properties.get('schema.name-mapping.default') is not None,
        }})
        for i, check in enumerate(job['checks']):
            name = f"{job['name']}#{i}"
            try:
                snapshot = check.get('snapshot')
                if 'ref' in check:
                    snapshot = str(meta.refs[check['ref']].snapshot_id)
                kwargs = {}
                if snapshot is not None:
                    kwargs['snapshot_id'] = int(snapshot)
                if check.get('filter'):
                    kwargs['row_filter'] = check['filter']
                got = table.scan(**kwargs).to_arrow()
                expected = pq.read_table(check['expected'])
                if got.column_names != expected.column_names:
                    raise ValueError(f'columns {got.column_names}, expected {expected.column_names}')
                a, b = rows(got), rows(expected)
                if a != b:
                    missing = [r for r in b if r not in a][:3]
                    extra = [r for r in a if r not in b][:3]
                    raise ValueError(f'{len(a)} rows, expected {len(b)}; missing {missing}; unexpected {extra}')
                results.append({'name': name, 'ok': True})
            except Exception as e:  # noqa: BLE001 - reported per check
                results.append({'name': name, 'ok': False, 'problem': f'{type(e).__name__}: {e}'})
    json.dump(results, sys.stdout)


main()
