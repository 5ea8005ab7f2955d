/**
 * The Arrow side of the data plane, on parquet-wasm + apache-arrow (both
 * imported lazily): Arrow record batches -> one Parquet file, streamed so only
 * one row group is in memory; and a Parquet file -> Arrow record batches (or
 * IPC stream bytes), row group by row group through a lazily read Blob.
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, openAsBlob } from 'node:fs'
import { once } from 'node:events'
import type { RecordBatch, Schema as ArrowSchema, Table as ArrowTable } from 'apache-arrow'
import { DvError } from '../errors.js'
import { DAMAGED_HINT } from './duck.js'

type ArrowModule = typeof import('apache-arrow')
type WasmModule = typeof import('parquet-wasm')

let arrowModule: Promise<ArrowModule> | undefined
let wasmModule: Promise<WasmModule> | undefined

export function loadArrow(): Promise<ArrowModule> {
  arrowModule ??= import('apache-arrow')
  return arrowModule
}

export function loadParquetWasm(): Promise<WasmModule> {
  wasmModule ??= import('parquet-wasm')
  return wasmModule
}

export function isArrowTable(x: unknown): x is ArrowTable {
  return typeof x === 'object' && x !== null && 'batches' in x && 'schema' in x && 'numRows' in x
}

export function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x
}

export interface SpooledFile {
  bytes: number
  sha256: string
}

/** Arrow data as batches plus the schema to use when there are none. */
export interface ArrowInput {
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>
  schema?: ArrowSchema
}

/** Opens an Arrow IPC file or stream at `path` for reading batch by batch. */
export async function readArrowIpc(path: string): Promise<ArrowInput> {
  const arrow = await loadArrow()
  const reader = await arrow.RecordBatchReader.from(createReadStream(path))
  await reader.open()
  return { batches: damagedAsCorrupt(reader, path), schema: reader.schema }
}

/**
 * The batches of an opened Arrow IPC reader; a batch it cannot read (a cut
 * or garbled message: apache-arrow then throws whatever its decoder hits, a
 * TypeError as often as not) is CORRUPT, naming the input.
 */
export async function* damagedAsCorrupt(batches: AsyncIterable<RecordBatch>, name: string): AsyncGenerator<RecordBatch> {
  try {
    yield* batches
  } catch (e) {
    if (e instanceof DvError) throw e
    throw new DvError('CORRUPT', `${name} is damaged: cannot read its arrow record batches: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      hint: DAMAGED_HINT,
      details: { file: name },
    })
  }
}

/**
 * Writes Arrow batches to a zstd Parquet file at `path` with parquet-wasm's
 * streaming writer (row groups of up to 1Mi rows; field metadata kept in the
 * embedded Arrow schema), hashing the bytes as they are written.
 */
export async function writeArrowParquet(input: ArrowInput, path: string, what: string): Promise<SpooledFile> {
  const arrow = await loadArrow()
  const pw = await loadParquetWasm()
  const iterator = (Symbol.asyncIterator in input.batches
    ? (input.batches as AsyncIterable<RecordBatch>)[Symbol.asyncIterator]()
    : toAsync(input.batches as Iterable<RecordBatch>))
  const toWasm = (batches: RecordBatch[] | ArrowTable): import('parquet-wasm').Table => {
    const table = Array.isArray(batches) ? new arrow.Table(batches) : batches
    return pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'))
  }
  const props = () => new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).build()
  const first = await iterator.next()
  if (first.done) {
    if (!input.schema) throw new DvError('INVALID_ARGUMENT', `${what} has no record batches and no schema`, { hint: 'pass an apache-arrow Table or at least one RecordBatch' })
    const bytes = pw.writeParquet(toWasm(new arrow.Table(input.schema)), props())
    return writeBytes(path, bytes)
  }
  let pending: RecordBatch | undefined = first.value
  // parquet-wasm ends its output as if the input had ended when reading the input fails
  // (a damaged IPC message): keep the failure and raise it after the writer stops.
  let failure: { error: unknown } | undefined
  const stream = new ReadableStream({
    async pull(controller) {
      try {
        const batch = pending ?? (await nextValue(iterator))
        pending = undefined
        if (!batch) return controller.close()
        for (const rb of toWasm([batch]).recordBatches()) controller.enqueue(rb)
      } catch (e) {
        failure = { error: e }
        controller.error(e)
      }
    },
  })
  const hash = createHash('sha256')
  const out = createWriteStream(path)
  let bytes = 0
  try {
    const bytesStream = await pw.transformParquetStream(stream, props())
    for await (const chunk of bytesStream as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk)
      bytes += chunk.byteLength
      if (!out.write(chunk)) await once(out, 'drain')
    }
    if (failure) throw failure.error
  } catch (e) {
    if (failure) e = failure.error
    out.destroy()
    if (e instanceof DvError) throw e
    throw new DvError('INVALID_ARGUMENT', `cannot write ${what} as parquet: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      hint: 'the arrow data must be readable record batches of one schema; a damaged file must be written again from its source',
    })
  }
  out.end()
  await once(out, 'close')
  return { bytes, sha256: hash.digest('hex') }
}

