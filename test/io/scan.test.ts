import { mkdtemp, rm, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import * as arrow from 'apache-arrow'
import { createDataEngine, type DataEngine, type OutputFormat, type ScanFile, type ScanRequest } from '../../src/io/index.js'
import type { Schema } from '../../src/format/types.js'
import { isDvError } from '../../src/errors.js'

let dir: string
let engine: DataEngine
let db: DuckDBInstance
let conn: DuckDBConnection
let files: ScanFile[]

/** Table history: file 1 was written when the column was called `amount` and `note` did not exist. */
const SCHEMA: Schema = {
  fields: [
    { id: 1, name: 'id', type: 'long', required: false },
    { id: 2, name: 'value', type: 'double', required: false },
    { id: 3, name: 'ts', type: 'timestamptz', required: false },
    { id: 4, name: 'note', type: 'string', required: false },
  ],
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-scan-'))
  engine = await createDataEngine({ threads: 2, tmpDir: dir, readableDirectories: [dir] })
  db = await DuckDBInstance.create(':memory:')
  conn = await db.connect()
  const old = join(dir, 'old.parquet')
  const newer = join(dir, 'new.parquet')
  await conn.run(`COPY (SELECT range::BIGINT AS id, (range * 1.5)::DOUBLE AS amount, TIMESTAMPTZ '2026-01-01 00:00:00+00' + INTERVAL (range) HOUR AS ts FROM range(5)) TO '${old}' (FORMAT parquet)`)
  await conn.run(`COPY (SELECT (range + 5)::BIGINT AS id, (range * 10.0)::DOUBLE AS value, TIMESTAMPTZ '2026-01-02 00:00:00+00' AS ts, 'n' || range AS note FROM range(3)) TO '${newer}' (FORMAT parquet)`)
  files = [
    { path: old, rows: 5, columns: { '1': { name: 'id', nulls: 0 }, '2': { name: 'amount', nulls: 0 }, '3': { name: 'ts', nulls: 0 } } },
    { path: newer, rows: 3, columns: { '1': { name: 'id', nulls: 0 }, '2': { name: 'value', nulls: 0 }, '3': { name: 'ts', nulls: 0 }, '4': { name: 'note', nulls: 0 } } },
  ]
})

afterAll(async () => {
  await engine.close()
  conn.closeSync()
  db.closeSync()
  await rm(dir, { recursive: true, force: true })
})

function request(extra: Partial<ScanRequest> = {}): ScanRequest {
  return { files, schema: SCHEMA, tmpDir: join(dir, 'tmp'), ...extra }
}

async function scanText(req: ScanRequest, format: OutputFormat): Promise<{ text: string; bytes: Buffer; rows: number }> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  const rows = await engine.scanTo(req, format, out)
  const bytes = Buffer.concat(chunks)
  return { text: bytes.toString('utf8'), bytes, rows }
}

