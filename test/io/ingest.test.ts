import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import * as arrow from 'apache-arrow'
import { createDataEngine, detectFormat, type DataEngine } from '../../src/io/index.js'
import { readParquetBatches } from '../../src/io/arrow-parquet.js'
import type { Schema } from '../../src/format/types.js'
import { isDvError } from '../../src/errors.js'

let dir: string
let engine: DataEngine
let db: DuckDBInstance
let conn: DuckDBConnection

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-io-'))
  engine = await createDataEngine({ threads: 2 })
  db = await DuckDBInstance.create(':memory:')
  conn = await db.connect()
  await conn.run("SET TimeZone='UTC'")
})

afterAll(async () => {
  await engine.close()
  conn.closeSync()
  db.closeSync()
  await rm(dir, { recursive: true, force: true })
})

const CSV = [
  'id,name,amount,ts,tsz,d',
  '1,alice,1.5,2026-01-02 10:00:00,2026-01-02T10:00:00Z,2026-01-02',
  '2,bob,,2026-01-03 11:30:00,2026-01-03 11:30:00+02:00,2026-01-03',
  '3,,3.25,2026-01-03 23:59:59.123456,2026-01-03T23:59:59.5Z,',
].join('\n') + '\n'

const SCHEMA: Schema = {
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'name', type: 'string', required: false },
    { id: 3, name: 'amount', type: 'double', required: false },
    { id: 4, name: 'ts', type: 'timestamp', required: false },
    { id: 5, name: 'tsz', type: 'timestamptz', required: false },
    { id: 6, name: 'd', type: 'date', required: false },
  ],
}