async function nextValue<T>(it: AsyncIterator<T>): Promise<T | undefined> {
  const r = await it.next()
  return r.done ? undefined : r.value
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items
}

async function writeBytes(path: string, bytes: Uint8Array): Promise<SpooledFile> {
  const out = createWriteStream(path)
  out.end(bytes)
  await once(out, 'close')
  return { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') }
}

/**
 * Reads a Parquet file row group by row group and yields each as Arrow IPC
 * stream bytes (schema + batches + end marker). A file without row groups
 * yields one schema-only stream. Only one row group is ever in wasm memory.
 */
export async function* readParquetIpc(path: string, batchSize = 65536): AsyncGenerator<Uint8Array> {
  const pw = await loadParquetWasm()
  const file = await pw.ParquetFile.fromFile(await openAsBlob(path))
  try {
    const groups = file.metadata().numRowGroups()
    if (groups === 0) {
      yield (await file.read({ batchSize })).intoIPCStream()
      return
    }
    for (let i = 0; i < groups; i++) yield (await file.read({ rowGroups: [i], batchSize })).intoIPCStream()
  } finally {
    file.free()
  }
}

/**
 * The Parquet file at `path` as ONE Arrow IPC stream, in pieces: the schema
 * message once, then every row group's record batches, then the end-of-stream
 * marker. readParquetIpc yields one whole stream per row group; this splices
 * them at their message boundaries (format: continuation 0xFFFFFFFF, int32
 * metadata length, metadata, body; a schema message has no body), so only one
 * row group is in memory and nothing is decoded or re-encoded.
 */
export async function* readParquetIpcStream(path: string): AsyncGenerator<Uint8Array> {
  let schema: Uint8Array | undefined
  for await (const ipc of readParquetIpc(path)) {
    const head = schemaMessageLength(ipc)
    if (!hasEndMarker(ipc)) throw new DvError('INTERNAL', `arrow ipc from ${path} lacks its end-of-stream marker`)
    if (schema === undefined) {
      schema = ipc.subarray(0, head)
      yield ipc.subarray(0, ipc.byteLength - END_OF_STREAM.byteLength)
    } else {
      if (!sameBytes(schema, ipc.subarray(0, head))) throw new DvError('INTERNAL', `row groups of ${path} read with different arrow schemas`)
      yield ipc.subarray(head, ipc.byteLength - END_OF_STREAM.byteLength)
    }
  }
  yield END_OF_STREAM
}

/** Continuation marker then a zero metadata length (Arrow IPC format >= 0.15). */
const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])

function schemaMessageLength(ipc: Uint8Array): number {
  const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength)
  if (ipc.byteLength < 8 || view.getUint32(0, true) !== 0xffffffff) throw new DvError('INTERNAL', 'arrow ipc stream does not start with a continuation marker')
  return 8 + view.getInt32(4, true)
}

function hasEndMarker(ipc: Uint8Array): boolean {
  return ipc.byteLength >= END_OF_STREAM.byteLength && sameBytes(ipc.subarray(ipc.byteLength - END_OF_STREAM.byteLength), END_OF_STREAM)
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}

/** The Parquet file at `path` as apache-arrow record batches (empty batches skipped). */
export async function* readParquetBatches(path: string): AsyncGenerator<RecordBatch> {
  const arrow = await loadArrow()
  for await (const ipc of readParquetIpc(path)) {
    for (const batch of arrow.tableFromIPC(ipc).batches) if (batch.numRows > 0) yield batch
  }
}
