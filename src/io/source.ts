/**
 * openSource: turns a path, stdin, a byte stream or Arrow data into a file
 * DuckDB can read (spooling single-use inputs into tmpDir), learns its columns
 * and fingerprints its bytes.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { RecordBatch } from 'apache-arrow'
import { DvError } from '../errors.js'
import type { Schema } from '../format/types.js'
import type { CsvOptions, InputFormat, OpenedSource, OpenSourceOptions, Source, WriteParquetOptions, WrittenFile } from './types.js'
import { detectFormat } from './detect-format.js'
import { Duck } from './duck.js'
import { explainReadError, type DuckColumn, type ReadableFile } from './readers.js'
import { describeInput } from './describe-input.js'
import { footerContradiction, readParquetLayout } from './parquet-layout.js'
import { transcodeParquet, wholeMicrosecondInt96 } from './parquet-transcode.js'
import { narrowToMicroseconds, wholeMicrosecondColumns } from './int96.js'
import { damagedAsCorrupt, isArrowTable, isAsyncIterable, readArrowIpc, readParquetBatches, writeArrowParquet, type ArrowInput } from './arrow-parquet.js'
import { arrowUtcNanos, dropSchemaZones, dropZones, parquetUtcNanos } from './utc-nanos.js'
import { writeSourceParquet } from './write-parquet.js'
import { engineLimits } from './limits.js'
import { jsonObjectLimit } from './ndjson-lines.js'
import { checkKeys } from './input-checks.js'
import type { InputRelation } from './input-plan.js'
import { checkWholeInput, compressionOf } from './whole-input.js'

/** The engine and relation behind each source this module opened (for rewrites that read a source). */
const relations = new WeakMap<OpenedSource, { duck: Duck; relation: InputRelation }>()

/** The relation of `source` when `duck` opened it; INVALID_ARGUMENT otherwise. */
export function inputRelationOf(source: OpenedSource, duck: Duck): InputRelation {
  const entry = relations.get(source)
  if (!entry || entry.duck !== duck) {
    throw new DvError('INVALID_ARGUMENT', `source ${source.name} was not opened by this data engine`, { hint: 'open the input with the same engine that rewrites the files' })
  }
  return entry.relation
}

const FORMAT_HINT = '--format csv|ndjson|parquet|arrow'
const EXTENSION: Record<InputFormat, string> = { csv: 'csv', ndjson: 'ndjson', parquet: 'parquet', arrow: 'arrows' }

interface Resolved {
  file: ReadableFile
  inputFormat: InputFormat
  bytes: number | undefined
  /** Set when the input bytes were hashed while spooling. */
  sha256?: string
  /** The bytes to fingerprint when not hashed yet (default: file.path). */
  fingerprintPath?: string
  /** Paths to delete on close. */
  spooled: string[]
  /** True when `file.path` is the caller's own file (never modified or deleted). */
  userFile: boolean
}

export async function openIngestSource(duck: Duck, source: Source, options: OpenSourceOptions): Promise<OpenedSource> {
  await mkdir(options.tmpDir, { recursive: true })
  await duck.useTempDirectory(join(options.tmpDir, 'duckdb-spill'))
  let resolved = await resolveSource(source, options)
  try {
    resolved.file = await withReadLimits(resolved.file, resolved.bytes)
    if (resolved.file.format === 'parquet') resolved = await decodableParquet(duck, resolved, options.tmpDir)
    if (resolved.file.format === 'parquet' && !resolved.file.utcNanos) resolved = await exactNanos(duck, resolved, options.tmpDir)
    if (resolved.file.format === 'csv') resolved.file = { ...resolved.file, csv: checkCsvOptions(options.csv ?? {}) }
    const described = await describeInput(duck, resolved.file, { schema: options.schema, bytes: resolved.bytes })
    resolved.file = described.file
    return new IngestSource(duck, resolved, described.columns, options.tmpDir, options.schema)
  } catch (e) {
    await removeAll(resolved.spooled)
    throw e
  }
}

