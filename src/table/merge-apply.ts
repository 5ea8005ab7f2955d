/**
 * Applying a change set (format-spec/merge.md): the one operation under
 * merge, revert and cherry-pick, which differ only in their three inputs and
 * the parents of the commit. Plans with merge.ts, writes the merged tables,
 * and publishes one snapshot with one logged compare-and-swap, the whole
 * attempt retried when the branch moved meanwhile.
 */
import { backOff } from 'exponential-backoff'
import type { ObjectId, SnapshotId } from '../ids.js'
import type { MergeConflict, MergeStrategy } from '../api-types.js'
import type { Snapshot, TableChange, TableMetadata } from '../format/types.js'
import type { RefValue } from '../store/types.js'
import type { DataEngine } from '../io/types.js'
import { DvError, isDvError } from '../errors.js'
import { shortId } from '../ids.js'
import { branchRef } from '../refs/names.js'
import { updateRef } from '../refs/reflog.js'
import { applyFileChanges } from './changes.js'
import type { RetryPolicy } from './commit.js'
import { readTableMetadata, writeSnapshot, writeTableMetadata, type RepoContext } from './context.js'
import { tableDelta, type TableMap } from './delta.js'
import { mergeKeyedPartitions } from './merge-keys.js'
import { enforceOnTableMaps } from './contract/enforce.js'
import { planThreeWay, type TableOutcome } from './merge.js'

export interface ThreeWayInput {
  base: TableMap
  ours: Pick<Snapshot, 'tables'>
  theirs: TableMap
  strategy?: MergeStrategy
  /** False: compute the result and its summary, write nothing (a dry run). */
  write: boolean
  /** Stops the apply between tables and interrupts the engine (format-spec/merge.md#interrupting). */
  signal?: AbortSignal
}

export interface ThreeWayResult {
  conflicts: MergeConflict[]
  /** The result's table map (ids of unwritten tables are '' in a dry run). */
  tables: Record<string, ObjectId>
  /** Changes relative to ours, per table. */
  summary: Record<string, TableChange>
}

/**
 * Plans and (unless a dry run) writes the merged tables. Nothing is written
 * when anything conflicts. An abort of `input.signal` interrupts the engine
 * and rejects with the signal's reason: what was written is unreferenced.
 */
export async function applyThreeWay(ctx: RepoContext, input: ThreeWayInput): Promise<ThreeWayResult> {
  const signal = input.signal
  signal?.throwIfAborted()
  // the engine starts only for a key-level merge: interrupt it if it did
  let engine: DataEngine | undefined
  const tracked: RepoContext = { ...ctx, engine: async () => (engine = await ctx.engine()) }
  const interrupt = () => engine?.interrupt()
  signal?.addEventListener('abort', interrupt, { once: true })
  try {
    return await applyTables(tracked, input)
  } catch (e) {
    // an interrupted statement fails with the engine's own error: the caller asked for the abort
    throw signal?.aborted ? signal.reason : e
  } finally {
    signal?.removeEventListener('abort', interrupt)
  }
}

async function applyTables(ctx: RepoContext, input: ThreeWayInput): Promise<ThreeWayResult> {
  const plan = await planThreeWay(ctx, input.base, input.ours.tables, input.theirs, input.strategy)
  input.signal?.throwIfAborted()
  const keyed = await mergeKeyedPartitions(ctx, plan.tables, input.write && plan.conflicts.length === 0)
  const conflicts = [...plan.conflicts, ...keyed.conflicts]
  const tables: Record<string, ObjectId> = { ...input.ours.tables }
  const summary: Record<string, TableChange> = {}
  if (conflicts.length) return { conflicts, tables, summary }
  for (const outcome of plan.tables) {
    input.signal?.throwIfAborted()
    const done = await materialize(ctx, outcome, input.ours.tables[outcome.table], input.write)
    if (done === undefined) continue
    if (done.id === null) delete tables[outcome.table]
    else tables[outcome.table] = done.id
    summary[outcome.table] = done.summary
  }
  return { conflicts, tables, summary }
}

