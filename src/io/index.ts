/**
 * The data plane: ingest of CSV / NDJSON / Parquet / Arrow into Parquet data
 * files with field ids, partitions and column statistics; scans with
 * projection, predicates and limits; copy-on-write rewrites of data files
 * without the rows a delete, overwrite --where or upsert drops. DuckDB and
 * parquet-wasm load lazily.
 */
export { createDataEngine } from './engine.js'
export { detectFormat } from './detect-format.js'
export type * from './types.js'
