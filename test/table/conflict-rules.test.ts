/**
 * The conflict rules of src/table/conflicts.ts (format-spec/conflicts.md)
 * that changes.test.ts does not reach, on the memory store: the message of
 * each rule, the primary-key rules, the schema rule's cases, and the checks
 * that must stay quiet when the table did not move.
 */
import { describe, expect, it } from 'vitest'
import type { ObjectId, SnapshotId } from '../../src/ids.js'
import type { TableMetadata } from '../../src/format/types.js'
import { createMemoryStorage } from '../../src/store/index.js'
import { applyChange, type PendingChange } from '../../src/table/changes.js'
import { commitChanges } from '../../src/table/commit.js'
import { readSnapshot, readTableMetadata, type RepoContext } from '../../src/table/context.js'
import { initStore } from '../../src/table/actions/init.js'
import { changeAt, dataFile, mainHead, repoContext } from '../support/changes.js'

/** main holds table `t` (column id 1 `id` long) with files ids 1-10 and 11-20. */
async function setUp(): Promise<{ ctx: RepoContext; base: SnapshotId }> {
  const storage = createMemoryStorage()
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

async function land(ctx: RepoContext, change: PendingChange): Promise<SnapshotId> {
  return (await commitChanges(ctx, { branch: 'main', message: 'concurrent', author: 'u', changes: [change] })).snapshot as SnapshotId
}

/** Commits new metadata for `t` (a schema or key change) on main; returns the new head. */
async function edit(ctx: RepoContext, change: (t: TableMetadata) => TableMetadata): Promise<SnapshotId> {
  const head = await mainHead(ctx.storage)
  const { id, table } = await tableAt(ctx, head)
  await commitChanges(ctx, { branch: 'main', message: 'edit', author: 'u', changes: [], edits: [{ table: 't', baseTable: id, baseSnapshot: head, next: change(table), what: 'edit' }] })
  return mainHead(ctx.storage)
}

const keyed = (t: TableMetadata): TableMetadata => ({ ...t, schema: { fields: t.schema.fields.map((f) => ({ ...f, required: true })) }, identifierFieldIds: [1] })

/** Applies `change` on main's head: the rule name and message of the conflict, or 'applied'. */
async function outcome(ctx: RepoContext, change: PendingChange): Promise<{ rule: unknown; why: string } | 'applied'> {
  const head = await mainHead(ctx.storage)
  const id = (await readSnapshot(ctx, head)).tables[change.table] ?? null
  const table = id ? await readTableMetadata(ctx, id) : null
  try {
    await applyChange(ctx, table, id, change, head)
    return 'applied'
  } catch (e) {
    const err = e as Error & { details: { rule: unknown } }
    const prefix = `${change.mode} of table '${change.table}' (read at snapshot ${change.baseSnapshot.slice(0, 7)}) conflicts with snapshot ${head.slice(0, 7)}: `
    expect(err.message.startsWith(prefix), err.message).toBe(true)
    return { rule: err.details.rule, why: err.message.slice(prefix.length) }
  }
}

describe('table identity', () => {
  it('names a table dropped, gone, or created twice', async () => {
    const { ctx, base } = await setUp()
    const append = await changeAt(ctx, base, 't')
    const head = await mainHead(ctx.storage)
    const dropped = await applyChange(ctx, null, null, append, head).catch((e: Error) => e.message)
    expect(dropped).toContain(': the table was dropped concurrently')
    // a change that created the table and removes files from it: the files are gone with it
    const gone = { ...append, creates: true, removes: [{ id: 'f'.repeat(64) as ObjectId, rows: 1, bytes: 1, manifest: 'e'.repeat(64) as ObjectId }] }
    expect(await applyChange(ctx, null, null, gone, head).catch((e: Error) => e.message)).toContain(': the table no longer exists')
    // a create on a table that is still absent applies
    await expect(applyChange(ctx, null, null, { ...append, creates: true, baseTable: null }, head)).resolves.toBeDefined()
    const other = await changeAt(ctx, base, 'u', { creates: true })
    await land(ctx, await changeAt(ctx, base, 'u'))
    expect(await outcome(ctx, other)).toEqual({ rule: 'table-replaced', why: 'another commit created a table of that name' })
    const stale = await changeAt(ctx, await mainHead(ctx.storage), 't', { tableId: '00000000-0000-4000-8000-000000000000' })
    expect(await outcome(ctx, stale)).toEqual({ rule: 'table-replaced', why: 'the table was re-created' })
  })

  it('names the metadata a full overwrite read and the metadata it met', async () => {
    const { ctx, base } = await setUp()
    const before = (await tableAt(ctx, base)).id
    const overwrite = await changeAt(ctx, base, 't', { mode: 'overwrite', scope: { kind: 'table' } })
    await land(ctx, await changeAt(ctx, base, 't', { files: [await dataFile(ctx.storage, 'c')] }))
    const now = (await tableAt(ctx, await mainHead(ctx.storage))).id
    expect(await outcome(ctx, overwrite)).toEqual({ rule: 'table-changed', why: `the table changed (metadata ${before.slice(0, 7)} -> ${now.slice(0, 7)})` })
  })
})

describe('schema-changed', () => {
  it('names a column the change writes that was renamed, retyped or dropped meanwhile', async () => {
    for (const [label, change, now] of [
      ['renamed', (t: TableMetadata) => ({ ...t, schema: { fields: [{ ...t.schema.fields[0], name: 'ident' }] } }), 'ident long'],
      ['retyped', (t: TableMetadata) => ({ ...t, schema: { fields: [{ ...t.schema.fields[0], type: 'string' as const }] } }), 'id string'],
      ['re-id', (t: TableMetadata) => ({ ...t, schema: { fields: [{ ...t.schema.fields[0], id: 2 }] }, lastColumnId: 2 }), 'gone'],
    ] as const) {
      const { ctx, base } = await setUp()
      const append = await changeAt(ctx, base, 't')
      await edit(ctx, change)
      expect(await outcome(ctx, append), label).toEqual({ rule: 'schema-changed', why: `the table's schema changed (column 'id' is now ${now})` })
    }
  })

  it('lets a change that adds a column land on a table that only gained files; not on one that has that name now', async () => {
    const { ctx, base } = await setUp()
    const withX = await changeAt(ctx, base, 't', { schema: { fields: [{ id: 1, name: 'id', type: 'long', required: false }, { id: 2, name: 'x', type: 'string', required: false }] }, lastColumnId: 2 })
    await land(ctx, await changeAt(ctx, base, 't', { files: [await dataFile(ctx.storage, 'c')] }))
    expect(await outcome(ctx, withX)).toBe('applied')
    await edit(ctx, (t) => ({ ...t, schema: { fields: [{ ...t.schema.fields[0], name: 'x' }] } })) // a rename keeps last-column-id
    expect(await outcome(ctx, withX)).toEqual({ rule: 'schema-changed', why: "the table already has a column 'x'" })
  })

  it('names every column a change adds when the schema changed concurrently', async () => {
    const { ctx, base } = await setUp()
    const fields = [{ id: 1, name: 'id', type: 'long' as const, required: false }, { id: 2, name: 'x', type: 'string' as const, required: false }, { id: 3, name: 'y', type: 'string' as const, required: false }]
    const withXY = await changeAt(ctx, base, 't', { schema: { fields }, lastColumnId: 3 })
    await edit(ctx, (t) => ({ ...t, schema: { fields: [...t.schema.fields, { id: 2, name: 'z', type: 'long', required: false }] }, lastColumnId: 2 }))
    expect(await outcome(ctx, withXY)).toEqual({ rule: 'schema-changed', why: "a concurrent schema change, while this write adds 'x', 'y'" })
  })
})

describe('primary keys', () => {
  it('key-changed: a write planned without the key cannot land after it was set, naming both keys', async () => {
    const { ctx, base } = await setUp()
    const append = await changeAt(ctx, base, 't')
    await edit(ctx, keyed)
    expect(await outcome(ctx, append)).toEqual({ rule: 'key-changed', why: "the table's primary key changed (from none to id)" })
    const planned = await changeAt(ctx, await mainHead(ctx.storage), 't', { baseKey: [1] })
    expect(await outcome(ctx, planned)).toBe('applied')
    expect(await outcome(ctx, { ...planned, baseKey: [1, 7] })).toEqual({ rule: 'key-changed', why: "the table's primary key changed (from id, #7 to id)" })
  })

  it('key-may-repeat: a concurrent file in the range of the keys added conflicts; one outside it does not', async () => {
    const { ctx } = await setUp()
    await edit(ctx, keyed)
    const base = await mainHead(ctx.storage)
    const keyScope = [{ column: 'id', op: '>=' as const, values: ['30'] }, { column: 'id', op: '<=' as const, values: ['39'] }]
    const mine = await changeAt(ctx, base, 't', { baseKey: [1], keyScope, files: [await dataFile(ctx.storage, 'mine', 10, [30, 39])] })
    expect(await outcome(ctx, mine)).toBe('applied') // the table did not move
    await land(ctx, await changeAt(ctx, base, 't', { baseKey: [1], files: [await dataFile(ctx.storage, 'below', 5, [21, 25])] }))
    expect(await outcome(ctx, mine)).toBe('applied')
    await land(ctx, await changeAt(ctx, await mainHead(ctx.storage), 't', { baseKey: [1], files: [await dataFile(ctx.storage, 'inside', 2, [35, 36])] }))
    const r = await outcome(ctx, mine)
    expect(r).toMatchObject({ rule: 'key-may-repeat' })
    expect((r as { why: string }).why).toMatch(/^a concurrent commit added data file [0-9a-f]{7} that may hold keys this write adds$/)
    expect(await outcome(ctx, { ...mine, keyScope: [] })).toBe('applied')
  })
})
