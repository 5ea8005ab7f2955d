/**
 * Building blocks for unit tests of the commit protocol, changes and staging
 * on a real store (usually the memory store, through the counting store):
 * a RepoContext with no data engine, data files whose bytes are stored
 * objects (commits never read data files), and PendingChanges shaped as a
 * write would plan them.
 */
import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import type { DataFile, Schema } from '../../src/format/types.js'
import type { SnapshotId } from '../../src/ids.js'
import type { Storage } from '../../src/store/types.js'
import type { PendingChange } from '../../src/table/changes.js'
import { ParsedObjectCache, readSnapshot, readTableMetadata, type RepoContext } from '../../src/table/context.js'

export const SCHEMA: Schema = { fields: [{ id: 1, name: 'id', type: 'long', required: false }] }

export function repoContext(storage: Storage, now: () => number = Date.now): RepoContext {
  return {
    storage, now, author: 'unit', tmpDir: tmpdir(), cache: new ParsedObjectCache(),
    engine: () => Promise.reject(new Error('these tests use no data engine')),
  }
}

export async function mainHead(storage: Storage): Promise<SnapshotId> {
  const ref = await storage.refs.get('branches/main')
  if (!ref) throw new Error('no branch main')
  return ref.snapshot
}

/** A data file of `rows` rows with ids lo..hi; its bytes (`label`, not Parquet) are stored as an object. */
export async function dataFile(storage: Storage, label: string, rows = 1, [lo, hi] = [1, rows]): Promise<DataFile> {
  const bytes = new TextEncoder().encode(label)
  const id = await storage.objects.put(bytes)
  return { id, format: 'parquet', rows, bytes: bytes.length, partition: {}, columns: { '1': { name: 'id', min: String(lo), max: String(hi), nulls: 0 } } }
}

/** A change to `table` as a write reading snapshot `base` would plan it (default: an append of nothing). */
export async function changeAt(ctx: RepoContext, base: SnapshotId, table: string, fields: Partial<PendingChange> = {}): Promise<PendingChange> {
  const baseTable = (await readSnapshot(ctx, base)).tables[table] ?? null
  const meta = baseTable ? await readTableMetadata(ctx, baseTable) : null
  return {
    id: randomUUID(),
    table,
    mode: 'append',
    createdMs: ctx.now(),
    creates: meta === null,
    tableId: meta?.tableId ?? randomUUID(),
    baseSnapshot: base,
    baseTable,
    baseLastColumnId: meta?.lastColumnId ?? 0,
    schema: meta?.schema ?? SCHEMA,
    lastColumnId: meta?.lastColumnId ?? 1,
    partitionSpec: meta?.partitionSpec ?? [],
    files: [],
    removes: [],
    scope: { kind: 'none' },
    ...fields,
  }
}
