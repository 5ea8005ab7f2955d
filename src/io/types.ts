/**
 * The data plane contract: the table layer hands the io layer sources and
 * target schemas, and gets back Parquet files (not yet in the object store)
 * with the facts a manifest needs. Engines (DuckDB, parquet-wasm) live only
 * under src/io and are imported lazily so metadata-only commands never load them.
 *
 * User text is never SQL: every `where` below is the user's predicate text,
 * which the engine parses as one expression, checks against an allow-list
 * (columns of the schema, constants, operators, pure functions) and renders
 * itself, then evaluates in the sandbox (src/io/sandbox.ts): a DuckDB
 * instance with external access off and its configuration locked, which may
 * read only the engine's tmpDir and the store's object files.
 */
import type { Readable, Writable } from 'node:stream'
import type { RecordBatch, Table as ArrowTable } from 'apache-arrow'
import type { ColumnInfo, PartitionField, Schema, Type, Value } from '../format/types.js'

export type InputFormat = 'csv' | 'ndjson' | 'parquet' | 'arrow'
/** 'json' is one JSON array of row objects (what `dv cat --json` prints). */
export type OutputFormat = 'csv' | 'ndjson' | 'json' | 'parquet' | 'arrow'

/** What a write reads from: a file path, '-' for stdin, a byte stream, or Arrow data. */
export type Source = string | Readable | ArrowTable | AsyncIterable<RecordBatch>

/** A column as found in the input, before field ids are assigned (nested types carry ids 0). */
export interface InputColumn {
  name: string
  type: Type
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
  /**
   * CSV input only: how it was read, the options given plus the date and
   * timestamp formats inference decided (a new table keeps them as properties).
   */
  readonly csv?: CsvOptions
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
  /**
   * Validates upsert keys: the columns exist in the input, hold no nulls, and
   * no key occurs twice in the input (else INVALID_ARGUMENT naming the column
   * or an example key). With `schema`, key values are compared after the cast
   * to the table's types (as the rewrite compares them); without it, as read.
   * `hint` replaces the upsert-specific hint of a repeated key (a keyed
   * table's append says why instead).
   */
  checkKeys(columns: string[], schema?: Schema, hint?: string): Promise<void>
  /**
   * Text inputs (CSV, NDJSON) learn their columns from the first rows. When a
   * write fails with `details.sampleMiss` (a later row has a key or a value
   * the sample did not), this learns them again from every row and returns
   * true; false when there is nothing more to learn (already done, or a
   * typed input). `columns` changes accordingly.
   */
  sampleWholeFile(): Promise<boolean>
  close(): Promise<void>
}

export interface WriteParquetOptions {
  schema: Schema
  partitionSpec: PartitionField[]
  outDir: string
  /** Roughly the largest file to write before starting another. */
  targetFileBytes?: number
  onProgress?: (p: { rows: number; rowsEstimated?: boolean; bytesRead?: number }) => void
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
  /** Bytes of a stream (stdin) spooled so far, as they arrive. */
  onBytes?: (bytes: number) => void
  /**
   * The table's schema (or a new table's --schema): CSV and NDJSON columns
   * that it names are read as its types, not inferred (an all-null column
   * takes the table's type). Other columns are inferred losslessly.
   */
  schema?: Schema
  /** How CSV input is read (the table's properties overridden by the write's options). */
  csv?: CsvOptions
}

/**
 * How a CSV file is read (format-spec/table-metadata.md#csv-properties).
 * Absent fields take the defaults: ',' (TAB for .tsv), '"' quoting and
 * escaping, a header row, no null string but the empty field, ISO dates and
 * timestamps, compression from the extension (.gz, .zst).
 */
export interface CsvOptions {
  delimiter?: string
  quote?: string
  escape?: string
  header?: boolean
  /** The text that means null (besides the empty unquoted field). */
  nullString?: string
  /** strftime-style format of date columns, e.g. '%d/%m/%Y'. */
  dateFormat?: string
  /** strftime-style format of timestamp columns, e.g. '%d/%m/%Y %H:%M:%S'. */
  timestampFormat?: string
  compression?: 'gzip' | 'zstd' | 'none'
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
  /** The user's predicate text (checked and rendered by the engine; see above). */
  where?: string
  limit?: number
  /** Scratch space for the scan's output: inside the engine's tmpDir. */
  tmpDir: string
  /**
   * Settles when the files' bytes have been verified against their ids. The
   * scan may read the files meanwhile, but writes nothing to its output
   * before this resolves, and fails if it rejects.
   */
  verified?: Promise<unknown>
}

