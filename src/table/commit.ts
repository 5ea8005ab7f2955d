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
import type { Lineage, LineageInput, Snapshot, TableChange, TableMetadata } from '../format/types.js'
import type { CommitResult } from '../api-types.js'
import { DvError, isDvError } from '../errors.js'
import { asBranchName, shortId } from '../ids.js'
import { branchRef } from '../refs/names.js'
import { updateRef } from '../refs/reflog.js'
import { readSnapshot, readTableMetadata, writeSnapshot, writeTableMetadata, type RepoContext } from './context.js'
import { applyChange, combineSummaries, type PendingChange } from './changes.js'
import { CONFLICT_RULES, conflictError } from './conflicts.js'
import { findIdempotencyKey } from './history.js'
import { enforceContracts } from './contract/enforce.js'
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js'
import { deferPuts } from './deferred-puts.js'

export { DEFAULT_RETRY, type RetryPolicy } from './retry.js'

/**
 * A metadata-only change of one table (a primary key today; schema changes
 * and merges can use it too): the table's next metadata, valid only on the
 * exact metadata it was computed from. Re-applied on a head where the table
 * changed, it is a CONFLICT (table-changed): it read the whole table.
 */
export interface TableEdit {
  table: string
  /** The table's metadata id at `baseSnapshot`, which `next` was computed from. */
  baseTable: ObjectId
  baseSnapshot: SnapshotId
  next: TableMetadata
  /** What the edit is, for messages (e.g. 'set-key'). */
  what: string
}

export interface CommitRequest {
  branch: string
  message: string
  author: string
  changes: PendingChange[]
  /** Metadata-only changes, applied before `changes`. */
  edits?: TableEdit[]
  allowEmpty?: boolean
  idempotencyKey?: string
  /** SHA-256 of the request that the idempotency key names. */
  fingerprint?: string
  /** The code version and the pipeline's pairs to record (format-spec/snapshot.md#lineage); the inputs come from the changes. */
  lineage?: Pick<Lineage, 'code' | 'meta'>
  retry?: RetryPolicy
  /**
   * Evaluate the data contracts of the tables whose data this request changes
   * (contract/enforce.ts) before its snapshot is written; default true. On
   * every attempt: a rebase checks again. False only for a preview (dv status).
   */
  verify?: boolean
  /** True when the contracts were skipped on request (--no-verify): the ref update says so, and a branch protected with --require-checks refuses it. */
  skippedChecks?: boolean
  /** Called with the new snapshot id right before the ref update (workspace bookkeeping). */
  beforeRefUpdate?: (snapshot: SnapshotId) => Promise<void>
}

export async function commitChanges(ctx: RepoContext, req: CommitRequest): Promise<CommitResult> {
  asBranchName(req.branch)
  if (req.changes.length === 0 && !req.edits?.length && !req.allowEmpty) {
    throw new DvError('INVALID_ARGUMENT', `nothing to commit on branch '${req.branch}'`, {
      hint: 'stage a change with `dv write TABLE FILE`, or pass --allow-empty',
    })
  }
  return new Promise<CommitResult>((resolve, reject) => {
    const queue = queueFor(ctx, req.branch)
    queue.waiting.push({ ctx, req, resolve, reject })
    if (!queue.busy) void drain(queue)
  })
}

/**
 * Group commit: commits to one branch of one store from this process queue
 * up; whoever finds the queue idle lands everything waiting as a chain of
 * snapshots (one per request, each with its own message, key and summary)
 * with ONE compare-and-swap. Writers in one process then never race each
 * other for the ref, and the ref update's cost is shared.
 */
interface Waiter {
  /** The requester's context: a batch runs with its first waiter's (that Repository is open until it resolves). */
  ctx: RepoContext
  req: CommitRequest
  resolve: (r: CommitResult) => void
  reject: (e: unknown) => void
}

interface Queue {
  waiting: Waiter[]
  busy: boolean
}

/** Most requests landed by one compare-and-swap. */
const MAX_BATCH = 64
const byLocation = new Map<string, Queue>()
const byStorage = new WeakMap<object, Map<string, Queue>>()

/** Stores with a real location (a directory, a URL) are shared by every Repository opened on it. */
function queueFor(ctx: RepoContext, branch: string): Queue {
  const shared = ctx.storage.location !== 'memory'
  let map: Map<string, Queue>
  if (shared) {
    map = byLocation
  } else {
    map = byStorage.get(ctx.storage) ?? new Map()
    byStorage.set(ctx.storage, map)
  }
  const key = shared ? `${ctx.storage.location}\0${branch}` : branch
  let q = map.get(key)
  if (!q) {
    q = { waiting: [], busy: false }
    map.set(key, q)
  }
  return q
}

async function drain(queue: Queue): Promise<void> {
  queue.busy = true
  try {
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, MAX_BATCH)
      await commitBatch(batch[0].ctx, batch)
    }
  } finally {
    queue.busy = false
  }
}

type Outcome = { ok: CommitResult } | { err: unknown }

