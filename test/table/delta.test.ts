/**
 * The change computation's cost and its schema report:
 * - through the counting store, a diff between two snapshots of a 100-file
 *   table that differ in one file reads that file pair's data and the
 *   manifests the two sides do not share, nothing else (and the structured
 *   diff reads no data at all);
 * - a nested table's schema changes (add, drop, rename, widen inside
 *   structs) come out of Repository.diff by field id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository } from '../../src/index.js'
import { createMemoryStorage, wrapCounting, type CountingStorage } from '../../src/store/index.js'
import { addColumn, dropColumn, parseSchema, promoteColumn, renameColumn, maxFieldId } from '../../src/format/index.js'
import type { Snapshot, TableMetadata } from '../../src/format/types.js'
import type { SnapshotId } from '../../src/ids.js'
import { readManifest, readSnapshot, readTableMetadata, writeSnapshot, writeTableMetadata } from '../../src/table/context.js'
import { repoContext } from '../support/changes.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-delta-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The table's metadata at `rev`, read without counting. */
async function tableAtRev(storage: CountingStorage, repo: Repository, rev: string): Promise<TableMetadata> {
  const ctx = repoContext(storage)
  const snapshot = await readSnapshot(ctx, (await repo.resolve(rev)) as SnapshotId)
  return readTableMetadata(ctx, snapshot.tables.t)
}

describe('cost follows the change', () => {
  it('reads only the differing data files and manifests of a 100-file table', async () => {
    const storage = wrapCounting(createMemoryStorage())
    const writer = await Repository.fromStorage(storage, { init: true })
    try {
      // 10 appends of 10 partitions: 100 files in 10 manifests
      for (let w = 0; w < 10; w++) {
        const path = join(dir, `w${w}.csv`)
        await writeFile(path, 'k,id\n' + Array.from({ length: 10 }, (_, p) => `${w * 10 + p},${w * 100 + p}\n${w * 10 + p},${w * 100 + p + 50}\n`).join(''))
        await writer.write('t', path, { partitionBy: w === 0 ? 'k' : undefined, commit: true, message: `w${w}` })
      }
      await writer.createTag('one')
      await writer.delete('t', 'id = 357', { commit: true, message: 'drop one row' }) // k = 37: its file is rewritten
    } finally {
      await writer.close()
    }
    const before = await tableAtRev(storage, await Repository.fromStorage(storage), 'one')
    const reader = await Repository.fromStorage(storage) // a fresh cache: every read below goes to the store
    try {
      const after = await tableAtRev(storage, reader, 'main')
      expect(before.manifests.reduce((n, m) => n + m.files, 0)).toBe(100)
      const shared = new Set<string>(before.manifests.map((m) => m.id).filter((id) => after.manifests.some((m) => m.id === id)))
      const differing = [...before.manifests, ...after.manifests].map((m) => m.id).filter((id) => !shared.has(id))
      expect(shared.size).toBe(9)
      const ctx = repoContext(storage)
      const files = async (meta: TableMetadata) => (await Promise.all(meta.manifests.map((m) => readManifest(ctx, m.id)))).flatMap((m) => m.files.map((f): string => f.id))
      const oldFiles = await files(before)
      const newFiles = await files(after)
      const removed = oldFiles.filter((id) => !newFiles.includes(id))
      const added = newFiles.filter((id) => !oldFiles.includes(id))
      expect([removed.length, added.length]).toEqual([1, 1])

      storage.resetCounts()
      const summary = await reader.diff({ from: 'one', to: 'main' })
      expect(summary.tables[0]).toMatchObject({ rows: { removed: 2, added: 1 }, files: { removed: 1, added: 1 } })
      const manifestReads = [...storage.reads.keys()].filter((id) => [...before.manifests, ...after.manifests].some((m) => m.id === id))
      expect(manifestReads.sort()).toEqual([...new Set(differing)].sort())
      expect([...storage.reads.keys()].filter((id) => oldFiles.includes(id) || newFiles.includes(id))).toEqual([])
      expect([...storage.reads.values()].every((n) => n === 1)).toBe(true)

      storage.resetCounts()
      const sink = new TextSink()
      const rows = await reader.diffRowsTo('t', sink, { from: 'one', to: 'main', format: 'csv' })
      expect(rows).toMatchObject({ rows: 1, deleted: 1 })
      const dataReads = [...storage.reads.keys()].filter((id) => oldFiles.includes(id) || newFiles.includes(id))
      expect(dataReads.sort()).toEqual([...removed, ...added].sort())
      expect([...storage.reads.keys()].filter((id) => shared.has(id))).toEqual([])
    } finally {
      await reader.close()
    }
  })
})

describe('schema changes at depth', () => {
  it('reports add, drop, rename and widen inside structs by field id', async () => {
    const storage = createMemoryStorage()
    const repo = await Repository.fromStorage(storage, { init: true })
    try {
      const ctx = repoContext(storage)
      const schema = parseSchema('id long, payload struct<user: struct<id: int, name: string>, n: float>')
      const old = { schema, lastColumnId: maxFieldId(schema) }
      let next = renameColumn(old, 'payload.user.name', 'full_name')
      next = promoteColumn(next, 'payload.user.id', 'long')
      next = dropColumn(next, 'payload.n', [])
      next = addColumn(next, 'payload.user.email', 'string')
      const meta = (s: typeof old): TableMetadata => ({ tableId: TABLE_ID, ...s, partitionSpec: [], manifests: [], properties: {} })
      const first = await commitTables(ctx, { nested: await writeTableMetadata(ctx, meta(old)) })
      await commitTables(ctx, { nested: await writeTableMetadata(ctx, meta(next)) })
      const d = await repo.diff({ from: first, to: 'main' })
      expect(d.tables).toHaveLength(1)
      expect(d.tables[0].status).toBe('modified')
      expect(d.tables[0].schema).toEqual([
        { change: 'widened', id: 5, path: 'payload.user.id', from: 'int', to: 'long' },
        { change: 'renamed', id: 6, path: 'payload.user.full_name', from: 'payload.user.name', to: 'payload.user.full_name' },
        { change: 'added', id: 7, path: 'payload.user.email', type: 'string', required: false },
        { change: 'dropped', id: 4, path: 'payload.n', type: 'float' },
      ])
    } finally {
      await repo.close()
    }
  })
})

const TABLE_ID = randomUUID()

/** Commits a snapshot holding exactly `tables` on main (metadata-only; no data files). */
async function commitTables(ctx: ReturnType<typeof repoContext>, tables: Snapshot['tables']): Promise<SnapshotId> {
  const ref = (await ctx.storage.refs.get('branches/main'))!
  const parent = await readSnapshot(ctx, ref.snapshot)
  const id = await writeSnapshot(ctx, { parents: [ref.snapshot], timestampMs: parent.timestampMs + 1, author: 't', message: 'm', tables, summary: {} })
  await ctx.storage.refs.compareAndSwap('branches/main', ref.version, id)
  return id
}
