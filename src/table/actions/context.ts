/**
 * What every action (write, commit, status, log, show, cat, checkout) runs
 * with: the table context, the commit retry policy, and the workspace if there
 * is one, seen through WorkspacePort (src/workspace/ implements it; table/
 * never imports it). Also the HEAD rules the actions share.
 */
import type { LineageOptions } from '../../api-types.js'
import type { CodeVersion, Lineage } from '../../format/types.js'
import type { ObjectId, SnapshotId } from '../../ids.js'
import { DvError, isDvError } from '../../errors.js'
import { parseSnapshot } from '../../format/index.js'
import { asBranchName, asObjectId, shortId } from '../../ids.js'
import { branchRef, DEFAULT_BRANCH } from '../../refs/names.js'
import type { RefAdminContext } from '../../refs/manage.js'
import type { TempEntry } from '../../store/owner.js'
import type { RestoreContext } from '../../refs/restore.js'
import { resolveRev, type ResolvedRev, type RevContext } from '../../refs/resolve.js'
import { isTimeLiteral } from '../../refs/rev.js'
import type { PendingChange } from '../changes.js'
import type { RetryPolicy } from '../commit.js'
import { readSnapshot, type RepoContext } from '../context.js'
import { assertNotExpired } from '../expiry.js'
import { countOnlyIn } from '../history.js'

/** The checked-out branch, or a snapshot the workspace is detached at (format-spec/workspace.md). */
export type Head = { branch: string } | { detached: SnapshotId }

/** Changes a commit took out of staging, handed back to markTaken and release. */
export interface TakenChanges {
  readonly changes: PendingChange[]
}

/** The workspace as the actions use it: HEAD and the staging area (format-spec/workspace.md). */
export interface WorkspacePort {
  readHead(): Promise<Head>
  writeHead(head: Head): Promise<void>
  /** The staged changes of `branch`, oldest first. */
  listStaged(branch: string): Promise<PendingChange[]>
  /** Stages a change for `branch`; durable when the promise resolves. */
  stage(branch: string, change: PendingChange): Promise<void>
  /** Takes every staged change of `branch` for one commit (undefined: nothing staged); release() must follow. */
  take(branch: string): Promise<TakenChanges | undefined>
  /** Records the snapshot the taken changes are about to become, for recovery after a crash. */
  markTaken(taken: TakenChanges, snapshot: SnapshotId): Promise<void>
  /** After the commit: landed, the changes are forgotten; not landed, they go back to staging. */
  release(taken: TakenChanges, landed: boolean): Promise<void>
  /** Settles changes a crashed commit left taken; `isLanded` says whether a snapshot is on a branch. */
  recover(isLanded: (branch: string, snapshot: SnapshotId) => Promise<boolean>): Promise<void>
  /**
   * Removes the staged changes of `branch` with these ids, each atomically,
   * and returns the ids removed: a change a concurrent commit took (or that
   * is gone) is left alone, and changes staged meanwhile are untouched.
   */
  unstage(branch: string, ids: readonly string[]): Promise<string[]>
  /** Every staged change of every branch, and every change a commit holds taken (gc's roots, format-spec/gc.md). */
  allStaged(): Promise<PendingChange[]>
}

export interface ActionContext extends RepoContext {
  retry: RetryPolicy
  /** Null for a repository opened by store URL: writes commit at once, HEAD is main. */
  workspace: WorkspacePort | null
  /** Temporary files of dv processes (store/owner.ts): remove what dead ones left (before a write), list them (fsck). */
  temp: {
    sweep(): Promise<unknown>
    list(): Promise<TempEntry[]>
  }
  /** The Git commit of the code in the work tree holding `dir` (format-spec/snapshot.md#lineage); undefined outside one. */
  codeVersion(dir: string): Promise<CodeVersion | undefined>
}

/**
 * The lineage a commit records besides its inputs: the code version (looked up now, so it runs alongside
 * the caller's work; a failure is the caller's when it awaits) and the checked pairs (empty ones are
 * dropped with the rest of an empty lineage by commit.ts).
 */
export function lineageFor(ctx: ActionContext, options: LineageOptions | undefined): () => Promise<Pick<Lineage, 'code' | 'meta'>> {
  const meta = options?.meta
  for (const [key, value] of Object.entries(meta ?? {})) {
    if (key.length === 0) throw new DvError('INVALID_ARGUMENT', 'a lineage meta key must not be empty', { hint: 'pass --meta KEY=VALUE with a non-empty KEY' })
    if (typeof value !== 'string') throw new DvError('INVALID_ARGUMENT', `lineage meta '${key}' must be a string`, { details: { key } })
  }
  const code = options?.codeDir === undefined ? undefined : ctx.codeVersion(options.codeDir)
  code?.catch(() => undefined)
  return async () => {
    const version = await code
    return { ...(version ? { code: version } : {}), ...(meta ? { meta } : {}) }
  }
}

/** The snapshot HEAD names: the checked-out branch's head, the detached snapshot, or main without a workspace. */
export async function headSnapshot(ctx: ActionContext): Promise<SnapshotId | undefined> {
  if (!ctx.workspace) return (await ctx.storage.refs.get(branchRef(DEFAULT_BRANCH)))?.snapshot
  const head = await ctx.workspace.readHead()
  if ('detached' in head) return head.detached
  return (await ctx.storage.refs.get(branchRef(head.branch)))?.snapshot
}