/**
 * The retry decision, read from the error (as iceberg-rust's
 * `when(|e| e.retryable())`): a retryable CONFLICT from the ref update means
 * the branch moved, and the whole batch is rebuilt on the new head. Anything
 * else is reported at once: a held ref lock (not retryable), a storage
 * failure, a conflict of one request with what it read (that request alone).
 */
function branchMoved(e: unknown): e is DvError {
  return isDvError(e, 'CONFLICT') && e.retryable
}

async function commitBatch(ctx: RepoContext, batch: Waiter[]): Promise<void> {
  const policy = batch[0].req.retry ?? DEFAULT_RETRY
  const branch = batch[0].req.branch
  const started = Date.now()
  let outcomes: Outcome[]
  try {
    outcomes = await backOff(() => attemptBatch(ctx, batch), {
      numOfAttempts: policy.attempts,
      startingDelay: policy.startingDelayMs,
      maxDelay: policy.maxDelayMs,
      jitter: 'full',
      retry: (e) => branchMoved(e) && Date.now() - started < policy.totalMs,
    })
  } catch (e) {
    let err = e
    if (branchMoved(e)) {
      err = new DvError('CONFLICT', `branch '${branch}' kept moving: gave up after ${policy.attempts} attempts or ${policy.totalMs} ms (last read at ${shortId(String(e.details.expected ?? ''))})`, {
        cause: e, hint: 'nothing was applied; retry the command (with the same --idempotency-key, if any)',
        details: { branch },
      })
    }
    outcomes = batch.map(() => ({ err }))
  }
  batch.forEach((w, i) => {
    const o = outcomes[i]
    if ('ok' in o) w.resolve(o.ok)
    else w.reject(o.err)
  })
}

/** Applies one request's changes on top of `parent`; writes its table metadata and snapshot (staged-state.ts: to a preview store). */
export async function buildSnapshot(
  ctx: RepoContext, req: Pick<CommitRequest, 'changes' | 'edits' | 'author' | 'message' | 'idempotencyKey' | 'fingerprint' | 'verify' | 'lineage'>, parentId: SnapshotId, parent: Snapshot,
): Promise<{ id: SnapshotId; snapshot: Snapshot }> {
  const tables: Record<string, ObjectId> = { ...parent.tables }
  const summary: Record<string, TableChange> = {}
  const current = new Map<string, TableMetadata | null>()
  for (const edit of req.edits ?? []) {
    const now = parent.tables[edit.table]
    if (now !== edit.baseTable || current.has(edit.table)) {
      throw conflictError({ mode: edit.what, table: edit.table, baseSnapshot: edit.baseSnapshot }, parentId, CONFLICT_RULES.tableChanged,
        `the table changed (metadata ${shortId(edit.baseTable)} -> ${now ? shortId(now) : 'absent'})`)
    }
    current.set(edit.table, edit.next)
    summary[edit.table] = { operation: 'schema', addedFiles: 0, removedFiles: 0, addedRows: 0, removedRows: 0, addedBytes: 0, removedBytes: 0 }
  }
  for (const change of req.changes) {
    if (!current.has(change.table)) {
      const id = parent.tables[change.table]
      current.set(change.table, id ? await readTableMetadata(ctx, id) : null)
    }
    const applied = await applyChange(ctx, current.get(change.table) ?? null, parent.tables[change.table] ?? null, change, parentId)
    current.set(change.table, applied.table)
    summary[change.table] = combineSummaries(summary[change.table], applied.summary)
  }
  if (req.verify !== false) {
    const pairs = await Promise.all([...current].map(async ([name, after]) => ({ name, after, before: parent.tables[name] ? await readTableMetadata(ctx, parent.tables[name]) : null })))
    await enforceContracts(ctx, parentId, pairs)
  }
  for (const [name, table] of current) if (table) tables[name] = await writeTableMetadata(ctx, table)
  const snapshot: Snapshot = {
    parents: [parentId],
    timestampMs: Math.max(ctx.now(), parent.timestampMs + 1),
    author: req.author,
    message: req.message,
    tables,
    summary,
    ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}),
    ...(req.idempotencyKey && req.fingerprint ? { fingerprint: req.fingerprint } : {}),
  }
  const lineage = lineageOf(req)
  if (lineage) snapshot.lineage = lineage
  return { id: await writeSnapshot(ctx, snapshot), snapshot }
}

/** The snapshot's lineage: the request's code and pairs, and the inputs its changes read; undefined when none. */
function lineageOf(req: Pick<CommitRequest, 'changes' | 'lineage'>): Lineage | undefined {
  const inputs: LineageInput[] = req.changes.flatMap((c) => (c.input ? [{ table: c.table, ...c.input }] : []))
  const meta = req.lineage?.meta && Object.keys(req.lineage.meta).length ? req.lineage.meta : undefined
  const lineage: Lineage = {
    ...(req.lineage?.code ? { code: req.lineage.code } : {}),
    ...(inputs.length ? { inputs } : {}),
    ...(meta ? { meta } : {}),
  }
  return Object.keys(lineage).length ? lineage : undefined
}

