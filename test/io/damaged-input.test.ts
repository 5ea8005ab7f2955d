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
import { firstBadSequence } from '../../src/io/text-damage.js'
import type { DvError } from '../../src/errors.js'
import { assignSchemaIds } from '../../src/format/field-ids.js'
import { isUtf8 } from 'node:buffer'
import { gzipSync } from 'node:zlib'

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
    const { schema } = assignSchemaIds({ fields: source.columns.map((c) => ({ id: 0, name: c.name, type: c.type, required: false })) })
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

  // each: the line and the words dv gives, found by reading the file itself (DuckDB's line numbers can be off)
  const rows = (n: number, line: (i: number) => string): string => Array.from({ length: n }, (_, i) => line(i)).join('')
  it.each([
    ['latin1.csv', Buffer.from('a,b\n1,caf\xe9\n2,x\n', 'latin1'), 2, 'byte 6 (0xE9) is not UTF-8'],
    ['overlong.csv', Buffer.from([...Buffer.from('a,b\n1,'), 0xc0, 0xaf, 0x0a]), 2, 'byte 3 (0xC0) is not UTF-8'],
    ['surrogate.csv', Buffer.from([...Buffer.from('a,b\n1,2\n3,'), 0xed, 0xa0, 0x80, 0x0a]), 3, 'byte 3 (0xED) is not UTF-8'], // a surrogate: ED may not be followed by A0,
    ['cut-sequence.ndjson', Buffer.from([...Buffer.from('{"a":"'), 0xe2, 0x82, ...Buffer.from('"}\n')]), 1, 'bytes 7-8 (0xE2 0x82) are not UTF-8'],
    ['late-latin1.csv', Buffer.from(`a,b\n${rows(40_000, (i) => `${i},x${i}\n`)}1,caf\xe9\n`, 'latin1'), 40_002, 'byte 6 (0xE9) is not UTF-8'],
    ['open-quote.csv', 'a,b\n1,"x\n2,y\n', 2, 'a quoted field opens on this line and is never closed'],
    ['late-open-quote.csv', `a,b\n${rows(40_000, (i) => `${i},"x ""${i}"""\n`)}1,"x\n2,y\n`, 40_002, 'a quoted field opens on this line and is never closed'],
    ['cut-record.ndjson', '{"a":1}\n{"a":2\n', 2, 'not a JSON record: the record ends before it is complete'],
    ['open-string.ndjson', '{"a":"x"}\n{"a":"abc\n', 2, 'not a JSON record: the record ends before it is complete'],
    ['bad-literal.ndjson', '{"a":1}\n\n{"a": tru}\n', 3, 'not a JSON record:'],
    ['late-cut.ndjson', `${rows(40_000, (i) => `{"a":${i}}\n`)}{"a":1\n{"a":2}\n`, 40_001, 'not a JSON record: the record ends before it is complete'],
  ] as const)('%s: INVALID_ARGUMENT naming the line and what is wrong, in dv\'s words', async (name, bytes, line, what) => {
    const path = await file(name, bytes)
    const err = await failure(path) as DvError
    expect(err.code).toBe('INVALID_ARGUMENT')
    expect(err.message).toContain(`${path} line ${line}: ${what}`)
    expect(err.message).not.toMatch(/Invalid Input Error|sniffing|Original Line/)
    expect(err.details).toMatchObject({ file: path, line })
  })

  it('names the line of damage inside a gzip input', async () => {
    const path = await file('latin1.csv.gz', gzipSync(Buffer.from('a,b\n1,x\n2,caf\xe9\n', 'latin1')))
    const err = await failure(path) as DvError
    expect(err.message).toContain(`${path} line 3: byte 6 (0xE9) is not UTF-8`)
  })

  it('finds the first ill-formed UTF-8 sequence exactly where the decoder does (random bytes)', () => {
    let seed = 7
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) / 65536
    for (let round = 0; round < 3000; round++) {
      // mostly valid text with a few random bytes: exercises every lead byte and cut
      const text = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => String.fromCodePoint(Math.floor(rand() * 0x10ffff) & ~0x800)).join('')
      const bytes = Buffer.from(text)
      for (let k = 0; k < 2; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256)
      const { at, length } = firstBadSequence(bytes)
      expect(length === 0, bytes.toString('hex')).toBe(isUtf8(bytes))
      if (length) {
        // the prefix before it is well formed; the sequence from `at` is not
        expect(isUtf8(bytes.subarray(0, at))).toBe(true)
        expect(new TextDecoder().decode(bytes.subarray(at, at + length)).startsWith('\ufffd')).toBe(true)
      }
    }
  })

  it('is CORRUPT for a .gz input that is not a gzip stream', async () => {
    // a gzip header, then bytes no deflate stream starts with
    const garbage = await file('garbage.csv.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from(Array.from({ length: 2560 }, (_, i) => i % 256))]))
    expect((await failure(garbage, 'csv')).code).toBe('CORRUPT')
  })
})

