/**
 * The DuckDB table function that reads an ingest file, and the columns it
 * yields. CSV dialect is fixed (RFC 4180: ',' or TAB for .tsv, '"' quotes, a
 * header row, strict mode) so a ragged row is an error, never a silent
 * re-sniff into one wide column. Types are auto-detected from a sample:
 * `2026-01-02 10:00:00` is TIMESTAMP (dv `timestamp`); a value with an offset
 * or `Z` (`2026-01-02T10:00:00Z`, `...+02:00`) is TIMESTAMP WITH TIME ZONE
 * (dv `timestamptz`, converted to UTC); `12.30` is DOUBLE.
 */
import { DvError } from '../errors.js'
import type { InputColumn, InputFormat } from './types.js'
import { findRaggedRecord } from './csv-check.js'
import { Duck, quoteLiteral, toDvError } from './duck.js'
import { toPrimitiveType } from './duck-types.js'
import { isNestedDuckType, typeFromDuck } from './duck-nested.js'
import { explainLimitError } from './limits.js'

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
}

export interface DuckColumn extends InputColumn {
  duckType: string
}

/** `read_*(...)` for `file`; `overrides` reads some columns of text formats as another type. */
export function readerSql(file: ReadableFile, columns?: DuckColumn[], overrides: Record<string, string> = {}): string {
  const path = quoteLiteral(file.path)
  const names = Object.keys(overrides)
  const sample = file.sampleWholeFile ? ', sample_size=-1' : ''
  switch (file.format) {
    case 'csv': {
      const delim = /\.tsv$/i.test(file.path) ? '\t' : ','
      const types = names.length ? `, types={${names.map((n) => `${quoteLiteral(n)}: ${quoteLiteral(overrides[n])}`).join(', ')}}` : ''
      const line = file.maxRecordBytes === undefined ? '' : `, max_line_size=${file.maxRecordBytes}`
      return `read_csv(${path}, delim=${quoteLiteral(delim)}, quote='"', escape='"', header=true, skip=0, strict_mode=true${line}${sample}${types})`
    }
    case 'ndjson': {
      const options = `format='auto'${file.maxRecordBytes === undefined ? '' : `, maximum_object_size=${file.maxRecordBytes}`}${sample}`
      if (!names.length || !columns) return `read_json(${path}, ${options})`
      const all = columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(overrides[c.name] ?? c.duckType)}`)
      return `read_json(${path}, ${options}, columns={${all.join(', ')}})`
    }
    case 'parquet':
      return `read_parquet(${path})`
  }
}

/** The columns of `file` as DuckDB reads them (DESCRIBE), mapped to dv types. */
export async function describeColumns(duck: Duck, file: ReadableFile): Promise<DuckColumn[]> {
  // NDJSON columns are always nullable: one LIMIT 0 query gives the structured types (one sniff of the input, not two)
  if (file.format === 'ndjson') return describeJson(duck, file)
  let rows
  try {
    rows = await duck.all(`DESCRIBE SELECT * FROM ${readerSql(file)}`)
  } catch (e) {
    throw await explainReadError(e, file)
  }
  // Nested columns are mapped from DuckDB's structured types, not by parsing their text.
  const structured = rows.some((r) => isNestedDuckType(String(r.column_type)))
    ? new Map((await duck.columnTypes(`SELECT * FROM ${readerSql(file)}`)).map((c) => [c.name, c.type]))
    : undefined
  return rows.map((r) => {
    const name = String(r.column_name)
    const duckType = String(r.column_type)
    const nested = structured?.get(name)
    const type = nested && isNestedDuckType(duckType)
      ? typeFromDuck(nested, (t) => toPrimitiveType(name, t, file.name))
      : toPrimitiveType(name, duckType, file.name)
    return { name, duckType, type, nullable: r.null !== 'NO' }
  })
}

async function describeJson(duck: Duck, file: ReadableFile): Promise<DuckColumn[]> {
  let columns
  try {
    columns = await duck.columnTypes(`SELECT * FROM ${readerSql(file)}`)
  } catch (e) {
    throw await explainReadError(e, file)
  }
  return columns.map(({ name, type }) => {
    // an aliased type (JSON) is named by its alias, as DESCRIBE names it
    const duckType = type.alias ?? type.toString()
    const primitive = (t: string) => toPrimitiveType(name, t, file.name)
    return { name, duckType, type: isNestedDuckType(duckType) ? typeFromDuck(type, primitive) : primitive(duckType), nullable: true }
  })
}

/** Turns a DuckDB read failure into INVALID_ARGUMENT naming the file and, when known, the line. */
export async function explainReadError(e: unknown, file: ReadableFile): Promise<DvError> {
  const text = e instanceof Error ? e.message : String(e)
  const limit = explainLimitError(e, file.name)
  if (limit) return limit
  if (file.format === 'csv' && /sniffing file|Expected Number of Columns/.test(text)) {
    const ragged = await findRaggedRecord(file.path, /\.tsv$/i.test(file.path) ? '\t' : ',').catch(() => undefined)
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
    hint: file.format === 'csv' ? 'the file must be comma-separated UTF-8 with a header row' : undefined,
    details: { file: file.name },
  })
}

