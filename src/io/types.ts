/**
 * The data plane contract: the table layer hands the io layer sources and
 * target schemas, and gets back Parquet files (not yet in the object store)
 * with the facts a manifest needs. Engines (DuckDB, parquet-wasm) live only
 * under src/io and are imported lazily so metadata-only commands never load them.
 */
import type { Readable, Writable } from 'node:stream'
import type { RecordBatch, Table as ArrowTable } from 'apache-arrow'
import type { ColumnInfo, PartitionField, PrimitiveType, Schema, Value } from '../format/types.js'

export type InputFormat = 'csv' | 'ndjson' | 'parquet' | 'arrow'
/** 'json' is one JSON array of row objects (what `dv cat --json` prints). */
export type OutputFormat = 'csv' | 'ndjson' | 'json' | 'parquet' | 'arrow'

/** What a write reads from: a file path, '-' for stdin, a byte stream, or Arrow data. */
export type Source = string | Readable | ArrowTable | AsyncIterable<RecordBatch>

/** A column as found in the input, before field ids are assigned. */
export interface InputColumn {
  name: string
  type: PrimitiveType
  nullable: boolean
}

/**
 * A source opened for ingest: its columns are known; it can be written once.
 * Sources that can only be read once (stdin, streams, async iterables) are
 * spooled to a temporary file by `openSource`.
 */
export interface OpenedSource {
  /** Human-readable name for messages (file path, '<stdin>', '<arrow>'). */
  readonly name: string
  readonly format: InputFormat
  readonly columns: InputColumn[]
  /** Size of the input in bytes when known. */
  readonly bytes: number | undefined
  /** SHA-256 (hex) of the input bytes as read (the request fingerprint). */
  fingerprint(): Promise<string>
  /**
   * Writes the input as Parquet files under `outDir` conforming to `schema`
   * (columns matched by name; missing optional columns become null; types are
   * cast when the cast is lossless, else INVALID_ARGUMENT naming the column),
   * with Parquet field ids from `schema`, split by `partitionSpec` (one or more
   * files per partition). Bounded memory whatever the input size.
   */
  writeParquet(options: WriteParquetOptions): Promise<WrittenFile[]>
  close(): Promise<void>
}

export interface WriteParquetOptions {
  schema: Schema
  partitionSpec: PartitionField[]
  outDir: string
  /** Roughly the largest file to write before starting another. */
  targetFileBytes?: number
  onProgress?: (p: { rows: number; bytesRead?: number }) => void
}

export interface WrittenFile {
  /** Local path of the Parquet file. */
  path: string
  /**
   * True when the io layer created the file (the caller deletes it after
   * publishing); false when it is the user's own input file stored as-is.
   */
  temporary: boolean
  rows: number
  bytes: number
  /** Keyed by partition field id (decimal string). */
  partition: Record<string, Value>
  /** Keyed by field id (decimal string), for every column in the file. */
  columns: Record<string, ColumnInfo>
}

export interface OpenSourceOptions {
  format?: InputFormat
  /** Directory for spooled input and temporary files. */
  tmpDir: string
}

/** A data file to scan: where its bytes are and how its columns map to field ids. */
export interface ScanFile {
  path: string
  rows: number
  columns: Record<string, ColumnInfo>
}

export interface ScanRequest {
  files: ScanFile[]
  /** The table schema at the scanned snapshot (output columns in this order). */
  schema: Schema
  /** Subset of column names, in the requested order. */
  columns?: string[]
  /** SQL boolean expression over column names. */
  where?: string
  limit?: number
  tmpDir: string
}

/** A simple conjunct of a predicate that scan planning can check against stats. */
export interface PrunablePredicate {
  column: string
  op: '=' | '<' | '<=' | '>' | '>=' | 'in' | 'is null' | 'is not null'
  /** Literal values in the canonical text form of the column's type (format-spec/values.md). */
  values: string[]
}

export interface DataEngine {
  openSource(source: Source, options: OpenSourceOptions): Promise<OpenedSource>
  /**
   * Validates `where` against the schema (unknown columns and syntax errors are
   * INVALID_ARGUMENT naming the problem) and returns the top-level AND-ed
   * conjuncts of the simple form `column op literal` that pruning can use.
   */
  analyzePredicate(where: string, schema: Schema): Promise<PrunablePredicate[]>
  /** Streams the scan result to `out` in `format`. Returns the row count written. */
  scanTo(request: ScanRequest, format: OutputFormat, out: Writable): Promise<number>
  /** Yields the scan result as Arrow record batches (bounded memory). */
  scanBatches(request: ScanRequest): AsyncIterable<RecordBatch>
  close(): Promise<void>
}
