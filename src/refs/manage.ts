/**
 * Branch and tag management (format-spec/refs.md): create, delete, list, and
 * the names pointing at each snapshot (for log and show). What it needs from
 * the layers above (resolving a REV, the checked-out branch) is injected
 * through RefAdminContext, as resolve.ts does with RevContext: refs/ never
 * imports table/.
 */
import type { RefInfo } from '../api-types.js'
import type { SnapshotId } from '../ids.js'
import type { RefStore } from '../store/types.js'
import { DvError, isDvError } from '../errors.js'
import { asBranchName, asTagName } from '../ids.js'
import { BRANCH_PREFIX, TAG_PREFIX, branchRef, tagRef } from './names.js'
import { updateRef, type ReflogContext } from './reflog.js'
import { readSettings } from './protection.js'

/** Every update is logged (reflog.ts): the context records with its clock and author. */
export interface RefAdminContext extends ReflogContext {
  refs: RefStore
  /** The snapshot REV names; HEAD when undefined. */
  resolve(rev: string | undefined): Promise<SnapshotId>
  /** The checked-out branch (listed as current, and not deletable); null when detached or without a workspace. */
  currentBranch(): Promise<string | null>
}

export type RefKind = 'branch' | 'tag'

/** The ref key of a branch or tag, checking the name first. */
function refKey(kind: RefKind, name: string): string {
  return kind === 'branch' ? branchRef(asBranchName(name)) : tagRef(asTagName(name))
}

function existsError(kind: RefKind, name: string, cause?: unknown): DvError {
  return new DvError('CONFLICT', `${kind} '${name}' already exists`, {
    retryable: false,
    cause,
    hint: kind === 'branch' ? 'pick another name, or delete it first with `dv branch -d`' : 'tags do not move: delete it first with `dv tag -d`',
  })
}

/**
 * Creates branch or tag `name` at `rev` (default HEAD): one compare-and-swap
 * from absent, logged as `message` (default `branch: created from REV`,
 * `tag: created at REV`). An existing ref is refused before anything is written.
 */
export async function createRef(ctx: RefAdminContext, kind: RefKind, name: string, rev?: string, message?: string): Promise<RefInfo> {
  const key = refKey(kind, name)
  // `branches/NAME` and `tags/NAME` are how a REV names one ref when a branch and a tag share NAME (rev-syntax.md)
  const qualifier = [BRANCH_PREFIX, TAG_PREFIX].find((p) => name.startsWith(p))
  if (qualifier !== undefined) {
    throw new DvError('INVALID_ARGUMENT', `invalid ${kind} name '${name}': it starts with '${qualifier}', which a revision uses to name a ${qualifier === BRANCH_PREFIX ? 'branch' : 'tag'}`, {
      hint: `use another name, e.g. '${name.slice(qualifier.length)}'`,
    })
  }
  const snapshot = await ctx.resolve(rev)
  if (await ctx.refs.get(key)) throw existsError(kind, name)
  try {
    await updateRef(ctx, {
      ref: key, expected: null, next: snapshot,
      message: message ?? (kind === 'branch' ? `branch: created from ${rev ?? 'HEAD'}` : `tag: created at ${rev ?? 'HEAD'}`),
    })
  } catch (e) {
    if (isDvError(e, 'CONFLICT') && (await ctx.refs.get(key))) throw existsError(kind, name, e)
    throw e
  }
  return { name, snapshot }
}

/** Deletes branch or tag `name` (never the checked-out branch): one compare-and-swap to absent. */
export async function deleteRef(ctx: RefAdminContext, kind: RefKind, name: string): Promise<RefInfo> {
  const key = refKey(kind, name)
  if (kind === 'branch' && (await ctx.currentBranch()) === name) {
    throw new DvError('INVALID_ARGUMENT', `cannot delete branch '${name}': it is checked out`, { hint: 'switch to another branch first' })
  }
  const ref = await ctx.refs.get(key)
  if (!ref) throw new DvError('NOT_FOUND', `${kind} '${name}' does not exist`)
  await updateRef(ctx, { ref: key, expected: ref, next: null, message: `${kind} -d` })
  return { name, snapshot: ref.snapshot }
}

export async function listBranches(ctx: RefAdminContext): Promise<RefInfo[]> {
  const current = await ctx.currentBranch()
  const { settings } = await readSettings(ctx.storage)
  return (await ctx.refs.list(BRANCH_PREFIX)).map((r) => {
    const name = r.name.slice(BRANCH_PREFIX.length)
    const protection = settings && Object.hasOwn(settings.protectedBranches, name) ? { protection: { ...settings.protectedBranches[name]! } } : {}
    return { name, snapshot: r.value.snapshot, current: name === current, ...protection }
  })
}

export async function listTags(refs: RefStore): Promise<RefInfo[]> {
  return (await refs.list(TAG_PREFIX)).map((r) => ({ name: r.name.slice(TAG_PREFIX.length), snapshot: r.value.snapshot }))
}

/** Snapshot id -> the branches and tags ('tag: NAME') pointing at it, as log and show print them. */
export async function refNamesBySnapshot(refs: RefStore): Promise<Map<string, string[]>> {
  const names = new Map<string, string[]>()
  const add = (id: string, n: string) => names.set(id, [...(names.get(id) ?? []), n])
  for (const r of await refs.list(BRANCH_PREFIX)) add(r.value.snapshot, r.name.slice(BRANCH_PREFIX.length))
  for (const r of await refs.list(TAG_PREFIX)) add(r.value.snapshot, `tag: ${r.name.slice(TAG_PREFIX.length)}`)
  return names
}