describe('NDJSON that is not a table', () => {
  const lines = (n: number, line: (i: number) => string): string => Array.from({ length: n }, (_, i) => line(i)).join('')
  it.each([
    ['scalars.ndjson', '5\n"x"\n', 'line 1 is a number, not a JSON object'],
    ['arrays.ndjson', '\n[1,2]\n[3]\n', 'line 2 is an array, not a JSON object'],
    ['mixed-nested.ndjson', '{"o":{"a":1}}\n{"o":{"a":"x"}}\n', "key 'o.a' holds a number on line 1 and a string on line 2"],
    ['nested.ndjson', '{"p":[{"x":1}]}\n{"p":[{"x":true}]}\n', "key 'p[].x' holds a number on line 1 and a boolean on line 2"],
    ['elements.ndjson', '{"id":1,"e":[1,"x"]}\n', "the elements of key 'e' hold a number on line 1 and a string on line 1"],
    ['far-mix.ndjson', `${lines(10_000, (i) => `{"a":${i},"s":{"v":"v${i}"}}\n`)}{"a":1,"s":{"v":{"k":1}}}\n`, "key 's.v' holds a string on line 1 and an object on line 10001"],
  ] as const)('%s: INVALID_ARGUMENT naming the key, the types and their lines (a JSON-typed column would keep quotes)', async (name, text, what) => {
    const path = await file(name, text)
    const err = await failure(path) as DvError
    expect(err.code).toBe('INVALID_ARGUMENT')
    expect(err.message).toContain(what)
  })

  it('reads a gzip input the same way', async () => {
    const path = await file('mixed.ndjson.gz', gzipSync('{"o":{"a":"x"}}\n{"o":{"a":2}}\n'))
    expect((await failure(path)).message).toContain("key 'o.a' holds a string on line 1 and a number on line 2")
  })

  it('still ingests keys that decide nothing (nulls, empty arrays and objects), a key named json, and ints with doubles', async () => {
    for (const [name, text] of [
      ['empties.ndjson', '{"id":1,"n":null,"l":[],"o":{}}\n{"id":2,"n":null,"l":[],"o":{}}\n'],
      ['json-key.ndjson', '{"json":1}\n{"json":2}\n'],
      ['numbers.ndjson', '{"v":1}\n{"v":2.5}\n'],
    ] as const) {
      expect(await ingest(await file(name, text))).toBe(2)
    }
  })

  it('refuses a top-level key of mixed types: no value is stored as the text of another type', async () => {
    // (a value first seen after the sample: test/io/late-values.test.ts)
    const path = await file('mixed.ndjson', '{"a":1}\n{"a":"x"}\n{"a":[1]}\n{"a":null}\n')
    const err = await failure(path) as DvError
    expect(err.code).toBe('INVALID_ARGUMENT')
    expect(err.message).toContain("key 'a' holds a number on line 1 and a string on line 2")
    expect(err.details).toMatchObject({ column: 'a', lines: [1, 2], types: ['number', 'string'] })
    expect(err.hint).toContain('--schema "a string')
  })

  it('reads a top-level key the table declares a string as text: a string is itself, other values their JSON text', async () => {
    const source = await engine.openSource(await file('mixed-declared.ndjson', '{"a":1}\n{"a":"x"}\n{"a":[1]}\n{"a":null}\n'), { tmpDir: join(dir, 'tmp'), schema: assignSchemaIds({ fields: [{ id: 0, name: 'a', type: 'string', required: false }] }).schema })
    try {
      expect(source.columns.map((c) => [c.name, c.type])).toEqual([['a', 'string']])
      const { schema } = assignSchemaIds({ fields: [{ id: 0, name: 'a', type: 'string', required: false }] })
      const [out] = await source.writeParquet({ schema, partitionSpec: [], outDir: join(dir, 'out-mixed-declared') })
      const rows = (await conn.runAndReadAll(`SELECT a FROM read_parquet('${out.path}')`)).getRowObjectsJson().map((r) => r.a)
      expect(rows).toEqual(['1', 'x', '[1]', null])
    } finally {
      await source.close()
    }
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
