/**
 * The DuckDB table function that reads an ingest file, and the columns it
 * yields. The CSV dialect is fixed, never sniffed (RFC 4180 by default: ','
 * or TAB for .tsv, '"' quotes, a header row, strict mode; or the table's
 * CSV properties and the write's options), so a ragged row is an error, never
 * a silent re-sniff into one wide column. Column types come from the table's
 * schema where it names the column (describe-input.ts); otherwise they are
 * detected from a sample: `2026-01-02 10:00:00` is TIMESTAMP (dv
 * `timestamp`); a value with an offset or `Z` is TIMESTAMP WITH TIME ZONE
 * (dv `timestamptz`, converted to UTC); `12.30` is DOUBLE.
 */
import { DvError } from '../errors.js'
import type { CsvOptions, InputColumn, InputFormat } from './types.js'
import { findRaggedRecord } from './csv-check.js'
import { Duck, quoteLiteral, toDvError } from './duck.js'
import { isNestedDuckType } from './duck-nested.js'
import type { DuckDBType } from '@duckdb/node-api'
import { explainLimitError } from './limits.js'
import { compressionOf } from './whole-input.js'
import { findTextDamage } from './text-damage.js'

export interface ReadableFile {
  /** Name for messages. */
  name: string
  path: string
  /** 'arrow' input is always spooled to Parquet first. */
  format: Exclude<InputFormat, 'arrow'>
  /** NDJSON: the largest record to read (DuckDB maximum_object_size); CSV: the longest line (max_line_size). Default: DuckDB's. */
  maxRecordBytes?: number
  /** Detect CSV/NDJSON column types from every row instead of the first 20,480 (after a sample missed a key or a type). */
  sampleWholeFile?: boolean
  /** CSV only: the dialect and value formats. */
  csv?: CsvOptions
  /** CSV without a header row: the column names, in order. */
  names?: string[]
  /** Parquet spooled from nanosecond instants: the TIMESTAMP_NS columns that hold UTC readings (utc-nanos.ts). */
  utcNanos?: string[]
}

export interface DuckColumn extends InputColumn {
  duckType: string
  /** True when the type was set (from the table's schema or by lossless inference), not sniffed: text readers must be told it. */
  typed?: boolean
}

/** The 1-based line of the 1-based `record` the engine read: a CSV header is a line before the first. */
export function lineOf(file: ReadableFile, record: number): number {
  return file.format === 'csv' && file.csv?.header !== false ? record + 1 : record
}

/** The field delimiter of a CSV file: the option, else TAB for .tsv, else ','. */
export function csvDelimiter(file: ReadableFile): string {
  return file.csv?.delimiter ?? (/\.tsv(\.(gz|zst))?$/i.test(file.path) ? '\t' : ',')
}

/** The read_csv arguments of the file's dialect and line limit (everything but the path, the sample and the types). */
export function csvDialectSql(file: ReadableFile): string {
  const csv = file.csv ?? {}
  const quote = csv.quote ?? '"'
  const args = [
    `delim=${quoteLiteral(csvDelimiter(file))}`,
    `quote=${quoteLiteral(quote)}`,
    `escape=${quoteLiteral(csv.escape ?? quote)}`,
    `header=${csv.header === false ? 'false' : 'true'}`,
    'skip=0',
    'strict_mode=true',
    `compression=${quoteLiteral(csv.compression ?? 'auto')}`,
  ]
  // the empty unquoted field stays null; the null string is one more spelling of it
  if (csv.nullString !== undefined) args.push(`nullstr=[${quoteLiteral(csv.nullString)}, '']`)
  if (csv.dateFormat !== undefined) args.push(`dateformat=${quoteLiteral(csv.dateFormat)}`)
  if (csv.timestampFormat !== undefined) args.push(`timestampformat=${quoteLiteral(csv.timestampFormat)}`)
  if (csv.header === false && file.names) args.push(`names=[${file.names.map(quoteLiteral).join(', ')}]`)
  // every read of the file needs it, the header's too: a long line anywhere in the first buffer fails the read
  if (file.maxRecordBytes !== undefined) args.push(`max_line_size=${file.maxRecordBytes}`)
  return args.join(', ')
}

/**
 * `read_*(...)` for `file`. `overrides` reads some columns as another DuckDB
 * type; for NDJSON, `columns` (when given) fixes every column's type.
 */
