/** Walking history: log order, idempotency-key lookup, ancestry. */
import type { SnapshotId } from '../ids.js'
import type { Snapshot } from '../format/types.js'
import { readSnapshot, type RepoContext } from './context.js'

export interface HistoryEntry {
  id: SnapshotId
  snapshot: Snapshot
}

/**
 * All ancestors of `start` (inclusive), newest first by commit time (ties:
 * discovery order), like `git log`. Lazily yields so `-n` stays cheap.
 */
export async function* walkHistory(ctx: RepoContext, start: SnapshotId): AsyncGenerator<HistoryEntry> {
  const seen = new Set<SnapshotId>([start])
  const queue: HistoryEntry[] = [{ id: start, snapshot: await readSnapshot(ctx, start) }]
  while (queue.length > 0) {
    let best = 0
    for (let i = 1; i < queue.length; i++) if (queue[i].snapshot.timestampMs > queue[best].snapshot.timestampMs) best = i
    const [entry] = queue.splice(best, 1)
    yield entry
    for (const p of entry.snapshot.parents) {
      if (seen.has(p)) continue
      seen.add(p)
      queue.push({ id: p, snapshot: await readSnapshot(ctx, p) })
    }
  }
}

/** The commit in `start`'s history that carries idempotency key `key`, if any. */
export async function findIdempotencyKey(ctx: RepoContext, start: SnapshotId, key: string): Promise<HistoryEntry | undefined> {
  for await (const entry of walkHistory(ctx, start)) {
    if (entry.snapshot.idempotencyKey === key) return entry
  }
  return undefined
}

/** Whether `id` is `start` or one of its ancestors. */
export async function reaches(ctx: RepoContext, start: SnapshotId, id: SnapshotId): Promise<boolean> {
  for await (const entry of walkHistory(ctx, start)) if (entry.id === id) return true
  return false
}

/**
 * How many commits are reachable from `from` but not from `exclude`: what
 * moving a branch from `from` to `exclude` drops from its history (0 when
 * `exclude` descends from `from`). Both sides are walked newest first by
 * commit time, painting what each reaches, and the walk stops as soon as
 * nothing reached from `from` alone is left to visit, so a reset by a few
 * commits reads a few snapshots whatever the history's length. (Timestamps
 * only increase along first parents: a merge parent older than its own
 * ancestors, from skewed clocks, can make the count approximate.)
 */
export async function countOnlyIn(ctx: RepoContext, from: SnapshotId, exclude: SnapshotId): Promise<number> {
  const FROM = 1
  const EXCLUDE = 2
  const color = new Map<SnapshotId, number>()
  const painted = new Map<SnapshotId, number>() // the color a snapshot was last expanded with
  const queue: HistoryEntry[] = []
  const counted = new Set<SnapshotId>()
  const paint = async (id: SnapshotId, c: number): Promise<void> => {
    const before = color.get(id) ?? 0
    const after = before | c
    if (after === before && queue.some((q) => q.id === id)) return
    color.set(id, after)
    if (painted.get(id) === after || queue.some((q) => q.id === id)) return
    queue.push({ id, snapshot: await readSnapshot(ctx, id) })
  }
  await paint(from, FROM)
  await paint(exclude, EXCLUDE)
  // go on while something reached from `from` alone, or a snapshot seen again in another color, waits
  while (queue.some((q) => color.get(q.id) === FROM || painted.has(q.id))) {
    let best = 0
    for (let i = 1; i < queue.length; i++) if (queue[i].snapshot.timestampMs > queue[best].snapshot.timestampMs) best = i
    const [{ id, snapshot }] = queue.splice(best, 1)
    const c = color.get(id)!
    painted.set(id, c)
    if (c === FROM) counted.add(id)
    else counted.delete(id) // reached from `exclude` too, after all
    for (const p of snapshot.parents) await paint(p, c)
  }
  return counted.size
}
