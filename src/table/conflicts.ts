/**
 * Conflict checks for a change re-applied on a head that moved since the
 * write read its table (format-spec/conflicts.md). A change conflicts only
 * when a concurrent commit touched what it read: the whole table for a full
 * overwrite, the replaced partitions, or files that may hold rows matching
 * its predicate. (A file it removes that is no longer there is found, and
 * reported as a conflict, where the removal is applied: changes.ts.)
 */
import type { ObjectId, SnapshotId } from '../ids.js'
import type { DataFile, TableMetadata, Value } from '../format/types.js'
import { DvError } from '../errors.js'
import { shortId } from '../ids.js'
import { readManifest, readTableMetadata, type RepoContext } from './context.js'
import type { PendingChange } from './changes.js'
import { dataFileMayMatch, checksFor } from './scan-plan.js'

export function conflictError(change: PendingChange, head: SnapshotId, why: string): DvError {
  return new DvError('CONFLICT',
    `${change.mode} of table '${change.table}' (read at snapshot ${shortId(change.baseSnapshot)}) conflicts with snapshot ${shortId(head)}: ${why}`, {
      retryable: false,
      hint: 'nothing was applied; re-run the write against the new head',
      details: { table: change.table, base: change.baseSnapshot, head },
    })
}

function countIds(ids: string[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1)
  return m
}

/**
 * Data files in `current` that were not in `base`: the files of manifests
 * that `current` gained, minus (by occurrence) the files of manifests it
 * lost (a rewritten manifest keeps most of its files). Only the manifests
 * that differ are read.
 */
async function filesAddedSince(ctx: RepoContext, base: TableMetadata | null, current: TableMetadata): Promise<DataFile[]> {
  const baseManifests = countIds(base ? base.manifests.map((m) => m.id) : [])
  const gained: string[] = []
  for (const m of current.manifests) {
    const n = baseManifests.get(m.id) ?? 0
    if (n > 0) baseManifests.set(m.id, n - 1)
    else gained.push(m.id)
  }
  const lostFiles = new Map<string, number>()
  for (const [id, n] of baseManifests) {
    for (let k = 0; k < n; k++) for (const f of (await readManifest(ctx, id as ObjectId)).files) lostFiles.set(f.id, (lostFiles.get(f.id) ?? 0) + 1)
  }
  const out: DataFile[] = []
  for (const id of gained) {
    for (const f of (await readManifest(ctx, id as ObjectId)).files) {
      const n = lostFiles.get(f.id) ?? 0
      if (n > 0) lostFiles.set(f.id, n - 1)
      else out.push(f)
    }
  }
  return out
}

export function partitionKey(partition: Record<string, Value>): string {
  return JSON.stringify(Object.keys(partition).sort().map((k) => [k, partition[k]]))
}

/** All files of `table` whose partition is one of `partitions`. */
export async function filesInPartitions(
  ctx: RepoContext, table: TableMetadata, partitions: Array<Record<string, Value>>,
): Promise<Array<{ file: DataFile; manifest: ObjectId }>> {
  const wanted = new Set(partitions.map(partitionKey))
  const out: Array<{ file: DataFile; manifest: ObjectId }> = []
  for (const m of table.manifests) {
    for (const file of (await readManifest(ctx, m.id)).files) {
      if (wanted.has(partitionKey(file.partition))) out.push({ file, manifest: m.id })
    }
  }
  return out
}

/** Throws CONFLICT (not retryable) if `change` cannot be applied on `current` at snapshot `head`. */
export async function checkConflicts(
  ctx: RepoContext, current: TableMetadata, headTable: ObjectId | null, head: SnapshotId, change: PendingChange,
): Promise<void> {
  if (headTable === change.baseTable) return // nothing happened to the table meanwhile
  const scope = change.scope
  if (scope.kind === 'none') return
  if (scope.kind === 'table') {
    throw conflictError(change, head, `the table changed (metadata ${change.baseTable ? shortId(change.baseTable) : 'absent'} -> ${headTable ? shortId(headTable) : 'absent'})`)
  }
  if (scope.kind === 'partitions') {
    const now = await filesInPartitions(ctx, current, scope.partitions)
    const nowIds = countIds(now.map((f) => f.file.id))
    const then = countIds(change.removes.map((r) => r.id))
    const same = nowIds.size === then.size && [...then].every(([id, n]) => nowIds.get(id) === n)
    if (!same) {
      const touched = [...new Set(now.filter((f) => !then.has(f.file.id)).map((f) => partitionKey(f.file.partition)))]
      throw conflictError(change, head, `a concurrent commit changed the replaced partitions${touched.length ? ` (${touched.slice(0, 3).join(', ')})` : ''}`)
    }
    return
  }
  // rows: no concurrently added file may hold matching rows (a removed file that is gone
  // conflicts when the change is applied: see removeFiles in changes.ts)
  const base = change.baseTable ? await readTableMetadata(ctx, change.baseTable) : null
  const checks = checksFor(current, scope.predicates)
  for (const f of await filesAddedSince(ctx, base, current)) {
    if (dataFileMayMatch(f, checks)) {
      throw conflictError(change, head, `a concurrent commit added data file ${shortId(f.id)} that may hold matching rows`)
    }
  }
}
