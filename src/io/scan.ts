/**
 * Scans: each data file is read by field id -> its physical column name and
 * cast to the current schema's type (renamed columns keep their data; columns
 * an older file lacks read as typed NULLs). DuckDB evaluates the user's
 * predicate, projection and limit and COPYs the result to a temporary file in
 * tmpDir, which is then streamed out and deleted, so memory stays bounded.
 * DuckDB keeps insertion order (preserve_insertion_order), so rows come out in
 * file order, files in the given order.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import type { RecordBatch } from 'apache-arrow'
import { DvError } from '../errors.js'
import type { Field, Schema, Type } from '../format/types.js'
import { findField, isNested, type FieldEntry } from '../format/fields.js'
import type { OutputFormat, ScanFile, ScanRequest } from './types.js'
import { quoteIdent, quoteLiteral, toDvError } from './duck.js'
import { toDuckType } from './duck-types.js'
import { checkPredicate, emptyRelation } from './predicate.js'
import type { Sandbox } from './sandbox.js'
import { readParquetBatches, readParquetIpcStream } from './arrow-parquet.js'
import { readNested } from './scan-nested.js'
import { structPathSql } from './expression.js'
import { addZones } from './utc-nanos.js'
import { zonedScanTo } from './scan-zoned.js'

/** The SELECT of a scan over the current schema; a predicate is checked and rendered by predicate.ts, never pasted. */
export async function scanQuery(sandbox: Sandbox, request: ScanRequest, options: { nestedAsJson?: boolean } = {}): Promise<string> {
  const { schema } = request
  const columns = selectedColumns(request)
  const checked = request.where === undefined ? undefined : await checkPredicate(sandbox, request.where, schema)
  if (request.limit !== undefined && (!Number.isInteger(request.limit) || request.limit < 0)) {
    throw new DvError('INVALID_ARGUMENT', `invalid limit ${request.limit}: expected a non-negative integer`)
  }
  const from = request.files.length ? filesRelation(request.files, schema.fields) : `SELECT * FROM ${emptyRelation(schema)}`
  const where = checked ? ` WHERE ${checked.sql}` : ''
  const limit = request.limit !== undefined ? ` LIMIT ${request.limit}` : ''
  // CSV has no nested values: each one is a cell of JSON text.
  const select = columns.map((c) => `${options.nestedAsJson && isNested(c.type) ? `CAST(to_json(${c.sql}) AS VARCHAR)` : c.sql} AS ${quoteIdent(c.name)}`)
  return `SELECT ${select.join(', ')} FROM (${from}) AS t${where}${limit}`
}

/** An output column: a top-level column, or a field inside structs named by its path (`payload.user.id`). */
interface OutputColumn {
  name: string
  sql: string
  type: Type
}

function selectedColumns(request: ScanRequest): OutputColumn[] {
  const { schema } = request
  const fields = schema.fields
  if (!request.columns) return fields.map((f) => ({ name: f.name, sql: quoteIdent(f.name), type: f.type }))
  if (!request.columns.length) throw new DvError('INVALID_ARGUMENT', 'no columns requested', { hint: `choose from: ${fields.map((f) => f.name).join(', ')}` })
  return request.columns.map((name) => {
    const top = fields.find((f) => f.name === name)
    if (top) return { name, sql: quoteIdent(top.name), type: top.type }
    const field = fields.length && name.includes('.') ? findFieldOrUndefined(schema, name) : undefined
    if (!field) {
      throw new DvError('INVALID_ARGUMENT', `unknown column '${name}'; the table's columns are: ${fields.map((f) => f.name).join(', ')}`, {
        hint: 'name a field inside a struct by its path, e.g. payload.user.id',
        details: { column: name },
      })
    }
    if (field.repeated || field.role !== 'field') {
      throw new DvError('INVALID_ARGUMENT', `column '${name}' is inside a list or map and has no single value per row`, {
        hint: `select the list or map column '${field.path[0]}' instead`,
        details: { column: name },
      })
    }
    return { name, sql: structPathSql(field.path), type: field.type }
  })
}

