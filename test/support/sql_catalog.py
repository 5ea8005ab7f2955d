"""PyIceberg's SqlCatalog on a SQLite file, for test/interop/sql-catalog.test.ts.

    python sql_catalog.py < request.json

stdin: {"op", "uri" (sqlite:///PATH), "name" (the catalog name), "warehouse", ...}. Ops:
- "create-namespace" {"namespace"}: creates the catalog's tables (as SqlCatalog does on open) and the namespace.
- "scan" {"namespace", "table"}: loads the table and scans it; stdout {"rows": [...] sorted, "sums": {column: sum},
  "count", "current": the current snapshot id (string), "snapshots": [ids], "metadata_location", "tables": [...]}.
- "append" {"namespace", "table", "rows": [{...}]}: appends the rows through the catalog (a commit of PyIceberg's
  own, which moves the catalog's pointer to a metadata file PyIceberg names).
"""
import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog.sql import SqlCatalog


def main():
    req = json.load(sys.stdin)
    catalog = SqlCatalog(req['name'], uri=req['uri'], warehouse=req.get('warehouse', 'file:///nonexistent'))
    op = req['op']
    if op == 'create-namespace':
        catalog.create_namespace(req['namespace'])
        json.dump({'namespaces': [list(n) for n in catalog.list_namespaces()]}, sys.stdout)
        return
    table = catalog.load_table((req['namespace'], req['table']))
    if op == 'scan':
        data = table.scan().to_arrow()
        sums = {f.name: pc.sum(data[f.name]).as_py() for f in data.schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)}
        rows = sorted(data.to_pylist(), key=lambda r: json.dumps(r, sort_keys=True, default=str))
        json.dump({
            'rows': rows, 'sums': sums, 'count': data.num_rows,
            'current': str(table.metadata.current_snapshot_id),
            'snapshots': [str(s.snapshot_id) for s in table.metadata.snapshots],
            'metadata_location': table.metadata_location,
            'tables': [list(t) for t in catalog.list_tables(req['namespace'])],
        }, sys.stdout, default=str)
    elif op == 'append':
        schema = table.schema().as_arrow()
        table.append(pa.Table.from_pylist(req['rows'], schema=schema))
        json.dump({'metadata_location': catalog.load_table((req['namespace'], req['table'])).metadata_location}, sys.stdout)
    else:
        raise SystemExit(f'unknown op {op}')


main()
