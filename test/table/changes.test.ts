/**
 * Applying a change to a table (src/table/changes.ts) and the conflict rules
 * it checks first (src/table/conflicts.ts, format-spec/conflicts.md), on the
 * memory store: what a change adds and removes, how it rebases on a table that
 * moved, and which named rule each conflict reports.
 */
import { describe, expect, it } from 'vitest'
import type { ObjectId, SnapshotId } from '../../src/ids.js'
import type { TableMetadata } from '../../src/format/types.js'
import { createMemoryStorage, wrapCounting } from '../../src/store/index.js'
import { applyChange, combineSummaries, type PendingChange } from '../../src/table/changes.js'
import { commitChanges } from '../../src/table/commit.js'
import { readManifest, readSnapshot, readTableMetadata, type RepoContext } from '../../src/table/context.js'
import { initStore } from '../../src/table/actions/init.js'
import { changeAt, dataFile, mainHead, repoContext } from '../support/changes.js'

/** A repository whose main holds table `t` with files ids 1-10 and 11-20. */
async function setUp(): Promise<{ ctx: RepoContext; base: SnapshotId }> {
  const storage = wrapCounting(createMemoryStorage())
  const ctx = repoContext(storage)
  await initStore(ctx)
  const files = [await dataFile(storage, 'a', 10, [1, 10]), await dataFile(storage, 'b', 10, [11, 20])]
  await commitChanges(ctx, { branch: 'main', message: 'create', author: 'u', changes: [await changeAt(ctx, await mainHead(storage), 't', { files })] })
  return { ctx, base: await mainHead(storage) }
}

async function tableAt(ctx: RepoContext, snapshot: SnapshotId): Promise<{ id: ObjectId; table: TableMetadata }> {
  const id = (await readSnapshot(ctx, snapshot)).tables.t
  return { id, table: await readTableMetadata(ctx, id) }
}

/** Commits `change` on main (a concurrent writer) and returns the new head. */
async function land(ctx: RepoContext, change: PendingChange): Promise<SnapshotId> {
  return (await commitChanges(ctx, { branch: 'main', message: 'concurrent', author: 'u', changes: [change] })).snapshot as SnapshotId
}

async function fileIds(ctx: RepoContext, table: TableMetadata): Promise<string[]> {
  const ids: string[] = []
  for (const m of table.manifests) ids.push(...(await readManifest(ctx, m.id)).files.map((f) => f.id))
  return ids
}

async function conflictOf(promise: Promise<unknown>): Promise<{ code: string; retryable: boolean; rule: unknown; message: string }> {
  const e = await promise.then(() => undefined, (err: unknown) => err)
  if (!(e instanceof Error)) throw new Error('expected a conflict, the change applied')
  const { code, retryable, details } = e as Error & { code: string; retryable: boolean; details: Record<string, unknown> }
  return { code, retryable, rule: details.rule, message: e.message }
}

