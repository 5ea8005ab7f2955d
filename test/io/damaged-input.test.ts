/**
 * Damaged input is the input's fault, never dv's: every engine error that
 * says "these bytes are damaged" is CORRUPT (exit 5) naming the file, a file
 * in a form dv does not read is INVALID_ARGUMENT or UNSUPPORTED, and nothing
 * here is INTERNAL (exit 1, kept for dv's own bugs).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import * as arrow from 'apache-arrow'
import { createDataEngine, type DataEngine, type InputFormat } from '../../src/io/index.js'
import { toDvError } from '../../src/io/duck.js'
import type { Schema } from '../../src/format/types.js'

let dir: string
let engine: DataEngine
let db: DuckDBInstance
let conn: DuckDBConnection

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-damaged-'))
  engine = await createDataEngine({ threads: 2 })
  db = await DuckDBInstance.create(':memory:')
  conn = await db.connect()
})

afterAll(async () => {
  await engine.close()
  conn.closeSync()
  db.closeSync()
  await rm(dir, { recursive: true, force: true })
})

async function file(name: string, bytes: Uint8Array | string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, bytes)
  return path
}

/** Opens and writes `path` as a table of its own columns, then reads the result back: the whole ingest path. */
async function ingest(path: string, format?: InputFormat): Promise<number> {
  const source = await engine.openSource(path, { tmpDir: join(dir, 'tmp'), ...(format ? { format } : {}) })
  try {
    const schema: Schema = { fields: source.columns.map((c, i) => ({ id: i + 1, name: c.name, type: c.type, required: false })) }
    const files = await source.writeParquet({ schema, partitionSpec: [], outDir: join(dir, 'out') })
    await engine.readBack(files)
    return files.reduce((n, f) => n + f.rows, 0)
  } finally {
    await source.close()
  }
}

async function failure(path: string, format?: InputFormat): Promise<{ code: string; message: string }> {
  const err = await ingest(path, format).then(() => undefined, (e) => e)
  expect(err, `${path} was accepted`).toBeDefined()
  return err
}

describe('toDvError', () => {
  it.each([
    ['Invalid Error: TProtocolException: Invalid data', 'CORRUPT'],
    ["Invalid Error: don't know what type: ", 'CORRUPT'],
    ['Invalid Error: Payload value bigger than allowed. Corrupted file?', 'CORRUPT'],
    // any other exception of a library DuckDB embeds, raised while reading
    ['Invalid Error: This page does not have a dictionary', 'CORRUPT'],
    ["Invalid Input Error: No magic bytes found at end of file 'x.parquet'", 'CORRUPT'],
    ["Invalid Input Error: File 'x.parquet' too small to be a Parquet file", 'CORRUPT'],
    ['Invalid Input Error: Failed to read file "x": ZSTD Decompression failure', 'CORRUPT'],
    ['Invalid Input Error: Failed to read file "x": Snappy decompression failure: Uncompressed data size mismatch', 'CORRUPT'],
    ['IO Error: Failed to decode gzip stream: data error', 'CORRUPT'],
    ['Invalid Input Error: Failed to read file "x": Unsupported compression codec "LZ4". Supported options are uncompressed, brotli, gzip, lz4_raw, snappy or zstd', 'UNSUPPORTED'],
    ['Invalid Error: BYTE_STREAM_SPLIT encoding is only supported for FLOAT or DOUBLE data', 'UNSUPPORTED'],
    ['Conversion Error: Could not convert string \'x\' to INT64', 'INVALID_ARGUMENT'],
    ['Invalid Input Error: CSV Error on Line: 2; Invalid unicode (byte sequence mismatch) detected.', 'INVALID_ARGUMENT'],
    ['IO Error: No files found that match the pattern "x"', 'NOT_FOUND'],
    ['IO Error: Could not write file "x": No space left on device', 'STORAGE'],
    ['INTERNAL Error: Attempted to access index 3 within vector of size 3', 'INTERNAL'],
  ])('%s -> %s', (message, code) => {
    expect(toDvError(new Error(message), 'cannot read x').code).toBe(code)
  })
})