async function csvFile(name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

describe('detectFormat', () => {
  it('maps extensions to input formats', () => {
    expect(detectFormat('a/b.CSV')).toBe('csv')
    expect(detectFormat('x.jsonl')).toBe('ndjson')
    expect(detectFormat('x.json')).toBe('ndjson')
    expect(detectFormat('x.pq')).toBe('parquet')
    expect(detectFormat('x.feather')).toBe('arrow')
    expect(detectFormat('x.txt')).toBeUndefined()
  })
})

describe('openSource + writeParquet', () => {
  it('ingests a CSV with typed columns, field ids and canonical stats', async () => {
    const src = await engine.openSource(await csvFile('a.csv', CSV), { tmpDir: join(dir, 'tmp') })
    expect(src.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'long'], ['name', 'string'], ['amount', 'double'], ['ts', 'timestamp'], ['tsz', 'timestamptz'], ['d', 'date'],
    ])
    expect(await src.fingerprint()).toMatch(/^[0-9a-f]{64}$/)
    const files = await src.writeParquet({ schema: SCHEMA, partitionSpec: [], outDir: join(dir, 'out-a') })
    await src.close()
    expect(files).toHaveLength(1)
    const f = files[0]
    expect(f.temporary).toBe(true)
    expect(f.rows).toBe(3)
    expect(f.bytes).toBe((await stat(f.path)).size)
    expect(f.partition).toEqual({})
    expect(f.columns['1']).toEqual({ name: 'id', min: '1', max: '3', nulls: 0 })
    expect(f.columns['2']).toEqual({ name: 'name', min: 'alice', max: 'bob', nulls: 1 })
    expect(f.columns['3']).toEqual({ name: 'amount', min: '1.5', max: '3.25', nulls: 1 })
    expect(f.columns['4']).toEqual({ name: 'ts', min: '2026-01-02T10:00:00.000000', max: '2026-01-03T23:59:59.123456', nulls: 0 })
    expect(f.columns['5']).toEqual({ name: 'tsz', min: '2026-01-02T10:00:00.000000Z', max: '2026-01-03T23:59:59.500000Z', nulls: 0 })
    expect(f.columns['6']).toEqual({ name: 'd', min: '2026-01-02', max: '2026-01-03', nulls: 1 })

    const ids = await rows(`SELECT name, field_id FROM parquet_schema('${f.path}') WHERE num_children IS NULL`)
    expect(ids).toEqual(SCHEMA.fields.map((x) => ({ name: x.name, field_id: String(x.id) })))
    const back = await rows(`SELECT id, name, amount, strftime(ts, '%Y-%m-%dT%H:%M:%S.%f') ts, strftime(tsz, '%Y-%m-%dT%H:%M:%S.%fZ') tsz, d FROM read_parquet('${f.path}')`)
    expect(back).toEqual([
      { id: '1', name: 'alice', amount: 1.5, ts: '2026-01-02T10:00:00.000000', tsz: '2026-01-02T10:00:00.000000Z', d: '2026-01-02' },
      { id: '2', name: 'bob', amount: null, ts: '2026-01-03T11:30:00.000000', tsz: '2026-01-03T09:30:00.000000Z', d: '2026-01-03' },
      { id: '3', name: null, amount: 3.25, ts: '2026-01-03T23:59:59.123456', tsz: '2026-01-03T23:59:59.500000Z', d: null },
    ])
    // parquet-wasm reads the same file: µs timestamps, UTC for timestamptz
    const batches = []
    for await (const b of readParquetBatches(f.path)) batches.push(b)
    const table = new arrow.Table(batches)
    expect(table.numRows).toBe(3)
    expect(table.getChild('id')!.toArray()).toEqual(new BigInt64Array([1n, 2n, 3n]))
    expect(String(table.schema.fields.find((x) => x.name === 'tsz')!.type)).toBe('Timestamp<MICROSECOND, UTC>')
    expect(table.getChild('name')!.get(2)).toBeNull()
  })

  it('partitions by day(ts) into one file per day with partition values', async () => {
    const src = await engine.openSource(await csvFile('p.csv', CSV), { tmpDir: join(dir, 'tmp') })
    const spec = [{ sourceId: 5, fieldId: 1000, name: 'tsz_day', transform: 'day' as const }]
    const files = await src.writeParquet({ schema: SCHEMA, partitionSpec: spec, outDir: join(dir, 'out-p') })
    await src.close()
    const byDay = Object.fromEntries(files.map((f) => [f.partition['1000'], f]))
    expect(Object.keys(byDay).sort()).toEqual(['2026-01-02', '2026-01-03'])
    expect(byDay['2026-01-03'].rows).toBe(2)
    expect(byDay['2026-01-03'].columns['1']).toMatchObject({ min: '2', max: '3' })
    const cols = await rows(`SELECT name FROM parquet_schema('${byDay['2026-01-02'].path}') WHERE num_children IS NULL`)
    expect(cols.map((c) => c.name)).toEqual(SCHEMA.fields.map((x) => x.name)) // no synthetic partition column
  })

  it('puts NULL partition values in their own file and supports identity on strings', async () => {
    const src = await engine.openSource(await csvFile('n.csv', CSV), { tmpDir: join(dir, 'tmp') })
    const spec = [{ sourceId: 2, fieldId: 1000, name: 'name', transform: 'identity' as const }, { sourceId: 6, fieldId: 1001, name: 'd_month', transform: 'month' as const }]
    const files = await src.writeParquet({ schema: SCHEMA, partitionSpec: spec, outDir: join(dir, 'out-n') })
    await src.close()
    const parts = files.map((f) => [f.partition['1000'], f.partition['1001'], f.rows]).sort()
    expect(parts).toEqual([['alice', '2026-01', 1], ['bob', '2026-01', 1], [null, null, 1]].sort())
  })

  it('ingests NDJSON', async () => {
    const path = join(dir, 'e.ndjson')
    await writeFile(path, '{"id": 7, "name": "x", "ts": "2026-02-01 00:00:00"}\n{"id": 8, "name": null, "ts": null}\n')
    const src = await engine.openSource(path, { tmpDir: join(dir, 'tmp') })
    expect(src.format).toBe('ndjson')
    const schema: Schema = { fields: [{ id: 1, name: 'id', type: 'long', required: false }, { id: 2, name: 'name', type: 'string', required: false }, { id: 3, name: 'ts', type: 'timestamp', required: false }] }
    const [f] = await src.writeParquet({ schema, partitionSpec: [], outDir: join(dir, 'out-e') })
    await src.close()
    expect(f.rows).toBe(2)
    expect(f.columns['3']).toEqual({ name: 'ts', min: '2026-02-01T00:00:00.000000', max: '2026-02-01T00:00:00.000000', nulls: 1 })
  })

  it('ingests an Arrow Table (spooled via parquet-wasm) and fingerprints the spooled bytes', async () => {
    const table = arrow.tableFromArrays({ id: Int32Array.from([1, 2, 3]), name: ['a', 'b', 'c'] })
    const src = await engine.openSource(table, { tmpDir: join(dir, 'tmp') })
    expect(src.format).toBe('arrow')
    expect(src.columns.map((c) => [c.name, c.type])).toEqual([['id', 'int'], ['name', 'string']])
    const again = await engine.openSource(table, { tmpDir: join(dir, 'tmp') })
    expect(await src.fingerprint()).toBe(await again.fingerprint())
    await again.close()
    const schema: Schema = { fields: [{ id: 1, name: 'id', type: 'long', required: false }, { id: 2, name: 'name', type: 'string', required: false }] }
    const [f] = await src.writeParquet({ schema, partitionSpec: [], outDir: join(dir, 'out-arrow') })
    await src.close()
    expect(f.rows).toBe(3)
    expect(f.columns['1']).toEqual({ name: 'id', min: '1', max: '3', nulls: 0 })
    expect(await rows(`SELECT typeof(id) t FROM read_parquet('${f.path}') LIMIT 1`)).toEqual([{ t: 'BIGINT' }])
  })

  it('ingests an async iterable of RecordBatches', async () => {
    const t = arrow.tableFromArrays({ v: Float64Array.from([1, 2]) })
    async function* gen() { yield* t.batches; yield* t.batches }
    const src = await engine.openSource(gen(), { tmpDir: join(dir, 'tmp') })
    const [f] = await src.writeParquet({ schema: { fields: [{ id: 1, name: 'v', type: 'double', required: false }] }, partitionSpec: [], outDir: join(dir, 'out-it') })
    await src.close()
    expect(f.rows).toBe(4)
  })

  it('stores a matching Parquet file as-is, with stats from the footer', async () => {
    const path = join(dir, 'asis.parquet')
    await conn.run(`COPY (SELECT range::BIGINT AS id, 'x' || range AS name FROM range(1000)) TO '${path}' (FORMAT parquet)`)
    const schema: Schema = { fields: [{ id: 1, name: 'id', type: 'long', required: false }, { id: 2, name: 'name', type: 'string', required: false }] }
    const src = await engine.openSource(path, { tmpDir: join(dir, 'tmp') })
    const files = await src.writeParquet({ schema, partitionSpec: [], outDir: join(dir, 'out-asis') })
    await src.close()
    expect(files).toEqual([{
      path, temporary: false, rows: 1000, bytes: (await stat(path)).size, partition: {},
      columns: { '1': { name: 'id', min: '0', max: '999', nulls: 0 }, '2': { name: 'name', min: 'x0', max: 'x999', nulls: 0 } },
    }])
    // a type that needs a cast is rewritten instead
    const wider: Schema = { fields: [{ id: 1, name: 'id', type: 'double', required: false }, { id: 2, name: 'name', type: 'string', required: false }] }
    const again = await engine.openSource(path, { tmpDir: join(dir, 'tmp') })
    const [rewritten] = await again.writeParquet({ schema: wider, partitionSpec: [], outDir: join(dir, 'out-asis2') })
    await again.close()
    expect(rewritten.temporary).toBe(true)
    expect(rewritten.columns['1']).toEqual({ name: 'id', min: '0', max: '999', nulls: 0 })
  })

  it('casts int to long, writes missing optional columns as NULL, and rejects string into long', async () => {
    const path = await csvFile('c.csv', 'a,b\n1,x\n2,y\n')
    const ok: Schema = { fields: [{ id: 1, name: 'a', type: 'long', required: false }, { id: 2, name: 'b', type: 'string', required: false }, { id: 3, name: 'c', type: 'double', required: false }] }
    const src = await engine.openSource(path, { tmpDir: join(dir, 'tmp') })
    const [f] = await src.writeParquet({ schema: ok, partitionSpec: [], outDir: join(dir, 'out-c') })
    expect(f.columns['3']).toEqual({ name: 'c', nulls: 2 })
    const bad: Schema = { fields: [{ id: 1, name: 'a', type: 'long', required: false }, { id: 2, name: 'b', type: 'long', required: false }] }
    const err = await src.writeParquet({ schema: bad, partitionSpec: [], outDir: join(dir, 'out-c2') }).catch((e) => e)
    expect(isDvError(err, 'INVALID_ARGUMENT')).toBe(true)
    expect(err.message).toContain("'b'")
    expect(err.message).toContain('string')
    expect(err.hint).toBeTruthy()
    const missingRequired: Schema = { fields: [...ok.fields, { id: 4, name: 'must', type: 'long', required: true }] }
    await expect(src.writeParquet({ schema: missingRequired, partitionSpec: [], outDir: join(dir, 'out-c3') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(src.writeParquet({ schema: { fields: [ok.fields[0]] }, partitionSpec: [], outDir: join(dir, 'out-c4') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await src.close()
  })

  it('reports a ragged CSV row with its line number', async () => {
    const small = await csvFile('rag.csv', 'a,b\n1,2\n3,4,5\n6,7\n')
    const err = await engine.openSource(small, { tmpDir: join(dir, 'tmp') }).then(async (s) => {
      await s.writeParquet({ schema: { fields: [{ id: 1, name: 'a', type: 'long', required: false }, { id: 2, name: 'b', type: 'long', required: false }] }, partitionSpec: [], outDir: join(dir, 'out-r') })
    }).catch((e) => e)
    expect(isDvError(err, 'INVALID_ARGUMENT')).toBe(true)
    expect(err.message).toContain('rag.csv')
    expect(err.message).toContain('line 3')
    const lines = ['a,b', ...Array.from({ length: 30000 }, (_, i) => `${i},${i}`), '1,2,3', '5,6']
    const big = await csvFile('rag-late.csv', lines.join('\n') + '\n')
    const src = await engine.openSource(big, { tmpDir: join(dir, 'tmp') })
    const late = await src.writeParquet({ schema: { fields: [{ id: 1, name: 'a', type: 'long', required: false }, { id: 2, name: 'b', type: 'long', required: false }] }, partitionSpec: [], outDir: join(dir, 'out-r2') }).catch((e) => e)
    await src.close()
    expect(isDvError(late, 'INVALID_ARGUMENT')).toBe(true)
    expect(late.message).toContain('line 30002')
    // a ragged LAST row must not make the sniffer take it for the header (and read nothing)
    const last = await csvFile('rag-last.csv', 'id,ts,kind\n1,2026-01-01 10:00:00,a\n2,2026-01-01 11:00:00,b,extra\n')
    const lastErr = await engine.openSource(last, { tmpDir: join(dir, 'tmp') }).catch((e) => e)
    expect(isDvError(lastErr, 'INVALID_ARGUMENT')).toBe(true)
    expect(lastErr.message).toContain('line 3')
  })

  it('spools a byte stream (needs a format) and splits output by target size', async () => {
    const lines = ['id,name', ...Array.from({ length: 20000 }, (_, i) => `${i},name-${(i * 7919) % 10007}-${i}`)]
    const text = lines.join('\n') + '\n'
    await expect(engine.openSource(Readable.from([text]), { tmpDir: join(dir, 'tmp') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const src = await engine.openSource(Readable.from([Buffer.from(text)]), { tmpDir: join(dir, 'tmp'), format: 'csv' })
    expect(src.name).toBe('<stream>')
    expect(src.bytes).toBe(Buffer.byteLength(text))
    expect(await src.fingerprint()).toBe(createHash('sha256').update(text).digest('hex'))
    const schema: Schema = { fields: [{ id: 1, name: 'id', type: 'long', required: false }, { id: 2, name: 'name', type: 'string', required: false }] }
    const files = await src.writeParquet({ schema, partitionSpec: [], outDir: join(dir, 'out-s'), targetFileBytes: 20000 })
    expect(files.length).toBeGreaterThan(1)
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(20000)
    // files come in write order: ids ascend across them
    expect(files.map((f) => Number(f.columns['1'].min))).toEqual([...files.map((f) => Number(f.columns['1'].min))].sort((a, b) => a - b))
    // a partition bigger than the target is split too
    const spec = [{ sourceId: 1, fieldId: 1000, name: 'id', transform: 'identity' as const }]
    const one = await engine.openSource(Readable.from([Buffer.from(lines.slice(0, 2).join('\n') + '\n')]), { tmpDir: join(dir, 'tmp'), format: 'csv' })
    expect(await one.writeParquet({ schema, partitionSpec: spec, outDir: join(dir, 'out-s2') })).toMatchObject([{ partition: { '1000': '0' }, rows: 1 }])
    await one.close()
    const withDate: Schema = { fields: [...schema.fields, { id: 3, name: 'd', type: 'date', required: false }] }
    const daySpec = [{ sourceId: 3, fieldId: 1000, name: 'd_day', transform: 'day' as const }]
    const part = await src.writeParquet({ schema: withDate, partitionSpec: daySpec, outDir: join(dir, 'out-s3'), targetFileBytes: 20000 })
    expect(part.length).toBeGreaterThan(1)
    expect(part.every((f) => f.partition['1000'] === null && f.columns['3'].nulls === f.rows)).toBe(true)
    expect(part.reduce((n, f) => n + f.rows, 0)).toBe(20000)
    await src.close()
  })

  it('keeps the row order of an input no bigger than the target file size', async () => {
    // Many row groups, read by two threads; INTEGER ids are cast to long, so the file is rewritten, not stored as-is.
    // (With FILE_SIZE_BYTES rotation DuckDB interleaves the threads' rows.)
    const path = join(dir, 'order.parquet')
    await conn.run(`COPY (SELECT range::INTEGER AS id, 'v' || (range * 7919 % 10007) AS name FROM range(150000)) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 4096)`)
    const src = await engine.openSource(path, { tmpDir: join(dir, 'tmp') })
    const schema: Schema = { fields: [{ id: 1, name: 'id', type: 'long', required: false }, { id: 2, name: 'name', type: 'string', required: false }] }
    const files = await src.writeParquet({ schema, partitionSpec: [], outDir: join(dir, 'out-order') })
    await src.close()
    expect(files).toHaveLength(1)
    expect(files[0].temporary).toBe(true)
    const [check] = await rows(`SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE id <= prev)::INTEGER AS disorder FROM (SELECT id, lag(id) OVER () AS prev FROM read_parquet('${files[0].path}'))`)
    expect(check).toEqual({ n: 150000, disorder: 0 })
  })

  it('reports a value that does not parse, naming the line and column', async () => {
    const lines = ['a,b', ...Array.from({ length: 30000 }, (_, i) => `${i},${i}`), 'zz,1']
    const src = await engine.openSource(await csvFile('late-bad.csv', lines.join('\n') + '\n'), { tmpDir: join(dir, 'tmp') })
    expect(src.columns[0].type).toBe('long')
    const err = await src.writeParquet({ schema: { fields: [{ id: 1, name: 'a', type: 'long', required: false }, { id: 2, name: 'b', type: 'long', required: false }] }, partitionSpec: [], outDir: join(dir, 'out-lb') }).catch((e) => e)
    await src.close()
    expect(isDvError(err, 'INVALID_ARGUMENT')).toBe(true)
    expect(err.message).toContain('late-bad.csv')
    expect(err.message).toContain('line 30002')
    expect(err.details.column).toBe('a')
  })

  it('names missing files and unknown formats', async () => {
    await expect(engine.openSource(join(dir, 'nope.csv'), { tmpDir: dir })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    const odd = await csvFile('data.txt', 'a\n1\n')
    const err = await engine.openSource(odd, { tmpDir: dir }).catch((e) => e)
    expect(err.code).toBe('INVALID_ARGUMENT')
    expect(err.hint).toContain('--format csv|ndjson|parquet|arrow')
    const ok = await engine.openSource(odd, { tmpDir: dir, format: 'csv' })
    expect(ok.columns).toEqual([{ name: 'a', type: 'long', nullable: true, duckType: 'BIGINT' }])
    await ok.close()
  })

  it('reads NDJSON objects and arrays as structs and lists', async () => {
    const path = join(dir, 'nested.ndjson')
    await writeFile(path, '{"id": 1, "tags": [1, 2], "p": {"u": "x"}}\n')
    const source = await engine.openSource(path, { tmpDir: dir })
    expect(source.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'long'],
      ['tags', { type: 'list', elementId: 0, element: 'long', elementRequired: false }],
      ['p', { type: 'struct', fields: [{ id: 0, name: 'u', type: 'string', required: false }] }],
    ])
    await source.close()
  })

  it('rejects column types dv cannot store, inside nested columns too', async () => {
    const path = join(dir, 'interval.parquet')
    await conn.run(`COPY (SELECT 1 AS id, {'a': INTERVAL 1 DAY} AS s) TO '${path}' (FORMAT parquet)`)
    const err = await engine.openSource(path, { tmpDir: dir }).catch((e) => e)
    expect(err.code).toBe('UNSUPPORTED')
    expect(err.message).toContain("'s'")
    expect(err.message).toContain('INTERVAL')
  })
})