export function readerSql(file: ReadableFile, columns?: DuckColumn[], overrides: Record<string, string> = {}): string {
  const path = quoteLiteral(file.path)
  const sample = file.sampleWholeFile ? ', sample_size=-1' : ''
  switch (file.format) {
    case 'csv': {
      const typed = { ...Object.fromEntries((columns ?? []).filter((c) => c.typed).map((c) => [c.name, c.duckType])), ...overrides }
      const names = Object.keys(typed)
      const types = names.length ? `, types={${names.map((n) => `${quoteLiteral(n)}: ${quoteLiteral(typed[n])}`).join(', ')}}` : ''
      return `read_csv(${path}, ${csvDialectSql(file)}${sample}${types})`
    }
    case 'ndjson': {
      const options = `format='auto'${file.maxRecordBytes === undefined ? '' : `, maximum_object_size=${file.maxRecordBytes}`}${sample}`
      // Only a type dv sets needs `columns`: given it, DuckDB drops keys it does not name, while auto-detection
      // fails on a key its sample missed (write-parquet.ts sampleMiss), which the write answers by reading it all.
      if (!columns?.some((c) => c.typed || overrides[c.name] !== undefined)) return `read_json(${path}, ${options})`
      const all = columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(overrides[c.name] ?? c.duckType)}`)
      return `read_json(${path}, ${options}, columns={${all.join(', ')}})`
    }
    case 'parquet':
      return `read_parquet(${path})`
  }
}

/** The column names and DuckDB types of `reader`, not yet mapped to dv types; nested ones with their structured type. */
export async function describeRaw(duck: Duck, file: ReadableFile, reader: string): Promise<Array<Omit<DuckColumn, 'type'> & { structured?: DuckDBType }>> {
  let rows
  try {
    rows = await duck.all(`DESCRIBE SELECT * FROM ${reader}`)
  } catch (e) {
    throw await explainReadError(e, file)
  }
  // Nested columns are mapped from DuckDB's structured types, not by parsing their text.
  const structured = rows.some((r) => isNestedDuckType(String(r.column_type)))
    ? new Map((await duck.columnTypes(`SELECT * FROM ${reader}`)).map((c) => [c.name, c.type]))
    : undefined
  return rows.map((r) => {
    const name = String(r.column_name)
    const duckType = String(r.column_type)
    const nested = isNestedDuckType(duckType) ? structured?.get(name) : undefined
    return { name, duckType, nullable: r.null !== 'NO', ...(nested ? { structured: nested } : {}) }
  })
}

/**
 * The engine's failure on damaged CSV or NDJSON (bytes that are not UTF-8, a
 * quote never closed, a line that is not JSON) in dv's words, naming the line
 * dv found by reading the file itself; undefined for any other failure.
 */
export async function explainTextDamage(e: unknown, file: ReadableFile): Promise<DvError | undefined> {
  if (file.format !== 'csv' && file.format !== 'ndjson') return undefined
  const text = e instanceof Error ? e.message : String(e)
  if (!/^Invalid Input Error: (Error when sniffing file|CSV Error on Line|Malformed JSON)/.test(text)) return undefined
  const damage = await findTextDamage(file).catch(() => undefined)
  if (!damage) return undefined
  return new DvError('INVALID_ARGUMENT', `${file.name} line ${damage.line}: ${damage.what}`, {
    cause: e,
    hint: `${damage.hint}; nothing was written`,
    details: { file: file.name, line: damage.line, ...(damage.byte === undefined ? {} : { byte: damage.byte }) },
  })
}

/** Turns a DuckDB read failure into INVALID_ARGUMENT naming the file and, when known, the line. */
export async function explainReadError(e: unknown, file: ReadableFile): Promise<DvError> {
  const text = e instanceof Error ? e.message : String(e)
  const limit = explainLimitError(e, file.name)
  if (limit) return limit
  const damaged = await explainTextDamage(e, file)
  if (damaged) return damaged
  if (file.format === 'csv' && /sniffing file|Expected Number of Columns/.test(text)) {
    const ragged = compressionOf(file) !== undefined ? undefined : await findRaggedRecord(file.path, csvDelimiter(file)).catch(() => undefined)
    if (ragged) {
      return new DvError('INVALID_ARGUMENT', `${file.name} line ${ragged.line}: expected ${ragged.expected} fields (as in the header) but found ${ragged.found}`, {
        cause: e,
        hint: 'fix the row (quote values that contain commas) or remove it, then retry',
        details: { file: file.name, line: ragged.line },
      })
    }
  }
  if (/^IO Error: No files found/.test(text)) return new DvError('NOT_FOUND', `${file.name} does not exist`, { cause: e, details: { file: file.name } })
  return toDvError(e, `cannot read ${file.name} as ${file.format}`, {
    hint: file.format === 'csv' ? 'the file must be UTF-8 CSV with a header row; set another dialect with --delimiter, --quote, --escape, --no-header' : undefined,
    details: { file: file.name },
  })
}

