/**
 * The commit protocol (format-spec/commit-protocol.md): read the branch,
 * apply the changes to its head's tables, write table metadata and the
 * snapshot (immutable objects), then ONE compare-and-swap of the branch ref.
 * A CAS conflict re-reads the head and re-applies (appends rebase; other
 * changes re-validate), with exponential backoff and full jitter. An unknown
 * outcome is settled by re-reading the ref; nothing is ever deleted.
 */
import { backOff } from 'exponential-backoff'
import type { ObjectId, SnapshotId } from '../ids.js'
import type { Snapshot, TableChange, TableMetadata } from '../format/types.js'
import type { CommitResult } from '../api-types.js'
import { DvError, isDvError } from '../errors.js'
import { asBranchName, shortId } from '../ids.js'
import { branchRef } from '../refs/names.js'
import { readSnapshot, readTableMetadata, writeSnapshot, writeTableMetadata, type RepoContext } from './context.js'
import { applyChange, combineSummaries, type PendingChange } from './changes.js'
import { findIdempotencyKey } from './history.js'

export interface RetryPolicy {
  /** Attempts in all (the first one included). */
  attempts: number
  startingDelayMs: number
  maxDelayMs: number
  /** No new attempt starts after this much time since the first. */
  totalMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 50, startingDelayMs: 5, maxDelayMs: 2000, totalMs: 60_000 }

export interface CommitRequest {
  branch: string
  message: string
  author: string
  changes: PendingChange[]
  allowEmpty?: boolean
  idempotencyKey?: string
  /** SHA-256 of the request that the idempotency key names. */
  fingerprint?: string
  retry?: RetryPolicy
  /** Called with the new snapshot id right before the ref update (workspace bookkeeping). */
  beforeRefUpdate?: (snapshot: SnapshotId) => Promise<void>
}

export async function commitChanges(ctx: RepoContext, req: CommitRequest): Promise<CommitResult> {
  asBranchName(req.branch)
  if (req.changes.length === 0 && !req.allowEmpty) {
    throw new DvError('INVALID_ARGUMENT', `nothing to commit on branch '${req.branch}'`, {
      hint: 'stage a change with `dv write TABLE FILE`, or pass --allow-empty',
    })
  }
  const policy = req.retry ?? DEFAULT_RETRY
  const started = Date.now()
  return backOff(() => attemptCommit(ctx, req), {
    numOfAttempts: policy.attempts,
    startingDelay: policy.startingDelayMs,
    maxDelay: policy.maxDelayMs,
    jitter: 'full',
    retry: (e) => isDvError(e, 'CONFLICT') && e.details.refConflict === true && Date.now() - started < policy.totalMs,
  }).catch((e: unknown) => {
    if (isDvError(e, 'CONFLICT') && e.details.refConflict === true) {
      throw new DvError('CONFLICT', `branch '${req.branch}' kept moving: gave up after ${policy.attempts} attempts or ${policy.totalMs} ms (last read at ${shortId(String(e.details.expected ?? ''))})`, {
        cause: e, hint: 'nothing was applied; retry the command (with the same --idempotency-key, if any)',
        details: { branch: req.branch },
      })
    }
    throw e
  })
}