describe('applyChange', () => {
  it('creates a table: one manifest of its files, summarized as create', async () => {
    const { ctx, base } = await setUp()
    const change = await changeAt(ctx, base, 'u', { files: [await dataFile(ctx.storage, 'u1', 3)] })
    const { table, summary } = await applyChange(ctx, null, null, change, base)
    expect(table).toMatchObject({ tableId: change.tableId, schema: change.schema, lastColumnId: 1, properties: {} })
    expect(table.manifests).toHaveLength(1)
    expect(summary).toEqual({ operation: 'create', addedFiles: 1, removedFiles: 0, addedRows: 3, removedRows: 0, addedBytes: 2, removedBytes: 0 })
  })

  it('rebases an append planned on an older head: the concurrent files stay, its own are added', async () => {
    const { ctx, base } = await setUp()
    const mine = await changeAt(ctx, base, 't', { files: [await dataFile(ctx.storage, 'mine', 2, [30, 31])] })
    const head = await land(ctx, await changeAt(ctx, base, 't', { files: [await dataFile(ctx.storage, 'theirs', 2, [40, 41])] }))
    const now = await tableAt(ctx, head)
    const { table, summary } = await applyChange(ctx, now.table, now.id, mine, head)
    expect(await fileIds(ctx, table)).toEqual([...(await fileIds(ctx, now.table)), mine.files[0].id])
    expect(summary).toMatchObject({ operation: 'append', addedFiles: 1, addedRows: 2, removedFiles: 0 })
  })

  it('a full overwrite of an unchanged table removes every file; of a changed one it is a table-changed conflict', async () => {
    const { ctx, base } = await setUp()
    const before = await tableAt(ctx, base)
    const overwrite = await changeAt(ctx, base, 't', { mode: 'overwrite', scope: { kind: 'table' }, files: [await dataFile(ctx.storage, 'new', 5)] })
    const { table, summary } = await applyChange(ctx, before.table, before.id, overwrite, base)
    expect(await fileIds(ctx, table)).toEqual([overwrite.files[0].id])
    expect(summary).toMatchObject({ operation: 'overwrite', addedRows: 5, removedRows: 20, removedFiles: 2 })

    const head = await land(ctx, await changeAt(ctx, base, 't', { files: [await dataFile(ctx.storage, 'c', 1)] }))
    const now = await tableAt(ctx, head)
    const err = await conflictOf(applyChange(ctx, now.table, now.id, overwrite, head))
    expect(err).toMatchObject({ code: 'CONFLICT', retryable: false, rule: 'table-changed' })
    expect(err.message).toContain(head.slice(0, 7))
  })

  it('a row-level change whose removed file is gone is a file-removed conflict', async () => {
    const { ctx, base } = await setUp()
    const { table } = await tableAt(ctx, base)
    const [first] = (await readManifest(ctx, table.manifests[0].id)).files
    const removes = [{ id: first.id, rows: first.rows, bytes: first.bytes, manifest: table.manifests[0].id }]
    const del = (b: SnapshotId) => changeAt(ctx, b, 't', { mode: 'delete', removes, scope: { kind: 'rows', predicates: [{ column: 'id', op: '<=', values: ['5'] }] } })
    const head = await land(ctx, await del(base)) // a concurrent delete rewrote the same file
    const now = await tableAt(ctx, head)
    expect(await conflictOf(applyChange(ctx, now.table, now.id, await del(base), head))).toMatchObject({ code: 'CONFLICT', rule: 'file-removed' })
  })

  it('a row-level change conflicts with a concurrent file that may hold matching rows, not with one that cannot', async () => {
    const { ctx, base } = await setUp()
    const del = await changeAt(ctx, base, 't', { mode: 'delete', scope: { kind: 'rows', predicates: [{ column: 'id', op: '>=', values: ['100'] }] } })
    const low = await land(ctx, await changeAt(ctx, base, 't', { files: [await dataFile(ctx.storage, 'low', 2, [50, 51])] }))
    const atLow = await tableAt(ctx, low)
    await expect(applyChange(ctx, atLow.table, atLow.id, del, low)).resolves.toBeDefined()
    const high = await land(ctx, await changeAt(ctx, low, 't', { files: [await dataFile(ctx.storage, 'high', 2, [150, 151])] }))
    const atHigh = await tableAt(ctx, high)
    expect(await conflictOf(applyChange(ctx, atHigh.table, atHigh.id, del, high))).toMatchObject({ code: 'CONFLICT', rule: 'matching-file-added' })
  })

  it('a change adding a column conflicts with a concurrent schema change (schema-changed)', async () => {
    const { ctx, base } = await setUp()
    const withColumn = (name: string) => ({ schema: { fields: [{ id: 1, name: 'id', type: 'long' as const, required: false }, { id: 2, name, type: 'string' as const, required: false }] }, lastColumnId: 2 })
    const mine = await changeAt(ctx, base, 't', withColumn('a'))
    const head = await land(ctx, await changeAt(ctx, base, 't', withColumn('b')))
    const now = await tableAt(ctx, head)
    const err = await conflictOf(applyChange(ctx, now.table, now.id, mine, head))
    expect(err).toMatchObject({ code: 'CONFLICT', rule: 'schema-changed' })
    expect(err.message).toContain("adds 'a'")
  })

  it('a table re-created meanwhile is table-replaced; a table gone is table-dropped', async () => {
    const { ctx, base } = await setUp()
    const now = await tableAt(ctx, base)
    const stale = await changeAt(ctx, base, 't', { tableId: '00000000-0000-4000-8000-000000000000' })
    expect(await conflictOf(applyChange(ctx, now.table, now.id, stale, base))).toMatchObject({ rule: 'table-replaced' })
    const append = await changeAt(ctx, base, 't')
    expect(await conflictOf(applyChange(ctx, null, null, append, base))).toMatchObject({ rule: 'table-dropped' })
  })
})

describe('combineSummaries', () => {
  it('adds the counts of two changes to one table; a create stays a create, an overwrite wins over an append', () => {
    const s = (operation: 'create' | 'append' | 'overwrite', n: number) => ({
      operation, addedFiles: n, removedFiles: n, addedRows: 10 * n, removedRows: 10 * n, addedBytes: 100 * n, removedBytes: 100 * n,
    })
    expect(combineSummaries(undefined, s('append', 1))).toEqual(s('append', 1))
    expect(combineSummaries(s('create', 1), s('overwrite', 2))).toEqual({ ...s('create', 3) })
    expect(combineSummaries(s('append', 1), s('overwrite', 2))).toEqual({ ...s('overwrite', 3) })
    expect(combineSummaries(s('overwrite', 1), s('append', 2))).toEqual({ ...s('overwrite', 3) })
  })
})