/** The field at a dotted path, or undefined when there is none or the path does not parse. */
function findFieldOrUndefined(schema: Schema, path: string): FieldEntry | undefined {
  try {
    return findField(schema, path)
  } catch {
    return undefined
  }
}

/** The rows of `files` as `fields` (read by field id, cast), one read_parquet per run of files with the same column names. */
export function filesRelation(files: ScanFile[], fields: Field[]): string {
  return groupFiles(files).map((group) => fileSelect(group, fields)).join(' UNION ALL ')
}

/** Consecutive files with the same physical column names are read by one read_parquet call. */
function groupFiles(files: ScanFile[]): ScanFile[][] {
  const groups: ScanFile[][] = []
  let lastKey: string | undefined
  for (const file of files) {
    const key = columnNamesKey(file.columns)
    if (key === lastKey) groups[groups.length - 1].push(file)
    else groups.push([file])
    lastKey = key
  }
  return groups
}

/**
 * The file's field ids and physical names as one string, equal exactly when
 * the mappings are. Ids are integer-like keys, which JavaScript enumerates in
 * ascending order, so no sort is needed; names are JSON-quoted, so no name can
 * pass for a separator. (A JSON.stringify of sorted pairs took 8 ms of a
 * 1,000-file compaction.)
 */
function columnNamesKey(columns: ScanFile['columns']): string {
  let key = ''
  for (const id in columns) key += `${id}:${JSON.stringify(columns[id]!.name)},`
  return key
}

/** One expression per field: the file's column for the field id, cast to the field's type, named as the field (NULL when absent). */
export function castFields(columns: ScanFile['columns'], fields: Field[]): string[] {
  return fields.map((f) => {
    const info = columns[String(f.id)]
    const value = info ? readNested(quoteIdent(info.name), f.type, columns) : `CAST(NULL AS ${toDuckType(f.type)})`
    return `${value} AS ${quoteIdent(f.name)}`
  })
}

function fileSelect(group: ScanFile[], fields: Field[]): string {
  const paths = group.map((f) => quoteLiteral(f.path)).join(', ')
  // Files written before a widening (int -> long, float -> double, a wider decimal) hold the narrower
  // physical type under the same name: union_by_name makes DuckDB read the group as the widest
  // type of each column; without it every file is read as the first one's type, and a wider
  // value fails to cast (format-spec/table-metadata.md, type promotion).
  const options = group.length > 1 ? ', union_by_name = true' : ''
  return `SELECT ${castFields(group[0].columns, fields).join(', ')} FROM read_parquet([${paths}]${options})`
}

export const COPY_OPTIONS: Record<Exclude<OutputFormat, 'arrow'>, string> = {
  csv: 'FORMAT csv, HEADER true',
  ndjson: 'FORMAT json',
  json: 'FORMAT json, ARRAY true',
  parquet: 'FORMAT parquet, COMPRESSION zstd',
}

/** Intermediate files for Arrow output: fast to write and to read back row group by row group. */
export const SCRATCH_PARQUET = 'FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 65536'

/** Where a query's result goes before it is streamed out, and what must settle first. */
export interface CopyTarget {
  tmpDir: string
  verified?: Promise<unknown>
  /** What the read is, for its error: `cannot DOING: ...` (default: scan the table). */
  doing?: string
}

/** COPYs `query` to a temporary file in `target.tmpDir`; returns its path and the row count. */
export async function copyQuery(duck: Sandbox, query: string, target: CopyTarget, options: string, ext: string): Promise<{ path: string; rows: number }> {
  await mkdir(target.tmpDir, { recursive: true })
  await duck.useTempDirectory(join(target.tmpDir, 'duckdb-spill'))
  const path = join(target.tmpDir, `dv-scan-${process.pid}-${randomUUID()}.${ext}`)
  try {
    const [row] = await duck.all(`COPY (${query}) TO ${quoteLiteral(path)} (${options})`)
    return { path, rows: Number(row?.Count ?? 0) }
  } catch (e) {
    await rm(path, { force: true })
    throw await readError(e, target, target.doing)
  }
}

