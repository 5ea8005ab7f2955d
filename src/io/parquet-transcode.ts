/**
 * The fallback for Parquet files DuckDB cannot decode (parquet-layout.ts):
 * parquet-wasm (arrow-rs) reads them and writes the same rows as a zstd
 * Parquet file that DuckDB reads, row group by row group (one input row
 * group and one output row group in memory at a time).
 *
 * It runs in a worker thread: arrow-rs panics on some damaged pages (a flipped
 * byte in a page, a garbled page header), and a panic in wasm is an uncaught
 * "RuntimeError: unreachable" that would end the whole process and leave the
 * wasm instance unusable. In a worker it ends the worker only, and the
 * worker's wasm memory (which never shrinks) is freed with it. The worker's
 * code is plain JavaScript passed as text, so it runs the same from dist/ and
 * from the TypeScript sources under vitest.
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { DvError } from '../errors.js'
import { DAMAGED_HINT, UNDECODABLE_HINT } from './duck.js'
import { describeUndecodable, type Undecodable } from './parquet-layout.js'

/** The codecs parquet-wasm 0.8.0 decodes (arrow-rs; LZO is not built in, and asking for it panics). */
const WASM_CODECS = new Set(['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI', 'LZ4', 'ZSTD', 'LZ4_RAW'])

/** DuckDB's own row group size, so the output reads as DuckDB's files do. */
export const ROW_GROUP_ROWS = 122_880
const BATCH_ROWS = 8192

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { openAsBlob, createWriteStream } = require('node:fs')
const { once } = require('node:events')
async function run({ input, output, wasmUrl, arrowUrl, rowGroupRows, batchRows, columns }) {
  const pw = await import(wasmUrl)
  const file = await pw.ParquetFile.fromFile(await openAsBlob(input))
  if (arrowUrl) return probe(file, await import(arrowUrl), columns)
  const groups = file.metadata().numRowGroups()
  const footerRows = file.metadata().fileMetadata().numRows()
  let group = 0
  let rows = 0
  let reader
  // transformParquetStream ends its output as if the input had ended when reading fails: keep the failure
  let failure
  const batches = new ReadableStream({
    async pull(controller) {
      try {
        for (;;) {
          if (!reader) {
            if (group >= groups) return controller.close()
            reader = (await file.stream({ rowGroups: [group++], batchSize: batchRows, columns })).getReader()
          }
          const next = await reader.read()
          if (next.done) { reader = undefined; continue }
          rows += next.value.numRows
          return controller.enqueue(next.value)
        }
      } catch (e) {
        failure = e
        controller.error(e)
      }
    },
  })
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setMaxRowGroupSize(rowGroupRows).build()
  const out = createWriteStream(output)
  try {
    for await (const chunk of await pw.transformParquetStream(batches, props)) if (!out.write(chunk)) await once(out, 'drain')
  } finally {
    out.end()
    await once(out, 'close')
  }
  if (failure) throw failure
  if (rows !== footerRows) throw new Error('read ' + rows + ' rows but the footer says ' + footerRows)
  return { rows }
}
// The columns (Timestamp(ns) as arrow-rs reads INT96) whose every value is a whole microsecond.
async function probe(file, arrow, columns) {
  const exact = new Set(columns)
  let rows = 0
  const reader = (await file.stream({ batchSize: 1 << 20, columns })).getReader()
  for (;;) {
    const next = await reader.read()
    if (next.done) break
    rows += next.value.numRows
    const batch = arrow.tableFromIPC(next.value.intoIPCStream())
    for (const name of exact) {
      // an embedded Arrow schema can make arrow-rs read INT96 in the writer's unit (ms, us): whole microseconds by construction
      if (batch.schema.fields.find((f) => f.name === name).type.unit !== arrow.TimeUnit.NANOSECOND) continue
      for (const data of batch.getChild(name).data) {
        const values = data.values
        for (let i = 0; i < data.length; i++) {
          if (values[i] % 1000n !== 0n && data.getValid(i)) { exact.delete(name); break }
        }
      }
    }
    if (!exact.size) break
  }
  return { rows, exact: [...exact] }
}
run(workerData).then(
  (result) => parentPort.postMessage(result),
  (e) => parentPort.postMessage({ error: String((e && e.message) || e) }),
)
`

let wasmUrl: string | undefined
let arrowUrl: string | undefined

/**
 * Rewrites the Parquet file `input` (named `name` in messages) as a zstd file
 * at `output`. `undecodable` (what DuckDB could not decode) names the columns
 * in the error when parquet-wasm cannot read the file either: UNSUPPORTED when
 * it does not know the codec or encoding, CORRUPT when it fails on the bytes.
 */
export async function transcodeParquet(input: string, output: string, name: string, undecodable: Undecodable[]): Promise<{ rows: number }> {
  const unknown = undecodable.filter((u) => u.codec !== undefined && !WASM_CODECS.has(u.codec))
  if (unknown.length) {
    throw new DvError('UNSUPPORTED', `cannot read ${name}: neither DuckDB nor parquet-wasm decodes ${describeUndecodable(unknown)}`, {
      hint: UNDECODABLE_HINT,
      details: { file: name, columns: unknown },
    })
  }
  const outcome = await runWorker({ input, output })
  if (outcome.rows !== undefined) return { rows: outcome.rows }
  throw wasmFailure(outcome, name, undecodable)
}

/**
 * The INT96 columns of `columns` (top-level, read by parquet-wasm as
 * nanoseconds) of the Parquet file `input` whose every value is a whole
 * microsecond (int96.ts). Nothing is written.
 */
export async function wholeMicrosecondInt96(input: string, name: string, undecodable: Undecodable[], columns: string[]): Promise<string[]> {
  arrowUrl ??= pathToFileURL(createRequire(import.meta.url).resolve('apache-arrow')).href
  const outcome = await runWorker({ input, columns, arrowUrl })
  if (outcome.exact) return outcome.exact
  throw wasmFailure(outcome, name, undecodable)
}

interface Outcome {
  rows?: number
  exact?: string[]
  error?: string
  crashed?: string
}

function runWorker(data: { input: string; output?: string; columns?: string[]; arrowUrl?: string }): Promise<Outcome> {
  wasmUrl ??= pathToFileURL(createRequire(import.meta.url).resolve('parquet-wasm')).href
  return new Promise<Outcome>((resolve) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...data, wasmUrl, rowGroupRows: ROW_GROUP_ROWS, batchRows: BATCH_ROWS } })
    worker.once('message', (m: Outcome) => {
      resolve(m)
      void worker.terminate()
    })
    worker.once('error', (e) => resolve({ crashed: `it panicked (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})` }))
    worker.once('exit', (code) => resolve({ crashed: `it stopped (exit code ${code})` }))
  })
}

function wasmFailure(outcome: Outcome, name: string, undecodable: Undecodable[]): DvError {
  const why = outcome.error ?? outcome.crashed ?? 'it stopped'
  const code = /not (yet )?(supported|implemented)|unsupported/i.test(why) ? 'UNSUPPORTED' : 'CORRUPT'
  return new DvError(code, `cannot read ${name}: DuckDB cannot decode ${describeUndecodable(undecodable)} and parquet-wasm failed: ${why}`, {
    hint: code === 'UNSUPPORTED'
      ? UNDECODABLE_HINT
      : DAMAGED_HINT,
    details: { file: name, columns: undecodable },
  })
}