/**
 * One attempt at landing a batch: each request either replays (its key
 * already landed), fails on its own (a conflict that cannot rebase), or
 * becomes the next snapshot of the chain; then one CAS moves the branch to
 * the chain's end. A moved branch throws (the whole batch is retried).
 */
async function attemptBatch(ctx: RepoContext, batch: Waiter[]): Promise<Outcome[]> {
  const branch = batch[0].req.branch
  const ref = await ctx.storage.refs.get(branchRef(branch))
  if (!ref) {
    throw new DvError('NOT_FOUND', `branch '${branch}' does not exist`, { hint: 'create it with `dv branch NAME [REV]`' })
  }
  let parentId = ref.snapshot
  let parent = await readSnapshot(ctx, parentId)
  // the batch's manifests, table metadata and snapshots are stored concurrently; all durable before the ref update
  const writes = deferPuts(ctx)
  const outcomes: Array<Outcome | { pending: { id: SnapshotId; snapshot: Snapshot } }> = []
  const keysInBatch = new Map<string, { id: SnapshotId; snapshot: Snapshot }>()
  for (const { req } of batch) {
    try {
      const key = req.idempotencyKey
      const landed = key ? keysInBatch.get(key) ?? (await findIdempotencyKey(ctx, ref.snapshot, key)) : undefined
      if (landed) {
        outcomes.push({ ok: replayOf(req, landed.id, landed.snapshot) })
        continue
      }
      const built = await buildSnapshot(writes.ctx, req, parentId, parent)
      outcomes.push({ pending: built })
      if (key) keysInBatch.set(key, built)
      parentId = built.id
      parent = built.snapshot
    } catch (e) {
      outcomes.push({ err: e })
    }
  }
  const pending = outcomes.flatMap((o, i) => ('pending' in o ? [{ i, ...o.pending }] : []))
  if (pending.length === 0) {
    await writes.settle().catch(() => undefined) // each request failed on its own: those are the errors
  } else {
    // every put durable before the log and the swap (step 3); a failed one fails the chain, whose later snapshots build on it
    await writes.settle()
    for (const p of pending) await batch[p.i].req.beforeRefUpdate?.(p.id)
    try {
      await updateRef(ctx, {
        ref: branchRef(branch), expected: ref, next: parentId, message: reflogMessage(batch[pending.at(-1)!.i].req.message, pending.length),
        intent: 'commit', skippedChecks: pending.some((p) => batch[p.i].req.skippedChecks === true),
      })
    } catch (e) {
      if (branchMoved(e)) {
        throw new DvError('CONFLICT', `branch '${branch}' moved during the commit (expected ${shortId(ref.snapshot)})`, {
          cause: e, retryable: true, details: { ...e.details, expected: ref.snapshot, branch },
        })
      }
      if (!isDvError(e, 'OUTCOME_UNKNOWN')) throw e // STORAGE: a definite failure before the write, nothing landed
      const landed = await chainLanded(ctx, branch, parentId, parent)
      for (const p of pending) {
        outcomes[p.i] = landed ? { pending: p } : { err: unknownError(batch[p.i].req, p.id, e) }
      }
    }
  }
  return outcomes.map((o, i) => ('pending' in o ? { ok: resultOf(batch[i].req.branch, o.pending.id, o.pending.snapshot, false) } : o))
}

/** `commit: MSG`, or `commit (N commits): MSG` for a group commit, MSG being the last commit's first line. */
function reflogMessage(last: string, commits: number): string {
  const subject = last.split('\n', 1)[0]!
  return commits === 1 ? `commit: ${subject}` : `commit (${commits} commits): ${subject}`
}

/** After an unknown outcome: is `tip` (the end of our chain) on the branch now? */
async function chainLanded(ctx: RepoContext, branch: string, tip: SnapshotId, tipSnapshot: Snapshot): Promise<boolean> {
  try {
    const now = await ctx.storage.refs.get(branchRef(branch))
    let cur: SnapshotId | undefined = now?.snapshot
    for (let i = 0; cur && i < 1000; i++) {
      if (cur === tip) return true
      const s: Snapshot = await readSnapshot(ctx, cur)
      if (s.timestampMs < tipSnapshot.timestampMs) break
      cur = s.parents[0]
    }
  } catch {
    // still unknown
  }
  return false
}

function unknownError(req: CommitRequest, id: SnapshotId, cause: DvError): DvError {
  return new DvError('OUTCOME_UNKNOWN', `the commit ${shortId(id)} to branch '${req.branch}' may or may not have landed`, {
    cause,
    hint: `check with \`dv log ${req.branch}\`${req.idempotencyKey ? `, or retry with the same --idempotency-key ${req.idempotencyKey}` : ''}; nothing was deleted`,
    details: { snapshot: id, branch: req.branch },
  })
}

/** The result of a request whose idempotency key already landed as `id`: the original commit, or CONFLICT if the request differs. */
export function replayOf(req: Pick<CommitRequest, 'branch' | 'idempotencyKey' | 'fingerprint'>, id: SnapshotId, snapshot: Snapshot): CommitResult {
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