/** The file as dv reads it: NDJSON with room for its longest record, CSV with DV_MAX_RECORD_BYTES as its longest line. */
async function withReadLimits(file: ReadableFile, bytes: number | undefined): Promise<ReadableFile> {
  const limits = engineLimits()
  if (file.format === 'ndjson') {
    const max = await jsonObjectLimit(file.path, file.name, bytes, limits.maxJsonRecordBytes)
    return max === undefined ? file : { ...file, maxRecordBytes: max }
  }
  if (file.format === 'csv' && limits.maxCsvLineBytes !== undefined) return { ...file, maxRecordBytes: limits.maxCsvLineBytes }
  return file
}

class IngestSource implements OpenedSource {
  readonly name: string
  readonly format: InputFormat
  readonly bytes: number | undefined
  columns: DuckColumn[]
  readonly csv: CsvOptions | undefined
  private fingerprintPromise: Promise<string> | undefined

  constructor(
    private readonly duck: Duck,
    private readonly resolved: Resolved,
    columns: DuckColumn[],
    private readonly tmpDir: string,
    /** The table's (or a declared) schema the columns were read with: a re-read uses it again. */
    private readonly schema: Schema | undefined,
  ) {
    this.name = resolved.file.name
    this.format = resolved.inputFormat
    this.bytes = resolved.bytes
    this.columns = columns
    this.csv = resolved.file.csv
    relations.set(this, { duck, relation: { file: resolved.file, columns } })
  }

  fingerprint(): Promise<string> {
    if (this.resolved.sha256) return Promise.resolve(this.resolved.sha256)
    this.fingerprintPromise ??= hashFile(this.resolved.fingerprintPath ?? this.resolved.file.path)
    return this.fingerprintPromise
  }

  async writeParquet(options: WriteParquetOptions): Promise<WrittenFile[]> {
    const file = this.resolved.file
    const writing = writeSourceParquet(this.duck, {
      file,
      columns: this.columns,
      userFile: this.resolved.userFile,
      bytes: this.bytes,
      tmpDir: this.tmpDir,
    }, options)
    if (compressionOf(file) === undefined) return writing
    // checked alongside the copy; a cut stream outranks whatever the copy made of it (whole-input.ts)
    const [written, whole] = await Promise.allSettled([writing, checkWholeInput(file)])
    if (whole.status === 'rejected') throw whole.reason
    if (written.status === 'rejected') throw written.reason
    return written.value
  }

  /** Learns the columns again from every row (CSV, NDJSON); false when that is already so, or the input has exact types. */
  async sampleWholeFile(): Promise<boolean> {
    const file = this.resolved.file
    if (file.sampleWholeFile || (file.format !== 'csv' && file.format !== 'ndjson')) return false
    const described = await describeInput(this.duck, { ...file, sampleWholeFile: true }, { schema: this.schema, bytes: this.bytes })
    this.resolved.file = described.file
    this.columns = described.columns
    relations.set(this, { duck: this.duck, relation: this.relation() })
    return true
  }

  checkKeys(columns: string[], schema?: Schema, hint?: string): Promise<void> {
    return checkKeys(this.duck, this.relation(), columns, schema, hint)
  }

  private relation(): InputRelation {
    return { file: this.resolved.file, columns: this.columns }
  }

  async close(): Promise<void> {
    await removeAll(this.resolved.spooled)
  }
}

async function resolveSource(source: Source, options: OpenSourceOptions): Promise<Resolved> {
  if (typeof source === 'string' && source !== '-') return resolvePath(source, options)
  if (typeof source === 'string' || source instanceof Readable) {
    const stream = typeof source === 'string' ? process.stdin : source
    const name = typeof source === 'string' ? '<stdin>' : '<stream>'
    const format = options.format
    if (!format) throw new DvError('INVALID_ARGUMENT', `the format of ${name} is unknown`, { hint: `name it with ${FORMAT_HINT}` })
    if (format === 'arrow') return spoolArrow(await readArrowIpcStream(stream, name), name, options.tmpDir)
    const path = tempPath(options.tmpDir, EXTENSION[format])
    const { bytes, sha256 } = await spoolBytes(stream, path, options.onBytes)
    return { file: { name, path, format }, inputFormat: format, bytes, sha256, spooled: [path], userFile: false }
  }
  if (isArrowTable(source)) return spoolArrow({ batches: source.batches, schema: source.schema }, '<arrow>', options.tmpDir)
  if (isAsyncIterable(source)) return spoolArrow({ batches: source as AsyncIterable<RecordBatch> }, '<arrow>', options.tmpDir)
  throw new DvError('INVALID_ARGUMENT', 'unsupported source: expected a file path, "-", a readable stream, an apache-arrow Table or an async iterable of RecordBatches')
}

