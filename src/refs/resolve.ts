/** Resolving REV strings to snapshot ids (format-spec/rev-syntax.md). */
import type { ReflogStore, RefStore } from '../store/types.js'
import type { Snapshot } from '../format/types.js'
import type { SnapshotId } from '../ids.js'
import { isObjectId, refNameProblem, shortId } from '../ids.js'
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
  /** Ids of the stored objects whose hex starts with `prefix`, of any kind. */
  listObjects(prefix: string): AsyncIterable<string>
  /**
   * What a stored object is, for prefix resolution: a readable snapshot, an
   * intact object of another kind, or one that cannot be read (corrupt, or a
   * damaged snapshot) and so might be a snapshot.
   */
  classifyObject(id: string): Promise<'snapshot' | 'other' | 'unreadable'>
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
  const refs = await matchingRefs(ctx, base)
  if (refs.length > 1) {
    const spellings = refs.map((r) => r.qualified)
    throw new DvError('INVALID_ARGUMENT', `revision '${base}' is ambiguous: it names ${refs.map((r) => `${r.kind} '${r.name}'`).join(' and ')}`, {
      hint: `name one of them: ${spellings.map((q) => `'${q}'`).join(' or ')}`,
      details: { candidates: spellings },
    })
  }
  if (refs.length === 1) {
    const [ref] = refs
    return ref.kind === 'branch' ? { snapshot: ref.snapshot, branch: ref.name } : { snapshot: ref.snapshot }
  }
  if (/^[0-9a-f]+$/i.test(base) && base.length >= MIN_PREFIX) {
    const hex = base.toLowerCase()
    if (isObjectId(hex)) {
      if (await ctx.hasObject(hex)) {
        await ctx.readSnapshot(hex as SnapshotId) // fails if the object is not a snapshot
        return { snapshot: hex as SnapshotId }
      }
    } else {
      const found = await snapshotsWithPrefix(ctx, hex)
      if (found.length === 1 && found[0].readable) return { snapshot: found[0].id }
      if (found.length > 1) {
        throw new DvError('INVALID_ARGUMENT', `snapshot prefix '${base}' is ambiguous: it matches ${found.map((m) => `${shortId(m.id, 12)}${m.readable ? '' : ' (unreadable)'}`).join(', ')}`, {
          hint: 'use more hex digits', details: { candidates: found.map((m) => m.id) },
        })
      }
      if (found.length === 1) {
        await ctx.readSnapshot(found[0].id) // the only match could not be read: this throws why
        return { snapshot: found[0].id }
      }
    }
  }
  throw new DvError('NOT_FOUND', `unknown revision '${rev}': no branch, tag or snapshot is named '${base}'`, {
    hint: 'see `dv branch --list`, `dv tag --list` and `dv log`',
  })
}

interface MatchedRef {
  kind: 'branch' | 'tag'
  name: string
  /** The spelling that names only this ref: `branches/NAME` or `tags/NAME`. */
  qualified: string
  snapshot: SnapshotId
}

/**
 * The refs a name can mean: branch NAME, tag NAME, and with the qualified
 * forms `branches/NAME` and `tags/NAME` that branch or tag. More than one is
 * an ambiguity the caller reports; a branch never silently wins over a tag.
 */
async function matchingRefs(ctx: RevContext, base: string): Promise<MatchedRef[]> {
  const wanted: Array<{ kind: 'branch' | 'tag'; name: string }> = [{ kind: 'branch', name: base }, { kind: 'tag', name: base }]
  for (const [prefix, kind] of [[BRANCH_PREFIX, 'branch'], [TAG_PREFIX, 'tag']] as const) {
    const name = base.slice(prefix.length)
    if (base.startsWith(prefix) && refNameProblem(name) === undefined) wanted.push({ kind, name })
  }
  const found = await Promise.all(wanted.map(async (w) => {
    const key = w.kind === 'branch' ? branchRef(w.name) : tagRef(w.name)
    const value = await ctx.refs.get(key)
    return value ? [{ ...w, qualified: key, snapshot: value.snapshot }] : []
  }))
  return found.flat()
}

/**
 * The snapshots whose id starts with `hex`: only objects named by the prefix
 * are read, so a damaged object elsewhere (even the branch head) never stops
 * a lookup. An unreadable object with the prefix may have been a snapshot:
 * it counts, so that ambiguity is never hidden.
 */
async function snapshotsWithPrefix(ctx: RevContext, hex: string): Promise<Array<{ id: SnapshotId; readable: boolean }>> {
  const out: Array<{ id: SnapshotId; readable: boolean }> = []
  for await (const id of ctx.listObjects(hex)) {
    const kind = await ctx.classifyObject(id)
    if (kind !== 'other') out.push({ id: id as SnapshotId, readable: kind === 'snapshot' })
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1))
}