async function attemptCommit(ctx: RepoContext, req: CommitRequest): Promise<CommitResult> {
  const ref = await ctx.storage.refs.get(branchRef(req.branch))
  if (!ref) {
    throw new DvError('NOT_FOUND', `branch '${req.branch}' does not exist`, { hint: 'create it with `dv branch NAME [REV]`' })
  }
  const head = await readSnapshot(ctx, ref.snapshot)
  if (req.idempotencyKey) {
    const landed = await findIdempotencyKey(ctx, ref.snapshot, req.idempotencyKey)
    if (landed) return replayOf(req, landed.id, landed.snapshot)
  }
  const tables: Record<string, ObjectId> = { ...head.tables }
  const summary: Record<string, TableChange> = {}
  const current = new Map<string, TableMetadata | null>()
  for (const change of req.changes) {
    if (!current.has(change.table)) {
      const id = head.tables[change.table]
      current.set(change.table, id ? await readTableMetadata(ctx, id) : null)
    }
    const applied = await applyChange(ctx, current.get(change.table) ?? null, head.tables[change.table] ?? null, change, ref.snapshot)
    current.set(change.table, applied.table)
    summary[change.table] = combineSummaries(summary[change.table], applied.summary)
  }
  for (const [name, table] of current) if (table) tables[name] = await writeTableMetadata(ctx, table)
  const snapshot: Snapshot = {
    parents: [ref.snapshot],
    timestampMs: Math.max(ctx.now(), head.timestampMs + 1),
    author: req.author,
    message: req.message,
    tables,
    summary,
    ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}),
    ...(req.idempotencyKey && req.fingerprint ? { fingerprint: req.fingerprint } : {}),
  }
  const id = await writeSnapshot(ctx, snapshot)
  await req.beforeRefUpdate?.(id)
  try {
    await ctx.storage.refs.compareAndSwap(branchRef(req.branch), ref.version, id)
  } catch (e) {
    if (isDvError(e, 'CONFLICT') && e.details.lock === undefined) {
      throw new DvError('CONFLICT', `branch '${req.branch}' moved during the commit (expected ${shortId(ref.snapshot)})`, {
        cause: e, details: { ...e.details, expected: ref.snapshot, refConflict: true, branch: req.branch },
      })
    }
    if (isDvError(e, 'OUTCOME_UNKNOWN') || isDvError(e, 'STORAGE')) return settleUnknown(ctx, req, id, snapshot, e)
    throw e
  }
  return resultOf(req.branch, id, snapshot, false)
}

/** The ref write may have happened: re-read the ref and look for our snapshot before reporting. */
async function settleUnknown(ctx: RepoContext, req: CommitRequest, id: SnapshotId, snapshot: Snapshot, cause: DvError): Promise<CommitResult> {
  if (cause.code === 'STORAGE') throw cause // a definite failure before the write: nothing landed
  try {
    const now = await ctx.storage.refs.get(branchRef(req.branch))
    if (now) {
      let cur: SnapshotId | undefined = now.snapshot
      for (let i = 0; cur && i < 1000; i++) {
        if (cur === id) return resultOf(req.branch, id, snapshot, false)
        const s: Snapshot = await readSnapshot(ctx, cur)
        if (s.timestampMs < snapshot.timestampMs) break
        cur = s.parents[0]
      }
    }
  } catch {
    // fall through: still unknown
  }
  throw new DvError('OUTCOME_UNKNOWN', `the commit ${shortId(id)} to branch '${req.branch}' may or may not have landed`, {
    cause,
    hint: `check with \`dv log ${req.branch}\`${req.idempotencyKey ? `, or retry with the same --idempotency-key ${req.idempotencyKey}` : ''}; nothing was deleted`,
    details: { snapshot: id, branch: req.branch },
  })
}

function replayOf(req: CommitRequest, id: SnapshotId, snapshot: Snapshot): CommitResult {
  if (req.fingerprint && snapshot.fingerprint && snapshot.fingerprint !== req.fingerprint) {
    throw new DvError('CONFLICT', `idempotency key '${req.idempotencyKey}' was already used by snapshot ${shortId(id)} for a different request`, {
      hint: 'use a new key for new content; a retry must send the same input',
      details: { snapshot: id, idempotencyKey: req.idempotencyKey },
    })
  }
  return resultOf(req.branch, id, snapshot, true)
}

export function resultOf(branch: string, id: SnapshotId, s: Snapshot, replay: boolean): CommitResult {
  return {
    snapshot: id,
    branch,
    parents: [...s.parents],
    timestamp: new Date(s.timestampMs).toISOString(),
    message: s.message,
    tables: s.summary,
    idempotentReplay: replay,
  }
}
