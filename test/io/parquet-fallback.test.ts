/**
 * Parquet that DuckDB cannot decode: written here by parquet-wasm (arrow-rs),
 * a real writer of both kinds (the LZ4 codec in Hadoop framing, and
 * BYTE_STREAM_SPLIT on integers). DuckDB, the reader of every scan, fails on
 * both; dv reads them through parquet-wasm into a zstd file DuckDB reads, or
 * rejects them (CORRUPT) when parquet-wasm fails too, without taking the
 * process down with a panicking wasm reader.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import * as arrow from 'apache-arrow'
import * as pw from 'parquet-wasm'
import { createDataEngine, type DataEngine } from '../../src/io/index.js'
import type { Schema } from '../../src/format/types.js'
import { assignSchemaIds } from '../../src/format/field-ids.js'
import { misreadLists } from '../../src/io/parquet-layout.js'

const ROWS = 5000
let dir: string
let engine: DataEngine
let db: DuckDBInstance
let conn: DuckDBConnection

const SCHEMA: Schema = {
  fields: [
    { id: 1, name: 'id', type: 'long', required: false },
    { id: 2, name: 'v', type: 'long', required: false },
    { id: 3, name: 's', type: 'string', required: false },
  ],
}

function table(): arrow.Table {
  const id = BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i))
  const v = BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i) * 7_919_000_003n - 3n ** 30n)
  return new arrow.Table({
    id: arrow.makeVector(id),
    v: arrow.makeVector(v),
    s: arrow.vectorFromArray(Array.from({ length: ROWS }, (_, i) => (i % 9 === 0 ? null : `row ${i}`)), new arrow.Utf8()),
  })
}

async function writeWasm(name: string, configure: (b: pw.WriterPropertiesBuilder) => pw.WriterPropertiesBuilder): Promise<string> {
  const path = join(dir, name)
  const props = configure(new pw.WriterPropertiesBuilder().setMaxRowGroupSize(2000)).build()
  await writeFile(path, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table(), 'stream')), props))
  return path
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]
}

let lz4: string
let bss: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-fallback-'))
  engine = await createDataEngine({ threads: 2 })
  db = await DuckDBInstance.create(':memory:')
  conn = await db.connect()
  lz4 = await writeWasm('lz4-hadoop.parquet', (b) => b.setCompression(pw.Compression.LZ4))
  bss = await writeWasm('bss-int64.parquet', (b) => b.setCompression(pw.Compression.ZSTD).setColumnDictionaryEnabled('v', false).setColumnEncoding('v', pw.Encoding.BYTE_STREAM_SPLIT))
})

afterAll(async () => {
  await engine.close()
  conn.closeSync()
  db.closeSync()
  await rm(dir, { recursive: true, force: true })
})

describe('legacy list layouts DuckDB misreads', () => {
  // parquet-mr's one-field repeated groups named `array` / `<list>_tuple`: the group is the element (LogicalTypes.md)
  const legacy = join(import.meta.dirname, '../fixtures/nested/legacy-lists.parquet')

  it('really are misread by DuckDB 1.5.6 (if this fails, revisit misreadLists in src/io/parquet-layout.ts)', async () => {
    const types = Object.fromEntries((await rows(`DESCRIBE SELECT one, one_tuple_list, points, bag FROM read_parquet('${legacy}')`)).map((r) => [r.column_name, r.column_type]))
    expect(types).toEqual({ one: 'INTEGER[]', one_tuple_list: 'VARCHAR[]', points: 'STRUCT(x INTEGER, y DOUBLE)[]', bag: 'INTEGER[]' })
  })

  it('are found in the footer, and only they: not 2-level lists of primitives or of several fields, bag/array, or maps', async () => {
    const schema = await rows(`SELECT name, repetition_type, num_children, converted_type FROM parquet_schema('${legacy}')`)
    expect(misreadLists(schema).map((u) => [u.column, u.legacyList])).toEqual([['one', 'array'], ['one_tuple_list', 'one_tuple_list_tuple']])
    // nested: the rule holds below the top level too
    const nested = [
      { name: 'm', num_children: 1 },
      { name: 's', repetition_type: 'OPTIONAL', num_children: 1 },
      { name: 'l', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
      { name: 'array', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'x', repetition_type: 'OPTIONAL' },
    ]
    expect(misreadLists(nested).map((u) => u.column)).toEqual(['s, l'])
  })

  it('are read by the rule: a list of one-field structs, through parquet-wasm, the other layouts as they are', async () => {
    const source = await engine.openSource(legacy, { tmpDir: join(dir, 'tmp') })
    try {
      const byName = Object.fromEntries(source.columns.map((c) => [c.name, c.type]))
      expect(byName.one).toEqual({ type: 'list', elementId: expect.any(Number), element: { type: 'struct', fields: [expect.objectContaining({ name: 'x', type: 'int' })] }, elementRequired: expect.any(Boolean) })
      expect(byName.one_tuple_list).toMatchObject({ type: 'list', element: { type: 'struct', fields: [{ name: 's', type: 'string' }] } })
      expect(byName.bag).toMatchObject({ type: 'list', element: 'int' })
      expect(byName.nums).toMatchObject({ type: 'list', element: 'int' })
      const { schema } = assignSchemaIds({ fields: source.columns.map((c) => ({ id: 0, name: c.name, type: c.type, required: false })) })
      const [file] = await source.writeParquet({ schema, partitionSpec: [], outDir: join(dir, 'out-legacy') })
      expect(file.temporary).toBe(true)
      const back = await rows(`SELECT id, one, one_tuple_list FROM read_parquet('${file.path}') ORDER BY id`)
      expect(back).toEqual([
        { id: '1', one: [{ x: 1 }], one_tuple_list: [{ s: 'p' }, { s: null }] },
        { id: '2', one: [{ x: null }], one_tuple_list: [] },
        { id: '3', one: null, one_tuple_list: null },
        { id: '4', one: [], one_tuple_list: [{ s: 'q' }] },
      ])
    } finally {
      await source.close()
    }
  })
})

describe('Parquet DuckDB cannot decode', () => {
  it('really is undecodable by DuckDB 1.5.6 (if this fails, revisit the allow-list in src/io/parquet-layout.ts)', async () => {
    // first() makes DuckDB decode the pages (max() may be answered from the statistics)
    await expect(rows(`SELECT first(s) FROM read_parquet('${lz4}')`)).rejects.toThrow(/Unsupported compression codec "LZ4"/)
    await expect(rows(`SELECT first(v) FROM read_parquet('${bss}')`)).rejects.toThrow(/BYTE_STREAM_SPLIT encoding is only supported for FLOAT or DOUBLE/)
    expect(await rows(`SELECT DISTINCT compression, encodings FROM parquet_metadata('${bss}') WHERE path_in_schema = 'v'`))
      .toEqual([{ compression: 'ZSTD', encodings: expect.stringContaining('BYTE_STREAM_SPLIT') }])
  })

  it.each([['LZ4 (Hadoop framing)', 'lz4'], ['BYTE_STREAM_SPLIT on INT64', 'bss']])('is rewritten as zstd through parquet-wasm: %s', async (_, which) => {
    const input = which === 'lz4' ? lz4 : bss
    const source = await engine.openSource(input, { tmpDir: join(dir, 'tmp') })
    try {
      expect(source.columns.map((c) => [c.name, c.type])).toEqual([['id', 'long'], ['v', 'long'], ['s', 'string']])
      const [file] = await source.writeParquet({ schema: SCHEMA, partitionSpec: [], outDir: join(dir, `out-${which}`) })
      expect(file.temporary).toBe(true) // never the user's bytes as they are
      expect(file.rows).toBe(ROWS)
      await engine.readBack([file])
      const back = await rows(`SELECT id, v, s FROM read_parquet('${file.path}') ORDER BY id`)
      const expected = table()
      expect(back.length).toBe(ROWS)
      for (const i of [0, 1, 8, 9, 1999, 2000, 4999]) {
        expect(back[i]).toEqual({ id: String(i), v: String(expected.getChild('v')!.get(i)), s: expected.getChild('s')!.get(i) })
      }
      // the fingerprint is of the user's bytes, not of the rewrite
      const { createHash } = await import('node:crypto')
      expect(await source.fingerprint()).toBe(createHash('sha256').update(await readFile(input)).digest('hex'))
    } finally {
      await source.close()
    }
  })

  it('is CORRUPT when the fallback reader fails too, and the process survives its panic', async () => {
    const bytes = Buffer.from(await readFile(lz4))
    // every page's Hadoop frame header (big-endian sizes) sits right after a page header: garble a stretch of the first pages
    bytes.fill(0xff, 200, 400)
    const damaged = join(dir, 'lz4-damaged.parquet')
    await writeFile(damaged, bytes)
    const err = await engine.openSource(damaged, { tmpDir: join(dir, 'tmp') }).catch((e) => e)
    expect(err).toMatchObject({ code: 'CORRUPT' })
    expect(err.message).toContain(damaged)
    expect(err.message).toMatch(/codec LZ4 in columns 'id', 'v', 's' and parquet-wasm failed: it panicked \(RuntimeError: unreachable\)/)
    // the engine still works
    const ok = await engine.openSource(bss, { tmpDir: join(dir, 'tmp') })
    await ok.close()
  })

  it('is refused by readBack when a write path skipped the fallback, naming the column and the encoding', async () => {
    const err = await engine.readBack([{ path: bss, temporary: false, rows: ROWS, bytes: 0, partition: {}, columns: {} }]).catch((e) => e)
    expect(err).toMatchObject({ code: 'UNSUPPORTED' })
    expect(err.message).toContain("encoding BYTE_STREAM_SPLIT on INT64 in column 'v'")
  })
})
