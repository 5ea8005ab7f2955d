/**
 * The data plane: ingest of CSV / NDJSON / Parquet / Arrow into Parquet data
 * files with field ids, partitions and column statistics; scans with
 * projection, predicates and limits. DuckDB and parquet-wasm load lazily.
 */
export { createDataEngine } from './engine.js'
export { detectFormat } from './detect-format.js'
export type * from './types.js'
