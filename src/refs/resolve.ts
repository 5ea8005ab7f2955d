/** Resolving REV strings to snapshot ids (format-spec/rev-syntax.md). */
import type { ReflogStore, RefStore } from '../store/types.js'
import type { Snapshot } from '../format/types.js'
import type { SnapshotId } from '../ids.js'
import { isObjectId, shortId } from '../ids.js'
import { DvError } from '../errors.js'
import { BRANCH_PREFIX, TAG_PREFIX, branchRef, tagRef } from './names.js'
import { reflogRefOf, reflogValue } from './reflog.js'
import { parseRev } from './rev.js'

export interface RevContext {
  refs: RefStore
  /** For NAME@{N}. */
  reflog: ReflogStore
  /** The branch HEAD names (main without a workspace), or null when detached: whose log HEAD@{N} reads. */
  headBranch(): Promise<string | null>
  readSnapshot(id: SnapshotId): Promise<Snapshot>
  hasObject(id: string): Promise<boolean>
  /** The workspace HEAD, or undefined without a workspace. */
  head(): Promise<SnapshotId | undefined>
}

export interface ResolvedRev {
  snapshot: SnapshotId
  /** Set when REV names a branch with no suffix. */
  branch?: string
}

const MIN_PREFIX = 4

export async function resolveRev(ctx: RevContext, rev: string): Promise<ResolvedRev> {
  const { base, steps } = parseRev(rev)
  const start = steps[0]?.kind === 'reflog'
    ? { snapshot: await reflogValue(ctx, await reflogRefOf(ctx, base, () => ctx.headBranch()), steps[0].n, rev) }
    : await resolveBase(ctx, base, rev)
  let id = start.snapshot
  for (const step of steps) {
    if (step.kind === 'reflog') continue // the first step, applied above
    if (step.kind === 'ancestor') {
      for (let i = 0; i < step.n; i++) id = await nthParent(ctx, id, 1, rev)
    } else if (step.kind === 'parent') {
      if (step.n > 0) id = await nthParent(ctx, id, step.n, rev)
    } else {
      id = await atTime(ctx, id, step.ms, step.text, rev)
    }
  }
  return steps.length === 0 && start.branch ? { snapshot: id, branch: start.branch } : { snapshot: id }
}

async function nthParent(ctx: RevContext, id: SnapshotId, n: number, rev: string): Promise<SnapshotId> {
  const snap = await ctx.readSnapshot(id)
  const parent = snap.parents[n - 1]
  if (!parent) {
    throw new DvError('NOT_FOUND', `revision '${rev}' goes past the start of history: snapshot ${shortId(id)} has ${snap.parents.length === 0 ? 'no parents' : `only ${snap.parents.length} parent(s)`}`)
  }
  return parent
}

/** The newest commit on the first-parent chain from `id` whose timestamp is <= ms. */
async function atTime(ctx: RevContext, id: SnapshotId, ms: number, text: string, rev: string): Promise<SnapshotId> {
  let cur: SnapshotId | undefined = id
  let oldest: Snapshot | undefined
  while (cur) {
    const snap = await ctx.readSnapshot(cur)
    if (snap.timestampMs <= ms) return cur
    oldest = snap
    cur = snap.parents[0]
  }
  const first = oldest ? new Date(oldest.timestampMs).toISOString() : 'unknown'
  throw new DvError('NOT_FOUND', `no commit in '${rev}' at or before ${text}: the history starts at ${first}`, {
    hint: 'pick a later time, or a snapshot id from `dv log`',
  })
}

async function resolveBase(ctx: RevContext, base: string, rev: string): Promise<ResolvedRev> {
  if (base === 'HEAD' || base === '@') {
    const head = await ctx.head()
    if (head) return { snapshot: head }
    const main = await ctx.refs.get(branchRef('main'))
    if (main) return { snapshot: main.snapshot }
    throw new DvError('NOT_FOUND', `revision '${rev}': there is no HEAD (no workspace and no branch main)`)
  }
  const branch = await ctx.refs.get(branchRef(base))
  if (branch) return { snapshot: branch.snapshot, branch: base }
  const tag = await ctx.refs.get(tagRef(base))
  if (tag) return { snapshot: tag.snapshot }
  if (/^[0-9a-f]+$/i.test(base) && base.length >= MIN_PREFIX) {
    const hex = base.toLowerCase()
    if (isObjectId(hex)) {
      if (await ctx.hasObject(hex)) {
        await ctx.readSnapshot(hex as SnapshotId) // fails if the object is not a snapshot
        return { snapshot: hex as SnapshotId }
      }
    } else {
      const matches = (await reachableSnapshots(ctx)).filter((s) => s.startsWith(hex))
      if (matches.length === 1) return { snapshot: matches[0] }
      if (matches.length > 1) {
        throw new DvError('INVALID_ARGUMENT', `snapshot prefix '${base}' is ambiguous: it matches ${matches.map((m) => shortId(m, 12)).join(', ')}`, {
          hint: 'use more hex digits', details: { candidates: matches },
        })
      }
    }
  }
  throw new DvError('NOT_FOUND', `unknown revision '${rev}': no branch, tag or snapshot is named '${base}'`, {
    hint: 'see `dv branch --list`, `dv tag --list` and `dv log`',
  })
}

/** Every snapshot reachable from a branch, a tag or HEAD. */
export async function reachableSnapshots(ctx: RevContext): Promise<SnapshotId[]> {
  const roots: SnapshotId[] = []
  for (const prefix of [BRANCH_PREFIX, TAG_PREFIX]) {
    for (const r of await ctx.refs.list(prefix)) roots.push(r.value.snapshot)
  }
  const head = await ctx.head()
  if (head) roots.push(head)
  const seen = new Set<SnapshotId>()
  const stack = [...roots]
  while (stack.length > 0) {
    const id = stack.pop() as SnapshotId
    if (seen.has(id)) continue
    seen.add(id)
    const snap = await ctx.readSnapshot(id)
    for (const p of snap.parents) if (!seen.has(p)) stack.push(p)
  }
  return [...seen]
}