/** A failed read as a DvError; a file that fails verification explains it better than the reader does. */
export async function readError(e: unknown, target: CopyTarget, doing = 'scan the table'): Promise<DvError> {
  await target.verified
  return toDvError(e, `cannot ${doing}`, { hint: e instanceof Error && /^IO Error/.test(e.message) ? 'a data file may be missing from the store; run dv fsck' : undefined })
}

/** Runs `query` and streams its result to `out` (left open) in `format`; returns the row count. */
export async function queryTo(duck: Sandbox, query: string, target: CopyTarget, format: OutputFormat, out: Writable): Promise<number> {
  if (format === 'arrow') return queryArrowTo(duck, query, target, out)
  const { path, rows } = await copyQuery(duck, query, target, COPY_OPTIONS[format], format === 'ndjson' ? 'ndjson' : format)
  try {
    await target.verified
    if (format === 'json' && rows === 0) await writeAll(out, Buffer.from('[]\n'))
    else for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) await writeAll(out, chunk)
    return rows
  } finally {
    await rm(path, { force: true })
  }
}

async function queryArrowTo(duck: Sandbox, query: string, target: CopyTarget, out: Writable): Promise<number> {
  const { path, rows } = await copyQuery(duck, query, target, SCRATCH_PARQUET, 'parquet')
  try {
    await target.verified
    // One IPC stream, written row group by row group as the consumer takes it.
    for await (const chunk of readParquetIpcStream(path)) await writeAll(out, chunk)
    return rows
  } finally {
    await rm(path, { force: true })
  }
}

/** Runs `query` and yields its result as Arrow record batches (bounded memory). */
export async function* queryBatches(duck: Sandbox, query: string, target: CopyTarget): AsyncGenerator<RecordBatch> {
  const { path } = await copyQuery(duck, query, target, SCRATCH_PARQUET, 'parquet')
  try {
    await target.verified
    yield* readParquetBatches(path)
  } finally {
    await rm(path, { force: true })
  }
}

/** Streams the scan to `out` (which is left open) and returns the row count. */
export async function scanTo(duck: Sandbox, request: ScanRequest, format: OutputFormat, out: Writable): Promise<number> {
  const instants = instantColumns(request)
  if (instants.length && (format === 'parquet' || format === 'arrow')) return zonedScanTo(duck, request, format, out, instants)
  const query = await scanQuery(duck, request, { nestedAsJson: format === 'csv' })
  return queryTo(duck, format === 'parquet' || format === 'arrow' ? query : textInstants(query, request), request, format, out)
}

export async function* scanBatches(duck: Sandbox, request: ScanRequest): AsyncGenerator<RecordBatch> {
  // timestamptz_ns is stored zone-less (duck-types.ts): the Arrow batches say it is an instant
  yield* addZones(queryBatches(duck, await scanQuery(duck, request), request), instantColumns(request))
}

/** The output columns of type timestamptz_ns. */
function instantColumns(request: ScanRequest): string[] {
  const wanted = request.columns ?? request.schema.fields.map((f) => f.name)
  return request.schema.fields.filter((f) => f.type === 'timestamptz_ns' && wanted.includes(f.name)).map((f) => f.name)
}

/**
 * Text output (CSV, NDJSON, JSON) of timestamptz_ns columns: they are stored
 * as TIMESTAMP_NS holding the UTC reading (duck-types.ts), so their text gets
 * the '+00' that DuckDB prints for timestamptz.
 */
function textInstants(query: string, request: ScanRequest): string {
  const instants = instantColumns(request)
  if (!instants.length) return query
  const replace = instants.map((name) => `CAST(${quoteIdent(name)} AS VARCHAR) || '+00' AS ${quoteIdent(name)}`)
  return `SELECT * REPLACE (${replace.join(', ')}) FROM (${query}) AS q`
}

export async function writeAll(out: Writable, chunk: Uint8Array): Promise<void> {
  if (chunk.byteLength === 0) return
  if (!out.write(chunk)) await once(out, 'drain')
}