/** A simple conjunct of a predicate that scan planning can check against stats. */
export interface PrunablePredicate {
  column: string
  op: '=' | '<' | '<=' | '>' | '>=' | 'in' | 'is null' | 'is not null'
  /** Literal values in the canonical text form of the column's type (format-spec/values.md). */
  values: string[]
}

/** Copy-on-write rewrite of data files without some of their rows (delete, overwrite --where, upsert). */
export interface RewriteRequest {
  /** Candidate data files, each with its object path and column mapping (as for scans). */
  files: ScanFile[]
  /** Current table schema; rewritten files are written with these field ids and names (like writeParquet). */
  schema: Schema
  partitionSpec: PartitionField[]
  outDir: string
  /**
   * Rows to drop: those matching a predicate (the user's text; NULL does
   * not match), or those whose key (all `columns` equal, after the cast to the
   * table's types) occurs in `keys.source`, which must be opened by this engine.
   */
  drop: { where: string } | { keys: { columns: string[]; source: OpenedSource } } | { keys: { columns: string[]; files: ScanFile[] } }
  targetFileBytes?: number
  /** Where DuckDB may spill (default: outDir); set once per engine, so pass a long-lived directory. */
  tmpDir?: string
}

/** A table a query reads: the name it uses (`events`, or `events@v1`) and that version's files and schema. */
export interface QueryView {
  name: string
  files: ScanFile[]
  schema: Schema
}

/** `dv query`: the user's SQL (checked by the engine, never pasted) over the views of the tables it names. */
export interface QueryRequest {
  sql: string
  views: QueryView[]
  /** Scratch space for the result: inside the engine's tmpDir. */
  tmpDir: string
  /** Settles when every view's files were verified against their ids (as ScanRequest.verified). */
  verified?: Promise<unknown>
}

/** The files of one partition to write again as few files near the target size (dv compact). */
export interface CompactRequest {
  /** The files, each with its object path and column mapping (as for scans). */
  files: ScanFile[]
  /** Current table schema: the output is written with its field ids and names. */
  schema: Schema
  partitionSpec: PartitionField[]
  outDir: string
  targetFileBytes?: number
  /** Top-level columns to order the rows by (ascending, nulls last); absent: file order. */
  sortBy?: string[]
  /** Where DuckDB may spill (default: outDir). */
  tmpDir?: string
}

export interface RewriteResult {
  /**
   * Per input file, in order: how many rows matched (were dropped), and the
   * files holding the rows kept, in their original order (empty when none
   * are kept or when matched === 0: then the caller keeps the original file).
   */
  files: Array<{ matched: number; kept: WrittenFile[] }>
}

/**
 * Quarantine (format-spec/contracts.md#quarantine): split a write's input,
 * as writeParquet wrote it, by a contract's row tests. A row fails when it
 * fails any test; `rules[i]` and `reasons[i]` label `tests[i]` in the
 * quarantine table's `_dv_rule` and `_dv_reason` lists.
 */
export interface QuarantineRequest {
  files: ScanFile[]
  /** The table's schema after the write (the input's files are written as it). */
  schema: Schema
  partitionSpec: PartitionField[]
  tests: RowTest[]
  rules: string[]
  reasons: string[]
  quarantine: {
    /** The quarantine table's schema after the write (its field ids). */
    schema: Schema
    /** `_dv_source` and `_dv_write` of every quarantined row. */
    source: string
    write: string
  }
  /** Where the kept and the quarantined files are written (inside tmpDir). */
  outDir: string
  tmpDir?: string
  targetFileBytes?: number
}

export interface QuarantineResult {
  /** Per input file, as RewriteResult: rows failing (matched) and the files of the passing rows (none when matched is 0: keep the file). */
  files: RewriteResult['files']
  /** The failing rows as the quarantine table's files (unpartitioned). */
  quarantined: WrittenFile[]
  /** Quarantined rows per rule name (a row breaking two rules counts under both). */
  byRule: Record<string, number>
}

/** What a primary-key check found: how many distinct keys, how many rows hold them, and one key as text (`id=5`, `(a=1, b='x')`). */
export interface KeyReport {
  keys: number
  rows: number
  example?: string
}

/** A data file on one side of a row-level diff, with the commit it is attributed to. */
export interface DiffFile extends ScanFile {
  /** The snapshot that added (or removed) the file, or null when no first-parent path decides it. */
  snapshot: string | null
  /** That snapshot's position on the path, oldest first from 1 (0 when null): orders the output. */
  order: number
}

