/**
 * Parquet and Arrow output of scans with timestamptz_ns columns. Those are
 * stored as TIMESTAMP_NS holding the UTC reading (duck-types.ts), and DuckDB,
 * which has no nanosecond TIMESTAMPTZ, would write them zone-less: a reader of
 * `dv cat --format parquet` would get a naive timestamp, a different type. So
 * the result goes through Arrow, where the columns are retagged as
 * Timestamp(ns, 'UTC'), and Parquet output is written by parquet-wasm, which
 * marks them isAdjustedToUTC=true.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import type { RecordBatch, Schema as ArrowSchema } from 'apache-arrow'
import type { ScanRequest } from './types.js'
import type { Sandbox } from './sandbox.js'
import { loadArrow, readParquetBatches, readParquetIpc, writeArrowParquet } from './arrow-parquet.js'
import { addZones, zonedSchema } from './utc-nanos.js'
import { copyQuery, SCRATCH_PARQUET, scanQuery, writeAll } from './scan.js'

/** Streams the scan to `out` as Parquet or an Arrow IPC stream with `instants` as Timestamp(ns, 'UTC'); returns the row count. */
export async function zonedScanTo(duck: Sandbox, request: ScanRequest, format: 'parquet' | 'arrow', out: Writable, instants: string[]): Promise<number> {
  const { path: scratch, rows } = await copyQuery(duck, await scanQuery(duck, request), request, SCRATCH_PARQUET, 'parquet')
  const written = join(request.tmpDir, `dv-scan-${process.pid}-${randomUUID()}.parquet`)
  try {
    await request.verified
    const schema = zonedSchema(await fileSchema(scratch), instants)
    const batches = addZones(readParquetBatches(scratch), instants)
    if (format === 'arrow') await writeIpc(await batchesOrSchema(batches, schema), out)
    else {
      await writeArrowParquet({ batches, schema: await schema }, written, 'the scan')
      for await (const chunk of createReadStream(written, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) await writeAll(out, chunk)
    }
    return rows
  } finally {
    await rm(scratch, { force: true })
    await rm(written, { force: true })
  }
}

async function fileSchema(path: string): Promise<ArrowSchema> {
  const arrow = await loadArrow()
  for await (const ipc of readParquetIpc(path)) return arrow.tableFromIPC(ipc).schema
  throw new Error(`no schema in ${path}`)
}

/** The batches, or (none) an empty table that carries the schema. */
async function batchesOrSchema(batches: AsyncGenerator<RecordBatch>, schema: Promise<ArrowSchema>): Promise<AsyncIterable<RecordBatch> | ArrowSchema> {
  const first = await batches.next()
  if (first.done) return schema
  return (async function* () {
    yield first.value
    yield* batches
  })()
}

async function writeIpc(input: AsyncIterable<RecordBatch> | ArrowSchema, out: Writable): Promise<void> {
  const arrow = await loadArrow()
  const writer = new arrow.RecordBatchStreamWriter()
  const pump = (async () => {
    for await (const chunk of writer) await writeAll(out, chunk)
  })()
  try {
    if (input instanceof arrow.Schema) writer.write(new arrow.Table(input))
    else for await (const batch of input) writer.write(batch)
  } finally {
    writer.close()
  }
  await pump
}
