/**
 * Which commit made a change (the `_snapshot` of the change feed): walk the
 * first-parent chain from REV2 back to REV1, and give each file REV2 has and
 * REV1 lacks to the latest commit on that path that added it, and each file
 * REV1 has and REV2 lacks to the latest commit that removed it (by object
 * id; identical files counted as a multiset). A merge commit on the path
 * gets what it brought in from its other parents. When REV1 is not a
 * first-parent ancestor of REV2 (another branch, a later commit, a staged
 * state), no path decides it and every file is attributed to null.
 */
import type { SnapshotId } from '../ids.js'
import type { Snapshot, TableMetadata } from '../format/types.js'
import { readSnapshot, readTableMetadata, type RepoContext } from './context.js'
import { tableDelta, type TableDelta } from './delta.js'

export interface PathCommit {
  id: SnapshotId
  snapshot: Snapshot
}

/**
 * The commits after `from` up to `to` on `to`'s first-parent chain, oldest
 * first; undefined when `from` is not on that chain. Timestamps strictly
 * increase along first parents (format-spec/snapshot.md), so the walk stops
 * at the first commit not newer than `from`: it never reads further back.
 */
export async function firstParentPath(ctx: RepoContext, from: SnapshotId, to: SnapshotId): Promise<PathCommit[] | undefined> {
  const start = await readSnapshot(ctx, from)
  const path: PathCommit[] = []
  let id: SnapshotId | undefined = to
  while (id !== undefined && id !== from) {
    const snapshot: Snapshot = await readSnapshot(ctx, id)
    if (snapshot.timestampMs <= start.timestampMs) return undefined
    path.push({ id, snapshot })
    id = snapshot.parents[0]
  }
  return id === from ? path.reverse() : undefined
}

/** A file's commit and its position on the path (1 = oldest); null and 0 when none decides it. */
export interface Attribution {
  snapshot: SnapshotId | null
  order: number
}

const NONE: Attribution = { snapshot: null, order: 0 }

/**
 * The commit of each file of `delta.added` and `delta.removed` (same order),
 * found on `path` (firstParentPath of the delta's two sides). Reads each path
 * commit's table metadata and the manifests that commit changed, newest
 * first, and stops once every file is placed.
 */
export async function attributeFiles(ctx: RepoContext, delta: TableDelta, path: PathCommit[] | undefined): Promise<{ added: Attribution[]; removed: Attribution[] }> {
  if (!path || path.length === 0) return { added: delta.added.map(() => NONE), removed: delta.removed.map(() => NONE) }
  if (path.length === 1) {
    const only = { snapshot: path[0].id, order: 1 }
    return { added: delta.added.map(() => only), removed: delta.removed.map(() => only) }
  }
  const wantAdded = countIds(delta.added.map((f) => f.file.id))
  const wantRemoved = countIds(delta.removed.map((f) => f.file.id))
  const addedBy = new Map<string, Attribution[]>()
  const removedBy = new Map<string, Attribution[]>()
  let open = delta.added.length + delta.removed.length
  for (let i = path.length - 1; i >= 0 && open > 0; i--) {
    const step = await commitDelta(ctx, delta.table, path[i])
    if (!step) continue
    const here: Attribution = { snapshot: path[i].id, order: i + 1 }
    open -= claim(step.added.map((f) => f.file.id), wantAdded, addedBy, here)
    open -= claim(step.removed.map((f) => f.file.id), wantRemoved, removedBy, here)
  }
  const take = (by: Map<string, Attribution[]>, id: string): Attribution => by.get(id)?.shift() ?? NONE
  return {
    added: delta.added.map((f) => take(addedBy, f.file.id)),
    removed: delta.removed.map((f) => take(removedBy, f.file.id)),
  }
}

function countIds(ids: string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
  return counts
}

/** Gives `here` to each of `ids` still wanted; returns how many were placed. */
function claim(ids: string[], want: Map<string, number>, by: Map<string, Attribution[]>, here: Attribution): number {
  let placed = 0
  for (const id of ids) {
    const n = want.get(id) ?? 0
    if (n === 0) continue
    want.set(id, n - 1)
    by.set(id, [...(by.get(id) ?? []), here])
    placed++
  }
  return placed
}

/** What one commit did to `table` against its first parent (undefined: nothing). */
async function commitDelta(ctx: RepoContext, table: string, commit: PathCommit): Promise<TableDelta | undefined> {
  const parentId = commit.snapshot.parents[0]
  const parent = parentId ? await readSnapshot(ctx, parentId) : undefined
  const before = parent?.tables[table]
  const after = commit.snapshot.tables[table]
  if (before === after) return undefined
  const meta = (id: typeof before): Promise<TableMetadata | null> => (id ? readTableMetadata(ctx, id) : Promise.resolve(null))
  return tableDelta(ctx, table, await meta(before), await meta(after))
}