async function materialize(
  ctx: RepoContext, outcome: TableOutcome, oursId: ObjectId | undefined, write: boolean,
): Promise<{ id: ObjectId | null; summary: TableChange } | undefined> {
  if (outcome.kind === 'ours') return undefined
  if (outcome.kind === 'theirs') {
    if (outcome.id === (oursId ?? null)) return undefined
    const [o, t] = await Promise.all([oursId ? readTableMetadata(ctx, oursId) : null, outcome.id ? readTableMetadata(ctx, outcome.id) : null])
    const d = await tableDelta(ctx, outcome.table, o, t)
    const operation = o === null ? 'create' : t === null ? 'drop' : undefined
    return { id: outcome.id, summary: summaryOf(d.added.map((f) => f.file), d.removed.map((f) => f.file), operation, d.schema.length > 0) }
  }
  const { next, removes, adds } = outcome
  const schemaChanged = JSON.stringify(next.schema) !== JSON.stringify(outcome.ours.schema)
  const metadataChanged = schemaChanged || JSON.stringify({ ...next, manifests: [] }) !== JSON.stringify({ ...outcome.ours, manifests: [] })
  if (removes.length === 0 && adds.length === 0 && !metadataChanged) return undefined
  const summary = summaryOf(adds, removes, undefined, metadataChanged)
  if (!write) return { id: '' as ObjectId, summary }
  const missing = (id: ObjectId) => new DvError('INTERNAL', `merge of table '${outcome.table}' removes data file ${shortId(id)}, which the target does not hold`)
  const table: TableMetadata = { ...next, manifests: await applyFileChanges(ctx, next, removes, adds, missing) }
  return { id: await writeTableMetadata(ctx, table), summary }
}

/** A merged table's change relative to the first parent; the operation is derived (format-spec/merge.md#the-result-commit). */
function summaryOf(
  added: ReadonlyArray<{ rows: number; bytes: number }>, removed: ReadonlyArray<{ rows: number; bytes: number }>,
  operation: TableChange['operation'] | undefined, metadataChanged: boolean,
): TableChange {
  const sum = (fs: ReadonlyArray<{ rows: number; bytes: number }>, k: 'rows' | 'bytes') => fs.reduce((n, f) => n + f[k], 0)
  const derived = operation ?? (added.length && removed.length ? 'overwrite' : added.length ? 'append' : removed.length ? 'delete' : metadataChanged ? 'schema' : 'append')
  return {
    operation: derived,
    addedFiles: added.length, removedFiles: removed.length,
    addedRows: sum(added, 'rows'), removedRows: sum(removed, 'rows'),
    addedBytes: sum(added, 'bytes'), removedBytes: sum(removed, 'bytes'),
  }
}

/**
 * The error a conflicting three-way apply raises: the report is in
 * `details.conflicts`; the hint names the two sides (`ours`: the branch
 * written to, `theirs`: what is applied) so the way out is concrete.
 */
export function conflictReport(what: string, conflicts: MergeConflict[], sides: { ours: string; theirs: string }): DvError {
  const tables = [...new Set(conflicts.map((c) => c.table))]
  return new DvError('CONFLICT', `${what} conflicts in ${tables.length === 1 ? `table '${tables[0]}'` : `tables ${tables.map((t) => `'${t}'`).join(', ')}`}: ${conflicts.map((c) => `${c.table}: ${c.message}`).join('; ')}`, {
    retryable: false,
    hint: `nothing was changed (--dry-run shows the report again). Pass --strategy ours to keep ${sides.ours}'s side of what conflicts, or --strategy theirs to take ${sides.theirs}'s; or change ${tables.join(', ')} on one side so the two no longer touch the same partitions, files or keys, then run it again`,
    details: { conflicts },
  })
}

