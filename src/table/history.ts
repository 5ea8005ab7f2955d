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