async function resolvePath(path: string, options: OpenSourceOptions): Promise<Resolved> {
  const format = options.format ?? detectFormat(path)
  let size: number
  try {
    const st = await stat(path)
    if (!st.isFile()) throw new DvError('INVALID_ARGUMENT', `${path} is not a file`)
    size = st.size
  } catch (e) {
    if (e instanceof DvError) throw e
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DvError('NOT_FOUND', `input file ${path} does not exist`, { details: { file: path } })
    throw new DvError('STORAGE', `cannot read input file ${path}: ${(e as Error).message}`, { cause: e })
  }
  if (!format) {
    throw new DvError('INVALID_ARGUMENT', `cannot tell the format of ${path} from its extension`, { hint: `name it with ${FORMAT_HINT}`, details: { file: path } })
  }
  if (format === 'arrow') {
    const spooled = await spoolArrow(await readArrowIpc(path).catch((e) => { throw badArrow(path, e) }), path, options.tmpDir)
    // The fingerprint is of the user's bytes, not of our re-encoding.
    return { ...spooled, bytes: size, sha256: undefined, fingerprintPath: path }
  }
  return { file: { name: path, path, format }, inputFormat: format, bytes: size, spooled: [], userFile: true }
}

/**
 * A Parquet input DuckDB cannot decode entirely is read through parquet-wasm
 * into a spooled zstd file, which the write then reads as a copy (never as-is).
 */
async function decodableParquet(duck: Duck, resolved: Resolved, tmpDir: string): Promise<Resolved> {
  let layout
  try {
    layout = await readParquetLayout(duck, resolved.file.path)
  } catch (e) {
    throw await explainReadError(e, resolved.file)
  }
  const contradiction = footerContradiction(layout, resolved.file.name)
  if (contradiction) throw contradiction
  if (layout.undecodable.length === 0) return resolved
  // INT96 columns are exact in DuckDB's read when every value is a whole microsecond (int96.ts)
  const int96 = layout.undecodable.filter((u) => u.inexact).map((u) => u.column)
  const onlyInt96 = int96.length === layout.undecodable.length
  const flatInt96 = int96.filter((c) => !c.includes(', '))
  let probed: string[] | undefined
  if (onlyInt96 && flatInt96.length === int96.length) {
    // reading those columns alone says whether the file needs the transcode (Spark's never does)
    probed = await wholeMicrosecondInt96(resolved.file.path, resolved.file.name, layout.undecodable, flatInt96)
    if (probed.length === int96.length) return resolved
  }
  let path = tempPath(tmpDir, 'parquet')
  resolved.spooled.push(path)
  await transcodeParquet(resolved.file.path, path, resolved.file.name, layout.undecodable)
  // the probe already answered for a file whose only trouble is INT96; others are asked of the transcoded file
  const micros = probed ?? (int96.length ? await wholeMicrosecondColumns(duck, path, int96) : [])
  if (micros.length) {
    const narrowed = tempPath(tmpDir, 'parquet')
    resolved.spooled.push(narrowed)
    await narrowToMicroseconds(duck, path, narrowed, micros)
    path = narrowed
  }
  return {
    ...resolved,
    file: { ...resolved.file, path },
    userFile: false,
    // The fingerprint is of the input's bytes, not of the rewrite.
    fingerprintPath: resolved.sha256 ? undefined : resolved.fingerprintPath ?? resolved.file.path,
  }
}

/**
 * A Parquet input with nanosecond instants (pandas' tz-aware timestamps) is
 * re-spooled through Arrow with those columns zone-less, so DuckDB reads
 * every nanosecond (utc-nanos.ts).
 */