describe('damaged Parquet', () => {
  let good: string
  beforeAll(async () => {
    good = join(dir, 'good.parquet')
    await conn.run(`COPY (SELECT range AS id, 'v' || range AS s FROM range(5000)) TO '${good}' (FORMAT parquet, COMPRESSION zstd)`)
  })

  it('ingests the good file', async () => {
    expect(await ingest(good)).toBe(5000)
  })

  it.each([
    ['bad footer magic', (b: Buffer) => Buffer.concat([b.subarray(0, -4), Buffer.from('PAR0')])],
    ['a cut', (b: Buffer) => b.subarray(0, b.length >> 1)],
    ['a garbled Thrift footer', (b: Buffer) => Buffer.from(b).fill(0xff, b.length - 8 - b.readUInt32LE(b.length - 8) + 6, b.length - 40)],
    ['a garbled page header', (b: Buffer) => Buffer.from(b).fill(0xff, 6, 14)],
    ['flipped bytes in a page', (b: Buffer) => Buffer.from(b).fill(0x5a, 30, 60)],
    ['not Parquet at all', () => Buffer.from('id,s\n1,a\n')],
  ])('is CORRUPT with %s, naming the file', async (what, damage) => {
    const path = await file(`damaged-${what.replace(/ /g, '-')}.parquet`, damage(await readFile(good)))
    const err = await failure(path)
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toContain(path)
  })
})

describe('damaged text input', () => {
  it('is INVALID_ARGUMENT for CSV and NDJSON that are not UTF-8, naming the file', async () => {
    for (const [name, text] of [['latin1.csv', Buffer.from('a,b\n1,caf\xe9\n', 'latin1')], ['latin1.ndjson', Buffer.from('{"a":1,"b":"caf\xe9"}\n', 'latin1')]] as const) {
      const path = await file(name, text)
      const err = await failure(path)
      expect(err.code).toBe('INVALID_ARGUMENT')
      expect(err.message).toContain(path)
    }
  })

  it('is CORRUPT for a .gz input that is not a gzip stream', async () => {
    // a gzip header, then bytes no deflate stream starts with
    const garbage = await file('garbage.csv.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from(Array.from({ length: 2560 }, (_, i) => i % 256))]))
    expect((await failure(garbage, 'csv')).code).toBe('CORRUPT')
  })
})

describe('damaged Arrow IPC', () => {
  const table = () => arrow.tableFromArrays({ id: Int32Array.from({ length: 10_000 }, (_, i) => i), s: Array.from({ length: 10_000 }, (_, i) => `s${i}`) })
  function batched(format: 'stream' | 'file'): Uint8Array {
    const t = table()
    const batches = [0, 1, 2, 3].map((k) => t.slice(k * 2500, (k + 1) * 2500).batches[0])
    return arrow.tableToIPC(new arrow.Table(batches), format)
  }

  it('ingests the good stream and file', async () => {
    expect(await ingest(await file('good.arrows', batched('stream')))).toBe(10_000)
    expect(await ingest(await file('good.arrow', batched('file')))).toBe(10_000)
  })

  it('is CORRUPT for a stream cut inside a message (not exit 0 with the rows before the cut)', async () => {
    const bytes = batched('stream')
    const path = await file('cut.arrows', bytes.subarray(0, (bytes.length >> 1) + 100))
    const err = await failure(path)
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toContain(path)
  })

  it('is CORRUPT or INVALID_ARGUMENT for a garbled or cut IPC file, never INTERNAL', async () => {
    const bytes = Buffer.from(batched('file'))
    for (const [name, damaged] of [
      ['garbled.arrow', Buffer.from(bytes).fill(0xff, 300, 364)],
      ['cut.arrow', bytes.subarray(0, bytes.length >> 1)],
      ['not.arrow', Buffer.from('hello, this is not arrow at all')],
    ] as const) {
      const err = await failure(await file(name, damaged))
      expect(['CORRUPT', 'INVALID_ARGUMENT'], `${name}: ${err.message}`).toContain(err.code)
    }
  })
})