/**
 * Row-level changes between two multisets of rows: the rows of `removed`
 * files and the rows of `added` files (the files only one side of a diff
 * has), each read like a scan as `schema`. Rows on both sides cancel (a
 * copy-on-write rewrite keeps the rows it did not change); what is left of
 * `removed` is deleted and of `added` inserted. With `key`, a deleted and an
 * inserted row with the same key (paired in order when a key repeats) are an
 * update: `update_before` and `update_after`. Output: the `columns` (default
 * all), then `_table` (when `table` is set), `_change` and `_snapshot`,
 * ordered by snapshot order, then by key with an update's two rows together
 * (without a key: deletes, then inserts, each by every column); `where`
 * keeps a change when its row matches (an update when either row does), and
 * `limit` applies last.
 */
export interface DiffRequest {
  removed: DiffFile[]
  added: DiffFile[]
  schema: Schema
  key?: string[]
  columns?: string[]
  where?: string
  limit?: number
  table?: string
  tmpDir: string
  /** As ScanRequest.verified: nothing is written to the output before it resolves. */
  verified?: Promise<unknown>
}

/** What a row-level diff found (after `where`, before `limit`) and how many rows it wrote. */
export interface DiffCounts {
  rows: number
  inserted: number
  deleted: number
  /** Updates: each wrote an update_before and an update_after row. */
  updated: number
}

/**
 * One row-level test of a data contract (src/table/contract/): a row fails
 * it when `column`'s value is null (notNull), outside [min, max] (range;
 * bounds are numbers or canonical value text, cast to the column's type),
 * of a length outside [min, max] (length), not matching a regular
 * expression (pattern; RE2 syntax, partial match like JSON Schema's
 * `pattern`), not one of `values` (in; compared as text), or among the
 * values that count as missing (missing: null or one of `values`). Nulls
 * fail only notNull and missing. Bounds and values are data, quoted as SQL
 * literals by the engine: never SQL.
 */
export type RowTest =
  | { kind: 'notNull'; column: string }
  | { kind: 'range'; column: string; min?: string; max?: string }
  | { kind: 'length'; column: string; min?: number; max?: number }
  | { kind: 'pattern'; column: string; regex: string }
  | { kind: 'in'; column: string; values: string[] }
  | { kind: 'missing'; column: string; values: string[] }

/** How many rows failed one RowTest, and up to `samples` of them (every column as text, null as null). */
export interface RowTestResult {
  rows: number
  samples: Array<Record<string, string | null>>
}

/**
 * A count the row pass of a contract makes besides its tests: the rows of
 * integer `column` that repeat an earlier row's value (non-null rows minus
 * distinct values), kept as one bit per value of [min, max] (the files'
 * statistics; the caller keeps the range small), so a unique rule costs no
 * grouping and no second read of the files when nothing repeats.
 */
export interface RepeatProbe {
  column: string
  /** Integer text. */
  min: string
  max: string
}

/** The row pass: each test's failing rows; each probe's repeating rows, or undefined when a value lies outside its [min, max] (statistics that do not hold). */
export interface RowCounts {
  tests: RowTestResult[]
  repeatingRows: Array<number | undefined>
}

/** Values of a column that occur more than once among `added` and `others` together, with at least one row in `added`. */
export interface RepeatedValues {
  /** Distinct repeated values. */
  values: number
  /** Up to the requested number of rows of `added` holding one (every column as text). */
  samples: Array<Record<string, string | null>>
}

