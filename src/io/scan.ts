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
import type { Field } from '../format/types.js'
import type { OutputFormat, ScanFile, ScanRequest } from './types.js'
import { quoteIdent, quoteLiteral, toDvError } from './duck.js'
import { toDuckType } from './duck-types.js'
import { checkPredicate, emptyRelation } from './predicate.js'
import type { Sandbox } from './sandbox.js'
import { readParquetBatches, readParquetIpcStream } from './arrow-parquet.js'
import { primitiveTypeOf } from '../format/fields.js'
import { addZones } from './utc-nanos.js'

/** The SELECT of a scan over the current schema; a predicate is checked and rendered by predicate.ts, never pasted. */
export async function scanQuery(sandbox: Sandbox, request: ScanRequest): Promise<string> {
  const { schema } = request
  const columns = selectedColumns(request)
  const checked = request.where === undefined ? undefined : await checkPredicate(sandbox, request.where, schema)
  if (request.limit !== undefined && (!Number.isInteger(request.limit) || request.limit < 0)) {
    throw new DvError('INVALID_ARGUMENT', `invalid limit ${request.limit}: expected a non-negative integer`)
  }
  const sources = groupFiles(request.files).map((group) => fileSelect(group, schema.fields))
  const from = sources.length ? sources.join(' UNION ALL ') : `SELECT * FROM ${emptyRelation(schema)}`
  const where = checked ? ` WHERE ${checked.sql}` : ''
  const limit = request.limit !== undefined ? ` LIMIT ${request.limit}` : ''
  return `SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM (${from}) AS t${where}${limit}`
}

function selectedColumns(request: ScanRequest): Field[] {
  const fields = request.schema.fields
  if (!request.columns) return fields
  if (!request.columns.length) throw new DvError('INVALID_ARGUMENT', 'no columns requested', { hint: `choose from: ${fields.map((f) => f.name).join(', ')}` })
  return request.columns.map((name) => {
    const field = fields.find((f) => f.name === name)
    if (!field) {
      throw new DvError('INVALID_ARGUMENT', `unknown column '${name}'; the table's columns are: ${fields.map((f) => f.name).join(', ')}`, {
        details: { column: name },
      })
    }
    return field
  })
}

/** Consecutive files with the same physical column names are read by one read_parquet call. */
function groupFiles(files: ScanFile[]): ScanFile[][] {
  const groups: ScanFile[][] = []
  let lastKey: string | undefined
  for (const file of files) {
    const key = JSON.stringify(Object.entries(file.columns).map(([id, c]) => [id, c.name]).sort())
    if (key === lastKey) groups[groups.length - 1].push(file)
    else groups.push([file])
    lastKey = key
  }
  return groups
}

/** One expression per field: the file's column for the field id, cast to the field's type, named as the field (NULL when absent). */
export function castFields(columns: ScanFile['columns'], fields: Field[]): string[] {
  return fields.map((f) => {
    const info = columns[String(f.id)]
    const source = info ? quoteIdent(info.name) : 'NULL'
    return `CAST(${source} AS ${toDuckType(primitiveTypeOf(f, 'scan'))}) AS ${quoteIdent(f.name)}`
  })
}

function fileSelect(group: ScanFile[], fields: Field[]): string {
  const paths = group.map((f) => quoteLiteral(f.path)).join(', ')
  return `SELECT ${castFields(group[0].columns, fields).join(', ')} FROM read_parquet([${paths}])`
}

const COPY_OPTIONS: Record<Exclude<OutputFormat, 'arrow'>, string> = {
  csv: 'FORMAT csv, HEADER true',
  ndjson: 'FORMAT json',
  json: 'FORMAT json, ARRAY true',
  parquet: 'FORMAT parquet, COMPRESSION zstd',
}

/** Intermediate files for Arrow output: fast to write and to read back row group by row group. */
const SCRATCH_PARQUET = 'FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 65536'

/** COPYs the scan to a temporary file; returns its path and the row count. */
async function copyScan(duck: Sandbox, request: ScanRequest, options: string, ext: string): Promise<{ path: string; rows: number }> {
  await mkdir(request.tmpDir, { recursive: true })
  await duck.useTempDirectory(join(request.tmpDir, 'duckdb-spill'))
  const query = textInstants(await scanQuery(duck, request), request, ext)
  const path = join(request.tmpDir, `dv-scan-${process.pid}-${randomUUID()}.${ext}`)
  try {
    const [row] = await duck.all(`COPY (${query}) TO ${quoteLiteral(path)} (${options})`)
    return { path, rows: Number(row?.Count ?? 0) }
  } catch (e) {
    await rm(path, { force: true })
    await request.verified // a file that fails verification explains a failed read better than the reader does
    throw toDvError(e, 'cannot scan the table', { hint: e instanceof Error && /^IO Error/.test(e.message) ? 'a data file may be missing from the store; run dv fsck' : undefined })
  }
}

/**
 * Text output (CSV, NDJSON, JSON) of timestamptz_ns columns: they are stored
 * as TIMESTAMP_NS holding the UTC reading (duck-types.ts), so their text gets
 * the '+00' that DuckDB prints for timestamptz.
 */
function textInstants(query: string, request: ScanRequest, ext: string): string {
  if (ext === 'parquet') return query
  const wanted = request.columns ?? request.schema.fields.map((f) => f.name)
  const instants = request.schema.fields.filter((f) => f.type === 'timestamptz_ns' && wanted.includes(f.name))
  if (!instants.length) return query
  const replace = instants.map((f) => `CAST(${quoteIdent(f.name)} AS VARCHAR) || '+00' AS ${quoteIdent(f.name)}`)
  return `SELECT * REPLACE (${replace.join(', ')}) FROM (${query}) AS q`
}

/** Streams the scan to `out` (which is left open) and returns the row count. */
export async function scanTo(duck: Sandbox, request: ScanRequest, format: OutputFormat, out: Writable): Promise<number> {
  if (format === 'arrow') return scanArrowTo(duck, request, out)
  const { path, rows } = await copyScan(duck, request, COPY_OPTIONS[format], format === 'ndjson' ? 'ndjson' : format)
  try {
    await request.verified
    if (format === 'json' && rows === 0) await writeAll(out, Buffer.from('[]\n'))
    else for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) await writeAll(out, chunk)
    return rows
  } finally {
    await rm(path, { force: true })
  }
}

async function scanArrowTo(duck: Sandbox, request: ScanRequest, out: Writable): Promise<number> {
  const { path, rows } = await copyScan(duck, request, SCRATCH_PARQUET, 'parquet')
  try {
    await request.verified
    // One IPC stream, written row group by row group as the consumer takes it.
    for await (const chunk of readParquetIpcStream(path)) await writeAll(out, chunk)
    return rows
  } finally {
    await rm(path, { force: true })
  }
}

export async function* scanBatches(duck: Sandbox, request: ScanRequest): AsyncGenerator<RecordBatch> {
  const { path } = await copyScan(duck, request, SCRATCH_PARQUET, 'parquet')
  try {
    await request.verified
    const wanted = request.columns ?? request.schema.fields.map((f) => f.name)
    const instants = request.schema.fields.filter((f) => f.type === 'timestamptz_ns' && wanted.includes(f.name)).map((f) => f.name)
    // timestamptz_ns is stored zone-less (duck-types.ts): the Arrow batches say it is an instant
    yield* addZones(readParquetBatches(path), instants)
  } finally {
    await rm(path, { force: true })
  }
}

async function writeAll(out: Writable, chunk: Uint8Array): Promise<void> {
  if (chunk.byteLength === 0) return
  if (!out.write(chunk)) await once(out, 'drain')
}
