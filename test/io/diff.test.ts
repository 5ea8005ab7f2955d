/**
 * The engine's row-level diff on hand-made Parquet files: multiset netting,
 * key pairing into updates, attribution to snapshots (including identical
 * rows from several snapshots), where/columns/limit, and the change columns.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import { createDataEngine, type DataEngine, type DiffFile, type DiffRequest } from '../../src/io/index.js'
import type { Schema } from '../../src/format/types.js'

let dir: string
let engine: DataEngine
let db: DuckDBInstance
let conn: DuckDBConnection

const SCHEMA: Schema = {
  fields: [
    { id: 1, name: 'id', type: 'long', required: false },
    { id: 2, name: 'v', type: 'string', required: false },
  ],
}

async function file(name: string, rows: Array<[number, string | null]>, snapshot: string | null = null, order = 0): Promise<DiffFile> {
  const path = join(dir, `${name}.parquet`)
  const values = rows.map(([id, v]) => `(${id}::BIGINT, ${v === null ? 'NULL' : `'${v}'`})`).join(', ')
  const select = rows.length ? `SELECT * FROM (VALUES ${values}) t(id, v)` : 'SELECT 1::BIGINT AS id, \'x\' AS v WHERE false'
  await conn.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`)
  return { path, rows: rows.length, columns: { '1': { name: 'id', nulls: 0 }, '2': { name: 'v', nulls: 0 } }, snapshot, order }
}

async function diff(request: Partial<DiffRequest> & Pick<DiffRequest, 'removed' | 'added'>): Promise<{ rows: Array<Record<string, unknown>>; counts: Awaited<ReturnType<DataEngine['diffTo']>> }> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  const counts = await engine.diffTo({ schema: SCHEMA, tmpDir: join(dir, 'tmp'), ...request }, 'ndjson', out)
  const text = Buffer.concat(chunks).toString('utf8')
  return { rows: text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), counts }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-diff-io-'))
  engine = await createDataEngine({ threads: 2, tmpDir: dir, readableDirectories: [dir] })
  db = await DuckDBInstance.create(':memory:')
  conn = await db.connect()
})

afterAll(async () => {
  await engine.close()
  conn.closeSync()
  db.closeSync()
  await rm(dir, { recursive: true, force: true })
})

const A = 'a'.repeat(64)
const B = 'b'.repeat(64)

describe('engine row-level diff', () => {
  it('nets rows on both sides as multisets: a copy-on-write rewrite shows only what changed', async () => {
    const old = await file('old', [[1, 'x'], [2, 'y'], [2, 'y'], [3, null]], A, 1)
    const rewritten = await file('new', [[1, 'x'], [2, 'y'], [3, null], [4, 'z']], A, 1)
    const { rows, counts } = await diff({ removed: [old], added: [rewritten] })
    expect(rows).toEqual([
      { id: 2, v: 'y', _change: 'delete', _snapshot: A },
      { id: 4, v: 'z', _change: 'insert', _snapshot: A },
    ])
    expect(counts).toEqual({ rows: 2, inserted: 1, deleted: 1, updated: 0 })
  })

  it('pairs a deleted and an inserted row with the same key as an update; equal rows cancel', async () => {
    const old = await file('k-old', [[1, 'x'], [2, 'y'], [3, 'same']], A, 1)
    const now = await file('k-new', [[1, 'x2'], [3, 'same'], [5, 'n']], A, 1)
    const { rows, counts } = await diff({ removed: [old], added: [now], key: ['id'] })
    expect(rows).toEqual([
      { id: 1, v: 'x', _change: 'update_before', _snapshot: A },
      { id: 1, v: 'x2', _change: 'update_after', _snapshot: A },
      { id: 2, v: 'y', _change: 'delete', _snapshot: A },
      { id: 5, v: 'n', _change: 'insert', _snapshot: A },
    ])
    expect(counts).toEqual({ rows: 4, inserted: 1, deleted: 1, updated: 1 })
  })

  it('attributes identical rows added by two snapshots to each of them', async () => {
    const first = await file('s1', [[7, 'dup']], A, 1)
    const second = await file('s2', [[7, 'dup'], [8, 'other']], B, 2)
    const base = await file('s0', [[0, 'kept']], A, 1)
    const { rows } = await diff({ removed: [base], added: [first, second, await file('s0b', [[0, 'kept']], B, 2)] })
    expect(rows.map((r) => [r.id, r._change, r._snapshot])).toEqual([
      [7, 'insert', A],
      [7, 'insert', B],
      [8, 'insert', B],
    ])
  })

  it('reads a file listed twice (the same object appended by two snapshots) once per listing', async () => {
    const once = await file('twice', [[1, 'a']], A, 1)
    const other = await file('between', [[2, 'b']], B, 2)
    const added = [once, other, { ...once, snapshot: B, order: 2 }]
    const gone = await file('gone', [[0, 'x']], A, 1)
    const { rows } = await diff({ removed: [gone], added })
    expect(rows.map((r) => [r.id, r._change, r._snapshot])).toEqual([
      [0, 'delete', A],
      [1, 'insert', A],
      [1, 'insert', B],
      [2, 'insert', B],
    ])
    // one side only: file order, so compare as a multiset
    const inserted = (await diff({ removed: [], added })).rows.map((r) => `${r.id} ${r._snapshot}`).sort()
    expect(inserted).toEqual([`1 ${A}`, `1 ${B}`, `2 ${B}`])
  })

  it('filters by a predicate (keeping both rows of an update), projects columns, limits and labels the table', async () => {
    const old = await file('w-old', [[1, 'a'], [2, 'b'], [3, 'c']], null, 0)
    const now = await file('w-new', [[1, 'keep'], [2, 'b'], [4, 'd']], null, 0)
    const { rows } = await diff({ removed: [old], added: [now], key: ['id'], where: "v = 'keep' OR id = 3", columns: ['v'], table: 't' })
    expect(rows).toEqual([
      { v: 'a', _table: 't', _change: 'update_before', _snapshot: null },
      { v: 'keep', _table: 't', _change: 'update_after', _snapshot: null },
      { v: 'c', _table: 't', _change: 'delete', _snapshot: null },
    ])
    const limited = await diff({ removed: [old], added: [now], key: ['id'], limit: 1 })
    expect(limited.rows).toHaveLength(1)
    expect(limited.counts).toMatchObject({ rows: 1, inserted: 1, deleted: 1, updated: 1 })
  })

  it('treats a side without files as all inserts (or all deletes) and refuses a bad predicate', async () => {
    const now = await file('only', [[1, 'a'], [2, 'b']], B, 1)
    expect((await diff({ removed: [], added: [now] })).counts).toEqual({ rows: 2, inserted: 2, deleted: 0, updated: 0 })
    expect((await diff({ removed: [now], added: [], where: 'id = 2' })).rows).toEqual([{ id: 2, v: 'b', _change: 'delete', _snapshot: B }])
    await expect(diff({ removed: [now], added: [now], where: 'nope = 1' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(diff({ removed: [], added: [], where: 'nope = 1' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