export interface DataEngine {
  openSource(source: Source, options: OpenSourceOptions): Promise<OpenedSource>
  /**
   * Checks `where` against the schema (INVALID_ARGUMENT naming the problem:
   * a syntax error, a construct outside the allow-list, an unknown column, a
   * result that is not boolean) and returns the top-level AND-ed conjuncts
   * of the simple form `column op literal` that pruning can use.
   */
  analyzePredicate(where: string, schema: Schema): Promise<PrunablePredicate[]>
  /**
   * Rows of `files` (read as `schema`, like a scan) for which `where` is not
   * true (false or NULL): the overwrite --where check, run over the input as
   * writeParquet wrote it. Files outside the engine's directories (an input
   * stored as-is) are readable for this call only.
   */
  countNotMatching(files: ScanFile[], schema: Schema, where: string): Promise<number>
  /** Streams the scan result to `out` in `format`. Returns the row count written. */
  scanTo(request: ScanRequest, format: OutputFormat, out: Writable): Promise<number>
  /** Yields the scan result as Arrow record batches (bounded memory). */
  scanBatches(request: ScanRequest): AsyncIterable<RecordBatch>
  /**
   * Rewrites each candidate file without its dropped rows. A file with no
   * matching row is left alone and nothing is written for it; a file whose
   * rows all match yields no file; otherwise the kept rows are written as
   * new Parquet file(s) of the current schema, in the same partition.
   */
  rewriteFiles(request: RewriteRequest): Promise<RewriteResult>
  /**
   * Writes the rows of `files` (all of one partition) again as files near
   * the target size, ordered by `sortBy` when given: the same row multiset
   * (CORRUPT when the count read differs from the files' `rows`).
   */
  compactFiles(request: CompactRequest): Promise<WrittenFile[]>
  /**
   * The tables `sql` reads (unqualified names, CTEs excluded), after
   * checking it is one SELECT with no table function, qualified name or
   * denied function (INVALID_ARGUMENT naming the construct).
   */
  queryTables(sql: string): Promise<string[]>
  /** Runs the checked query over the views, streaming the result to `out` in `format`; returns the row count. */
  queryTo(request: QueryRequest, format: OutputFormat, out: Writable): Promise<number>
  /**
   * Reads back files about to be published (from writeParquet or
   * rewriteFiles) through the reader scans use: each file's row groups must
   * add up to its `rows`, every column chunk must use a codec and encoding
   * that reader decodes, and its first row group must read in full with the
   * footer's row count. Otherwise CORRUPT or UNSUPPORTED naming the file.
   * Reads the footer and one row group per file, never the whole file.
   */
  readBack(files: WrittenFile[]): Promise<void>
  /**
   * Keys (all of `columns`) occurring more than once in `files` read as
   * `schema` (null keys do not count): what `dv table set-key` refuses.
   */
  findDuplicateKeys(files: ScanFile[], schema: Schema, columns: string[]): Promise<KeyReport>
  /**
   * Rows of `files` whose key also occurs in `source` (opened by this engine;
   * its keys cast to the table's types, as upserts compare them): the check
   * that an append to a keyed table adds no key the table already has.
   */
  findExistingKeys(files: ScanFile[], schema: Schema, columns: string[], source: OpenedSource): Promise<KeyReport>
  /**
   * Counts the rows of `files` (read as `schema`) failing each test, in one
   * pass, in the sandbox; `samples` failing rows of each failing test.
   * INVALID_ARGUMENT when a pattern is not a valid RE2 expression.
   */
  countFailingRows(files: ScanFile[], schema: Schema, tests: RowTest[], samples: number): Promise<RowTestResult[]>
  /** countFailingRows, counting in the same pass the repeating rows of each probe (RepeatProbe). */
  countRows(files: ScanFile[], schema: Schema, tests: RowTest[], probes: RepeatProbe[], samples: number): Promise<RowCounts>
  /**
   * The uniqueness check of a contract: values of `column` repeated within
   * `added`, or also found in `others` (the rest of the table, pruned by the
   * caller by min/max), by a semi-join in the sandbox. Nulls never repeat.
   */
  findRepeatedValues(added: ScanFile[], others: ScanFile[], schema: Schema, column: string, samples: number): Promise<RepeatedValues>
  /** Rows minus distinct non-null values of `column` over `files`, counting only non-null rows (the duplicateValues metric). */
  countDuplicateValues(files: ScanFile[], schema: Schema, column: string): Promise<number>
  /**
   * Checks a contract's `type: sql` rule without running it on data: one
   * SELECT whose only table is `${object}`, no table function (so no file,
   * no other table), giving one numeric column. INVALID_ARGUMENT saying what
   * is wrong. Also checks RE2 `patterns` (the same message form).
   */
  checkContractSql(query: string, schema: Schema): Promise<void>
  /** Runs a checked `type: sql` rule with `${object}` the rows of `files`; its one number (INVALID_ARGUMENT when it gives no row, several, or null). */
  runContractSql(query: string, files: ScanFile[], schema: Schema): Promise<number>
  /** INVALID_ARGUMENT naming the problem when `regex` is not a valid RE2 expression (what DuckDB's regexp functions take). */
  checkPattern(regex: string): Promise<void>
  /** Streams the row-level diff (see DiffRequest) to `out` in `format`. */
  diffTo(request: DiffRequest, format: OutputFormat, out: Writable): Promise<DiffCounts>
  /** The row-level diff as Arrow record batches (bounded memory). */
  diffBatches(request: DiffRequest): AsyncIterable<RecordBatch>
  /** Splits a write's input into passing and quarantined rows (QuarantineRequest), in the ingest instance. */
  quarantineRows(request: QuarantineRequest): Promise<QuarantineResult>
  /**
   * Starts opening the sandbox instance without waiting for it, so that it
   * opens while the caller reads metadata; the first call that uses the
   * sandbox waits for it, and an opening that failed fails there.
   */
  startSandbox(): void
  /** Stops the statement each open instance is running (a cancelled write): its caller sees an error. */
  interrupt(): void
  close(): Promise<void>
}
