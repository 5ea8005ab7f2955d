/**
 * Schema cells of the three-way table (format-spec/merge.md#schema-by-field-id),
 * through Repository.merge on the memory store: each side commits a schema
 * edit of one table (metadata only), then `merge b` into main combines the
 * edits by field id or conflicts with `schema-changed`, naming the field and
 * both sides' versions. Also the pure per-field rule, cell by cell.
 */
import { describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { Repository, type DvError, type MergeConflict } from '../../src/index.js'
import { createMemoryStorage } from '../../src/store/index.js'
import { addColumn, dropColumn, parseSchema, promoteColumn, renameColumn, maxFieldId } from '../../src/format/index.js'
import type { Snapshot, TableMetadata } from '../../src/format/types.js'
import type { TableSchema } from '../../src/format/schema-evolution.js'
import type { SnapshotId } from '../../src/ids.js'
import type { Storage } from '../../src/store/types.js'
import { readSnapshot, readTableMetadata, writeSnapshot, writeTableMetadata } from '../../src/table/context.js'
import { mergeFields } from '../../src/table/merge.js'
import { repoContext } from '../support/changes.js'

type Edit = (s: TableSchema) => TableSchema
const TABLE_ID = randomUUID()

/** Commits `edit` of table t's schema on `branch` (metadata only), as `dv table alter` would. */
async function alter(storage: Storage, branch: string, edit: Edit): Promise<void> {
  const ctx = repoContext(storage)
  const ref = (await storage.refs.get(`branches/${branch}`))!
  const parent = await readSnapshot(ctx, ref.snapshot)
  const old = await readTableMetadata(ctx, parent.tables.t!)
  const next = edit({ schema: old.schema, lastColumnId: old.lastColumnId })
  const id = await writeTableMetadata(ctx, { ...old, ...next })
  const snapshot: Snapshot = { ...parent, parents: [ref.snapshot], timestampMs: parent.timestampMs + 1, message: `alter on ${branch}`, tables: { ...parent.tables, t: id }, summary: { t: { operation: 'schema', addedFiles: 0, removedFiles: 0, addedRows: 0, removedRows: 0, addedBytes: 0, removedBytes: 0 } } }
  await storage.refs.compareAndSwap(`branches/${branch}`, ref.version, await writeSnapshot(ctx, snapshot))
}

async function setUp(): Promise<{ repo: Repository; storage: Storage }> {
  const storage = createMemoryStorage()
  const repo = await Repository.fromStorage(storage, { init: true })
  const ctx = repoContext(storage)
  const schema = parseSchema('id long, name string, n int')
  const meta: TableMetadata = { tableId: TABLE_ID, schema, lastColumnId: maxFieldId(schema), partitionSpec: [], manifests: [], properties: {} }
  const ref = (await storage.refs.get('branches/main'))!
  const root = await readSnapshot(ctx, ref.snapshot)
  const s: Snapshot = { ...root, parents: [ref.snapshot], timestampMs: root.timestampMs + 1, message: 'create t', tables: { t: await writeTableMetadata(ctx, meta) }, summary: { t: { operation: 'create', addedFiles: 0, removedFiles: 0, addedRows: 0, removedRows: 0, addedBytes: 0, removedBytes: 0 } } }
  await storage.refs.compareAndSwap('branches/main', ref.version, await writeSnapshot(ctx, s))
  await repo.createBranch('b')
  return { repo, storage }
}

async function columns(storage: Storage, rev: SnapshotId): Promise<string[]> {
  const ctx = repoContext(storage)
  const t = await readTableMetadata(ctx, (await readSnapshot(ctx, rev)).tables.t!)
  return t.schema.fields.map((f) => `${f.id}:${f.name} ${typeof f.type === 'string' ? f.type : f.type.type}`)
}

const add = (name: string, type: 'string' | 'long' = 'string'): Edit => (s) => addColumn(s, name, type)
const rename = (from: string, to: string): Edit => (s) => renameColumn(s, from, to)
const drop = (name: string): Edit => (s) => dropColumn(s, name, [])
const widen = (name: string): Edit => (s) => promoteColumn(s, name, 'long')

const CELLS: Array<{ name: string; ours: Edit; theirs: Edit; want: string[] | { ids: number[] } }> = [
  { name: 'add vs nothing else: the added column', ours: rename('n', 'n'), theirs: add('email'), want: ['1:id long', '2:name string', '3:n int', '4:email string'] },
  { name: 'add vs add of the same column: once', ours: add('email'), theirs: add('email'), want: ['1:id long', '2:name string', '3:n int', '4:email string'] },
  { name: 'add vs add of different columns: one field id, conflict', ours: add('email'), theirs: add('phone'), want: { ids: [4] } },
  { name: 'add vs rename of another column: both', ours: rename('name', 'full_name'), theirs: add('email'), want: ['1:id long', '2:full_name string', '3:n int', '4:email string'] },
  { name: 'drop vs change of the same column: conflict', ours: drop('n'), theirs: widen('n'), want: { ids: [3] } },
  { name: 'drop vs rename of another column: both', ours: drop('n'), theirs: rename('name', 'full_name'), want: ['1:id long', '2:full_name string'] },
  { name: 'rename vs rename to other names: conflict', ours: rename('name', 'a'), theirs: rename('name', 'b'), want: { ids: [2] } },
  { name: 'rename vs rename to the same name: once', ours: rename('name', 'a'), theirs: rename('name', 'a'), want: ['1:id long', '2:a string', '3:n int'] },
  { name: 'rename vs widen of the same column: conflict', ours: rename('n', 'm'), theirs: widen('n'), want: { ids: [3] } },
]

describe('merge: schema by field id', () => {
  it.each(CELLS.map((c) => [c.name, c] as const))('%s', async (_name, cell) => {
    const { repo, storage } = await setUp()
    await alter(storage, 'b', cell.theirs)
    await alter(storage, 'main', cell.ours)
    const before = await repo.resolve('main')
    if (Array.isArray(cell.want)) {
      const r = await repo.merge('b')
      expect(r.status).toBe('merged')
      expect(await columns(storage, r.snapshot as SnapshotId)).toEqual(cell.want)
    } else {
      const e = await repo.merge('b').then(() => { throw new Error('expected a conflict') }, (x: DvError) => x)
      expect(e.code).toBe('CONFLICT')
      const [c] = (e.details as { conflicts: MergeConflict[] }).conflicts
      expect(c).toMatchObject({ table: 't', rule: 'schema-changed' })
      expect(c!.fields!.map((f) => f.id)).toEqual(cell.want.ids)
      expect(await repo.resolve('main')).toBe(before)
    }
    await repo.close()
  })

  it('the strategy picks a side field by field; the rest still combines', () => {
    const base = parseSchema('id long, name string').fields
    const ours = renameColumn({ schema: { fields: base }, lastColumnId: 2 }, 'name', 'a').schema.fields
    const theirs = addColumn(renameColumn({ schema: { fields: base }, lastColumnId: 2 }, 'name', 'b'), 'email', 'string').schema.fields
    expect(mergeFields(base, ours, theirs).conflicts).toEqual([{ id: 2, base: 'name string', ours: 'a string', theirs: 'b string' }])
    expect(mergeFields(base, ours, theirs, 'ours').fields.map((f) => f.name)).toEqual(['id', 'a', 'email'])
    expect(mergeFields(base, ours, theirs, 'theirs').fields.map((f) => f.name)).toEqual(['id', 'b', 'email'])
  })
})
