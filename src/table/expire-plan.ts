/**
 * Which snapshots retention expires (format-spec/retention.md#which-snapshots-expire).
 * Pure over what it is given except for reading snapshot objects: the
 * policies, the refs and the reflog entries read by the caller, and the
 * time. A snapshot is kept when any rule keeps it; it expires when some
 * policy judged it and none kept it.
 */
import type { ExpiredSnapshot, Retention, RetentionPolicy } from '../format/types.js'
import type { SnapshotId } from '../ids.js'
import { readSnapshot, type RepoContext } from './context.js'

export const DAY_MS = 86_400_000

export interface ExpireInput {
  retention: Retention
  /** Branch name -> head snapshot. */
  branches: ReadonlyMap<string, SnapshotId>
  /** Snapshots tags name (kept forever, not their ancestors). */
  tags: ReadonlySet<string>
  /** Snapshots named by any reflog entry of a branch or tag, with the newest such entry's time. */
  reflog: ReadonlyMap<SnapshotId, number>
  /** Snapshots that must stay readable whatever the policy (staged changes' bases). */
  pinned: ReadonlySet<string>
  /** The time ages are measured from (ms since the epoch). */
  nowMs: number
}

/** What a policy decided about one snapshot it judged. */
type Verdict = { keep: true } | { keep: false; by: Omit<ExpiredSnapshot, 'timeMs'> }

const young = (policy: RetentionPolicy, timeMs: number, nowMs: number): boolean => policy.keepDays !== null && nowMs - timeMs < policy.keepDays * DAY_MS

/** The snapshots the policies expire, each with the policy that expired it. Snapshots outside every policy's reach are not listed. */
export async function planExpiry(ctx: RepoContext, input: ExpireInput): Promise<Map<SnapshotId, Omit<ExpiredSnapshot, 'timeMs'>>> {
  const kept = new Set<string>([...input.tags, ...input.pinned, ...input.branches.values()])
  const judged = new Map<SnapshotId, Omit<ExpiredSnapshot, 'timeMs'>>()
  const verdict = (id: SnapshotId, v: Verdict): void => {
    if (v.keep) kept.add(id)
    else if (!judged.has(id)) judged.set(id, v.by)
  }
  const reachedByBranch = new Set<string>()

  for (const [branch, head] of [...input.branches].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const own = Object.hasOwn(input.retention.branches, branch) ? input.retention.branches[branch]! : null
    const policy = own ?? input.retention.default
    const by = { branch: own === null ? null : branch, keepDays: policy?.keepDays ?? null, keepLast: policy?.keepLast ?? null }
    // first-parent positions: the head is 0
    const position = new Map<string, number>()
    let at: SnapshotId | undefined = head
    for (let i = 0; at !== undefined && !position.has(at); i++) {
      position.set(at, i)
      at = (await readSnapshot(ctx, at)).parents[0]
    }
    const seen = new Set<string>([head])
    const stack: SnapshotId[] = [head]
    while (stack.length > 0) {
      const id = stack.pop()!
      reachedByBranch.add(id)
      const snap = await readSnapshot(ctx, id)
      const i = position.get(id)
      if (policy === null || young(policy, snap.timestampMs, input.nowMs) || (i !== undefined && policy.keepLast !== null && i < policy.keepLast)) verdict(id, { keep: true })
      else verdict(id, { keep: false, by })
      for (const p of snap.parents) {
        if (seen.has(p)) continue
        seen.add(p)
        stack.push(p)
      }
    }
  }

  // snapshots only reflog entries name (and their ancestors no branch reaches): aged by the newest entry, under the default
  const byDefault = input.retention.default
  const seen = new Set<string>(reachedByBranch)
  for (const [start, entryMs] of [...input.reflog].sort(([, a], [, b]) => b - a)) {
    if (seen.has(start)) continue
    seen.add(start)
    const stack: SnapshotId[] = [start]
    while (stack.length > 0) {
      const id = stack.pop()!
      if (byDefault === null || young(byDefault, entryMs, input.nowMs)) verdict(id, { keep: true })
      else verdict(id, { keep: false, by: { branch: null, keepDays: byDefault.keepDays, keepLast: byDefault.keepLast } })
      for (const p of (await readSnapshot(ctx, id)).parents) {
        if (seen.has(p)) continue
        seen.add(p)
        stack.push(p)
      }
    }
  }
  for (const id of kept) judged.delete(id as SnapshotId)
  return judged
}