async function exactNanos(duck: Duck, resolved: Resolved, tmpDir: string): Promise<Resolved> {
  const names = await parquetUtcNanos(duck, resolved.file.path).catch(() => [])
  if (!names.length) return resolved
  const spooled = await spoolArrow({ batches: readParquetBatches(resolved.file.path) }, resolved.file.name, tmpDir)
  return {
    ...spooled,
    inputFormat: resolved.inputFormat,
    bytes: resolved.bytes,
    spooled: [...resolved.spooled, ...spooled.spooled],
    // the fingerprint is of the input's bytes, not of the re-encoding
    sha256: resolved.sha256,
    fingerprintPath: resolved.sha256 ? undefined : resolved.fingerprintPath ?? resolved.file.path,
  }
}

async function readArrowIpcStream(stream: Readable, name: string): Promise<ArrowInput> {
  const { RecordBatchReader } = await import('apache-arrow')
  try {
    const reader = await RecordBatchReader.from(stream as unknown as AsyncIterable<Uint8Array>)
    await reader.open()
    return { batches: damagedAsCorrupt(reader, name), schema: reader.schema }
  } catch (e) {
    throw badArrow(name, e)
  }
}

function badArrow(name: string, e: unknown): DvError {
  return new DvError('INVALID_ARGUMENT', `cannot read ${name} as arrow ipc: ${e instanceof Error ? e.message : String(e)}`, {
    cause: e,
    hint: 'arrow input must be an Arrow IPC file or stream',
  })
}

async function spoolArrow(input: ArrowInput, name: string, tmpDir: string): Promise<Resolved> {
  const path = tempPath(tmpDir, 'parquet')
  try {
    // nanosecond instants go to DuckDB zone-less, or it would cut them to microseconds (utc-nanos.ts)
    const found = new Set<string>(input.schema ? await arrowUtcNanos(input.schema) : [])
    const schema = input.schema && found.size ? await dropSchemaZones(input.schema, [...found]) : input.schema
    const { bytes, sha256 } = await writeArrowParquet({ batches: dropZones(input.batches, found), schema }, path, name)
    const utcNanos = found.size ? { utcNanos: [...found] } : {}
    return { file: { name, path, format: 'parquet', ...utcNanos }, inputFormat: 'arrow', bytes, sha256, spooled: [path], userFile: false }
  } catch (e) {
    await removeAll([path])
    throw e
  }
}

async function spoolBytes(stream: Readable, path: string, onBytes?: (bytes: number) => void): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  async function* tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk)
      bytes += chunk.length
      onBytes?.(bytes)
      yield chunk
    }
  }
  try {
    await pipeline(stream, tap, createWriteStream(path))
  } catch (e) {
    await removeAll([path])
    throw new DvError('STORAGE', `cannot spool input to ${path}: ${(e as Error).message}`, { cause: e })
  }
  return { bytes, sha256: hash.digest('hex') }
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) hash.update(chunk)
  return hash.digest('hex')
}

/** CSV options as the reader needs them: single characters where DuckDB takes one. */
function checkCsvOptions(csv: CsvOptions): CsvOptions {
  const one = (name: string, value: string | undefined): void => {
    if (value !== undefined && [...value].length !== 1) {
      throw new DvError('INVALID_ARGUMENT', `--${name} must be one character, got ${JSON.stringify(value)}`, { hint: name === 'delimiter' ? "for TAB write --delimiter '\\t'" : undefined })
    }
  }
  const delimiter = csv.delimiter === '\\t' || csv.delimiter?.toLowerCase() === 'tab' ? '\t' : csv.delimiter
  one('delimiter', delimiter)
  one('quote', csv.quote)
  one('escape', csv.escape)
  if (csv.compression !== undefined && !['gzip', 'zstd', 'none'].includes(csv.compression)) {
    throw new DvError('INVALID_ARGUMENT', `unknown --compression ${JSON.stringify(csv.compression)}`, { hint: 'use gzip, zstd or none (default: from the extension, .gz or .zst)' })
  }
  return delimiter === undefined ? csv : { ...csv, delimiter }
}

function tempPath(tmpDir: string, ext: string): string {
  return join(tmpDir, `dv-input-${process.pid}-${randomUUID()}.${ext}`)
}

async function removeAll(paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => rm(p, { force: true })))
}
