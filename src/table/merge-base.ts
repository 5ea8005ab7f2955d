/**
 * The merge base of two snapshots (format-spec/merge.md#merge-base): their
 * best common ancestor, found by walking both histories newest first and
 * painting what each reaches, as git's paint_down_to_common does. The walk
 * stops once every snapshot still queued is reached from both sides (all
 * older ones are then common ancestors of a common ancestor), so merging a
 * short-lived branch reads a few snapshots whatever the history's length.
 */
import type { SnapshotId } from '../ids.js'
import type { Snapshot } from '../format/types.js'
import { readSnapshot, type RepoContext } from './context.js'
import { reaches } from './history.js'

const OURS = 1
const THEIRS = 2
const BOTH = OURS | THEIRS
/** Reached from a common ancestor: itself common, and never the best. */
const STALE = 4

interface Queued {
  id: SnapshotId
  snapshot: Snapshot
}

/** The best common ancestor of `ours` and `theirs` (the first of several: see mergeBases), or null for unrelated histories. */
export async function mergeBase(ctx: RepoContext, ours: SnapshotId, theirs: SnapshotId): Promise<SnapshotId | null> {
  return (await mergeBases(ctx, [ours], [theirs]))[0] ?? null
}

/**
 * Every best common ancestor of the snapshots `ours` and those `theirs`
 * reach (sets, so that a virtual merge base, known by the snapshots it
 * merged, can be met with another one: merge-virtual-base.ts), newest first
 * (ties: the smaller id). Empty for unrelated histories; more than one only
 * after criss-cross merges.
 */
export async function mergeBases(ctx: RepoContext, ours: SnapshotId[], theirs: SnapshotId[]): Promise<SnapshotId[]> {
  if (ours.length === 1 && theirs.length === 1 && ours[0] === theirs[0]) return [ours[0]!]
  const color = new Map<SnapshotId, number>()
  const queue: Queued[] = []
  const candidates: Queued[] = []
  const paint = async (id: SnapshotId, c: number): Promise<void> => {
    const before = color.get(id) ?? 0
    if ((before | c) === before) return
    color.set(id, before | c)
    if (!queue.some((q) => q.id === id)) queue.push({ id, snapshot: await readSnapshot(ctx, id) })
  }
  for (const id of ours) await paint(id, OURS)
  for (const id of theirs) await paint(id, THEIRS)
  // go on while something not yet known to be below a common ancestor waits
  while (queue.some((q) => (color.get(q.id)! & STALE) === 0)) {
    let best = 0
    for (let i = 1; i < queue.length; i++) if (newer(queue[i]!, queue[best]!)) best = i
    const [entry] = queue.splice(best, 1) as [Queued]
    let c = color.get(entry.id)!
    if ((c & BOTH) === BOTH && (c & STALE) === 0) {
      candidates.push(entry)
      c |= STALE // its ancestors are common too, and never better
    }
    for (const p of entry.snapshot.parents) await paint(p, c)
  }
  // several candidates only after criss-cross merges: keep those no other one reaches
  return bestOf(ctx, candidates.filter((q) => (color.get(q.id)! & STALE) === 0))
}

function newer(a: Queued, b: Queued): boolean {
  return a.snapshot.timestampMs > b.snapshot.timestampMs || (a.snapshot.timestampMs === b.snapshot.timestampMs && a.id < b.id)
}

/**
 * Of the common ancestors found, those no other one reaches, newest first
 * (ties: the smaller id), so the order is deterministic.
 */
async function bestOf(ctx: RepoContext, found: Queued[]): Promise<SnapshotId[]> {
  const unique = [...new Map(found.map((q) => [q.id, q])).values()]
  if (unique.length <= 1) return unique.map((q) => q.id)
  const best: Queued[] = []
  for (const q of unique) {
    let dominated = false
    for (const other of unique) {
      if (other.id !== q.id && (await reaches(ctx, other.id, q.id))) {
        dominated = true
        break
      }
    }
    if (!dominated) best.push(q)
  }
  best.sort((a, b) => (newer(a, b) ? -1 : newer(b, a) ? 1 : 0))
  return best.map((q) => q.id)
}