describe('scanTo', () => {
  it('writes CSV across files with a renamed column and a column missing from the older file', async () => {
    const { text, rows } = await scanText(request(), 'csv')
    expect(rows).toBe(8)
    const lines = text.trim().split('\n')
    expect(lines[0]).toBe('id,value,ts,note')
    expect(lines[1]).toBe('0,0.0,2026-01-01 00:00:00+00,')
    expect(lines[2]).toBe('1,1.5,2026-01-01 01:00:00+00,')
    expect(lines[6]).toBe('5,0.0,2026-01-02 00:00:00+00,n0')
    expect(lines.map((l) => l.split(',')[0]).slice(1)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7'])
    // scratch files are cleaned up
    expect((await readdir(join(dir, 'tmp'))).filter((n) => n.startsWith('dv-scan-'))).toEqual([])
  })

  it('applies columns, where and limit; ndjson and json', async () => {
    const req = request({ columns: ['note', 'id'], where: "ts >= '2026-01-01 02:00:00' AND id <> 6", limit: 3 })
    const nd = await scanText(req, 'ndjson')
    expect(nd.rows).toBe(3)
    expect(nd.text.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ note: null, id: 2 }, { note: null, id: 3 }, { note: null, id: 4 }])
    const js = await scanText(request({ columns: ['id', 'note'], where: 'note IS NOT NULL' }), 'json')
    expect(JSON.parse(js.text)).toEqual([{ id: 5, note: 'n0' }, { id: 6, note: 'n1' }, { id: 7, note: 'n2' }])
    const none = await scanText(request({ where: 'id > 100' }), 'json')
    expect(JSON.parse(none.text)).toEqual([])
  })

  it('writes Parquet with the table field names', async () => {
    const { bytes, rows } = await scanText(request({ where: 'value > 3' }), 'parquet')
    expect(rows).toBe(4)
    const path = join(dir, 'scan-out.parquet')
    await (await import('node:fs/promises')).writeFile(path, bytes)
    const back = (await conn.runAndReadAll(`SELECT id, value, note FROM read_parquet('${path}')`)).getRowObjectsJson()
    expect(back).toEqual([{ id: '3', value: 4.5, note: null }, { id: '4', value: 6, note: null }, { id: '6', value: 10, note: 'n1' }, { id: '7', value: 20, note: 'n2' }])
  })

  it('writes an Arrow IPC stream', async () => {
    const { bytes, rows } = await scanText(request({ columns: ['id', 'ts'] }), 'arrow')
    expect(rows).toBe(8)
    const table = arrow.tableFromIPC(bytes)
    expect(table.numRows).toBe(8)
    expect(table.schema.fields.map((f) => f.name)).toEqual(['id', 'ts'])
    expect(Array.from(table.getChild('id')!.toArray() as BigInt64Array)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n])
  })

  it('writes header-only CSV and a schema-only Arrow stream for zero files', async () => {
    const csv = await scanText(request({ files: [] }), 'csv')
    expect(csv.rows).toBe(0)
    expect(csv.text).toBe('id,value,ts,note\n')
    const arr = await scanText(request({ files: [], columns: ['note'] }), 'arrow')
    const table = arrow.tableFromIPC(arr.bytes)
    expect(table.numRows).toBe(0)
    expect(table.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([['note', 'Utf8']])
  })

  it('rejects unknown columns and bad predicates', async () => {
    const err = await scanText(request({ columns: ['id', 'nope'] }), 'csv').catch((e) => e)
    expect(isDvError(err, 'INVALID_ARGUMENT')).toBe(true)
    expect(err.message).toContain('id, value, ts, note')
    await expect(scanText(request({ where: 'nope = 1' }), 'csv')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})

describe('scanBatches', () => {
  it('yields RecordBatches with every row', async () => {
    let n = 0
    let batches = 0
    for await (const b of engine.scanBatches(request({ where: 'id % 2 = 0' }))) {
      expect(b).toBeInstanceOf(arrow.RecordBatch)
      n += b.numRows
      batches++
    }
    expect(n).toBe(4)
    expect(batches).toBeGreaterThan(0)
  })
})

describe('analyzePredicate', () => {
  const schema: Schema = {
    fields: [
      { id: 1, name: 'id', type: 'long', required: false },
      { id: 2, name: 'ts', type: 'timestamp', required: false },
      { id: 3, name: 'country', type: 'string', required: false },
      { id: 4, name: 'price', type: 'decimal(10,2)', required: false },
      { id: 5, name: 'tz', type: 'timestamptz', required: false },
    ],
  }

  it('extracts simple conjuncts with canonical literals', async () => {
    const p = await engine.analyzePredicate(
      "ts >= '2026-01-02' AND 10 > id AND country IN ('DE', 'FR') AND price BETWEEN 1 AND 2.5 AND tz < '2026-03-01T00:00:00+01:00' AND country IS NOT NULL AND (id = 1 OR id = 2)",
      schema,
    )
    expect(p).toEqual([
      { column: 'ts', op: '>=', values: ['2026-01-02T00:00:00.000000'] },
      { column: 'id', op: '<', values: ['10'] },
      { column: 'country', op: 'in', values: ['DE', 'FR'] },
      { column: 'price', op: '>=', values: ['1.00'] },
      { column: 'price', op: '<=', values: ['2.50'] },
      { column: 'tz', op: '<', values: ['2026-02-28T23:00:00.000000Z'] },
      { column: 'country', op: 'is not null', values: [] },
    ])
  })

  it('skips lossy literals and keeps 64-bit literals exact', async () => {
    expect(await engine.analyzePredicate('id > 3.5', schema)).toEqual([])
    expect(await engine.analyzePredicate('id = 9007199254740993', schema)).toEqual([{ column: 'id', op: '=', values: ['9007199254740993'] }])
  })

  it('rejects unknown columns listing the table columns, and syntax errors', async () => {
    const err = await engine.analyzePredicate('colour = 1', schema).catch((e) => e)
    expect(isDvError(err, 'INVALID_ARGUMENT')).toBe(true)
    expect(err.message).toContain("'colour'")
    expect(err.message).toContain('id, ts, country, price, tz')
    await expect(engine.analyzePredicate('id = = 1', schema)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(engine.analyzePredicate('1); DROP TABLE x; SELECT (1', schema)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