export interface PublishRequest {
  branch: string
  /** The ref as read when the attempt started. */
  ref: RefValue
  parents: SnapshotId[]
  /** Must be the first parent's snapshot. */
  parent: Snapshot
  message: string
  author: string
  tables: Record<string, ObjectId>
  summary: Record<string, TableChange>
  reflogMessage: string
  /** Recorded in the snapshot, with the request's fingerprint (format-spec/merge.md#idempotency). */
  idempotencyKey?: string
  fingerprint?: string
  /** 'merge' for dv merge; 'commit' for revert and cherry-pick (a branch protected with --require-merge refuses those). */
  intent: 'merge' | 'commit'
  /** False: skip the contracts (--no-verify); a branch protected with --require-checks refuses that. */
  verify: boolean
  /** Checked once more before the snapshot is written: after that the publish completes. */
  signal?: AbortSignal
}

/** The data contracts of the tables a merge, revert or cherry-pick changes, on the result, before anything lands (contract/enforce.ts). */
export async function verifyContracts(ctx: RepoContext, parentId: SnapshotId, parent: Snapshot, tables: Record<string, ObjectId>): Promise<void> {
  await enforceOnTableMaps(ctx, parentId, parent.tables, tables)
}

/** Writes the snapshot and moves the branch to it with one logged CAS; a moved branch is a retryable CONFLICT. */
export async function publish(ctx: RepoContext, req: PublishRequest): Promise<{ id: SnapshotId; snapshot: Snapshot }> {
  req.signal?.throwIfAborted()
  if (req.verify) await verifyContracts(ctx, req.parents[0]!, req.parent, req.tables)
  req.signal?.throwIfAborted()
  const snapshot: Snapshot = {
    parents: req.parents,
    timestampMs: Math.max(ctx.now(), req.parent.timestampMs + 1),
    author: req.author,
    message: req.message,
    tables: req.tables,
    summary: req.summary,
    ...(req.idempotencyKey === undefined ? {} : { idempotencyKey: req.idempotencyKey, ...(req.fingerprint ? { fingerprint: req.fingerprint } : {}) }),
  }
  const id = await writeSnapshot(ctx, snapshot)
  await moveBranch(ctx, req.branch, req.ref, id, req.reflogMessage, { intent: req.intent, skippedChecks: !req.verify })
  return { id, snapshot }
}

/** One logged compare-and-swap of a branch; a moved branch is a retryable CONFLICT. */
export async function moveBranch(
  ctx: RepoContext, branch: string, ref: RefValue, to: SnapshotId, message: string, how: { intent: 'merge' | 'commit'; skippedChecks: boolean },
): Promise<void> {
  try {
    await updateRef(ctx, { ref: branchRef(branch), expected: ref, next: to, message, ...how })
  } catch (e) {
    if (isDvError(e, 'CONFLICT') && e.retryable) {
      throw new DvError('CONFLICT', `branch '${branch}' moved (expected ${shortId(ref.snapshot)})`, { cause: e, retryable: true, details: { branch, expected: ref.snapshot } })
    }
    throw e
  }
}

/** Runs `attempt` until it lands, retrying (backoff with full jitter) only when the branch moved meanwhile. */
export async function retryWhileMoving<T>(policy: RetryPolicy, branch: string, attempt: () => Promise<T>): Promise<T> {
  const started = Date.now()
  try {
    return await backOff(attempt, {
      numOfAttempts: policy.attempts,
      startingDelay: policy.startingDelayMs,
      maxDelay: policy.maxDelayMs,
      jitter: 'full',
      retry: (e) => isDvError(e, 'CONFLICT') && e.retryable && Date.now() - started < policy.totalMs,
    })
  } catch (e) {
    if (!(isDvError(e, 'CONFLICT') && e.retryable)) throw e
    throw new DvError('CONFLICT', `branch '${branch}' kept moving: gave up after ${policy.attempts} attempts or ${policy.totalMs} ms`, {
      cause: e, hint: 'nothing was applied; run the command again', details: { branch },
    })
  }
}