/** The checked-out branch; null when detached or without a workspace. */
export async function currentBranch(ctx: ActionContext): Promise<string | null> {
  if (!ctx.workspace) return null
  const head = await ctx.workspace.readHead()
  return 'branch' in head ? head.branch : null
}

/** The branch a write or commit targets: the one named, else the checked-out one, else main. */
export async function targetBranch(ctx: ActionContext, explicit?: string): Promise<string> {
  if (explicit !== undefined) return asBranchName(explicit)
  if (!ctx.workspace) return DEFAULT_BRANCH
  const head = await ctx.workspace.readHead()
  if ('detached' in head) {
    throw new DvError('INVALID_ARGUMENT', `HEAD is detached at ${shortId(head.detached)}: there is no branch to write to`, {
      hint: 'switch to a branch with `dv checkout NAME` (or create one with `dv checkout -b NAME`), or pass --branch',
    })
  }
  return head.branch
}

export async function branchHead(ctx: ActionContext, branch: string): Promise<SnapshotId> {
  const ref = await ctx.storage.refs.get(branchRef(branch))
  if (!ref) throw new DvError('NOT_FOUND', `branch '${branch}' does not exist`, { hint: 'see `dv branch --list`' })
  return ref.snapshot
}

export function revContext(ctx: ActionContext): RevContext {
  return {
    refs: ctx.storage.refs,
    reflog: ctx.storage.reflog,
    headBranch: () => headBranch(ctx),
    readSnapshot: (id) => readSnapshot(ctx, id),
    hasObject: (id) => ctx.storage.objects.has(id as never),
    listObjects: (prefix) => ctx.storage.objects.list(prefix),
    classifyObject: (id) => classifyObject(ctx, asObjectId(id)),
    head: () => headSnapshot(ctx),
  }
}

/** Largest object read to tell whether it is a snapshot: a snapshot holds one line per table, data files are far bigger. */
const MAX_SNAPSHOT_CANDIDATE_BYTES = 64 << 20

/** Whether a stored object is a snapshot (for prefix lookups): read only when small enough to be one. */
async function classifyObject(ctx: ActionContext, id: ObjectId): Promise<'snapshot' | 'other' | 'unreadable'> {
  const size = await ctx.storage.objects.size(id)
  if (size === undefined || size > MAX_SNAPSHOT_CANDIDATE_BYTES) return 'other'
  let bytes: Uint8Array
  try {
    bytes = await ctx.storage.objects.get(id)
  } catch (e) {
    if (isDvError(e, 'CORRUPT')) return 'unreadable'
    throw e
  }
  try {
    parseSnapshot(bytes, `snapshot ${id}`)
    return 'snapshot'
  } catch {
    // intact bytes that do not parse: a damaged snapshot if it says it is one, else another kind of object
    return /"kind":"dv:snapshot:/.test(Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1 << 20)).toString('latin1')) ? 'unreadable' : 'other'
  }
}

/** The snapshot of `--at`: a REV, a bare ISO-8601 time (on HEAD), or HEAD when undefined. */
/**
 * The snapshot REV names (HEAD when undefined). A snapshot retention expired
 * is refused (NOT_FOUND naming the policy) unless `history` is set: its
 * tables may be gone, but its commit still shows in `dv log`.
 */
export async function resolveAt(ctx: ActionContext, at: string | undefined, options: { history?: boolean } = {}): Promise<SnapshotId> {
  let id: SnapshotId
  if (at === undefined) {
    const head = await headSnapshot(ctx)
    if (!head) throw new DvError('NOT_FOUND', 'there is no HEAD commit')
    id = head
  } else {
    id = (await resolveRev(revContext(ctx), isTimeLiteral(at) ? `HEAD@{${at}}` : at)).snapshot
  }
  if (options.history !== true) await assertNotExpired(ctx.storage, id, at)
  return id
}

/** resolveRev, refusing a snapshot retention expired (format-spec/retention.md#reading). */
export async function resolveReadable(ctx: ActionContext, rev: string): Promise<ResolvedRev> {
  const resolved = await resolveRev(revContext(ctx), rev)
  await assertNotExpired(ctx.storage, resolved.snapshot, rev)
  return resolved
}

/** What branch and tag management (refs/manage.ts) needs from here. */
export function refAdmin(ctx: ActionContext): RefAdminContext {
  return {
    storage: ctx.storage,
    now: ctx.now,
    author: ctx.author,
    refs: ctx.storage.refs,
    resolve: (rev) => resolveAt(ctx, rev),
    currentBranch: () => currentBranch(ctx),
  }
}

/** What `dv branch restore` (refs/restore.ts) needs from here: ref management, and how many commits a move drops. */
export function restoreContext(ctx: ActionContext): RestoreContext {
  return { ...refAdmin(ctx), dropped: (from, to) => countOnlyIn(ctx, from, to) }
}

/** The branch HEAD names: the checked-out one, main without a workspace, null when detached. */
export async function headBranch(ctx: ActionContext): Promise<string | null> {
  return ctx.workspace ? currentBranch(ctx) : DEFAULT_BRANCH
}
