/**
 * The write action (`dv write`, Repository.write): check the request, read
 * the table as the write sees it (branch head plus staged changes), plan the
 * change in its mode (modes.ts), then stage it in the workspace or commit it
 * at once. A retried request whose idempotency key already landed replays the
 * original commit and writes nothing.
 */
import type { CommitResult, QuarantineResult, WriteMode, WriteOptions, WriteResult } from '../../api-types.js'
import { ON_VIOLATION, WRITE_MODES } from '../../api-types.js'
import { randomUUID } from 'node:crypto'
import type { Source } from '../../io/types.js'
import type { TableName } from '../../ids.js'
import type { PendingChange } from '../changes.js'
import type { TableMetadata } from '../../format/types.js'
import { DvError, isDvError } from '../../errors.js'
import { asTableName } from '../../ids.js'
import { commitChanges, replayOf } from '../commit.js'
import { readSnapshot } from '../context.js'
import { findIdempotencyKey } from '../history.js'
import { prepareChange } from '../modes.js'
import { stagedView } from '../staged-view.js'
import { requestFingerprint } from '../write.js'
import { quarantineName, quarantineRequest, quarantineSchema, quarantineSummary } from '../quarantine.js'
import { checkCommitMessage } from './commit.js'
import { checkDeclaredAgrees, effectiveCsv, loadDeclaredSchema } from '../ingest-options.js'
import { branchHead, lineageFor, targetBranch, type ActionContext } from './context.js'
import { verifyOn } from './verify-policy.js'

/**
 * Writes `source` to `table` in `options.mode` (default append): staged in
 * the workspace, or committed at once with `commit: true` (always without a
 * workspace). `source` is undefined only for `mode: 'delete'`.
 */
export async function write(ctx: ActionContext, table: string, source: Source | undefined, options: WriteOptions): Promise<WriteResult> {
  const name = asTableName(table)
  const mode = options.mode ?? 'append'
  if (!(WRITE_MODES as readonly string[]).includes(mode)) {
    throw new DvError('INVALID_ARGUMENT', `unknown write mode '${mode}'`, { hint: `modes: ${WRITE_MODES.join(', ')}` })
  }
  const onViolation = options.onViolation ?? 'fail'
  if (!(ON_VIOLATION as readonly string[]).includes(onViolation)) {
    throw new DvError('INVALID_ARGUMENT', `unknown --on-violation value '${String(onViolation)}'`, { hint: `values: ${ON_VIOLATION.join(', ')}` })
  }
  const quarantining = onViolation === 'quarantine'
  if (quarantining && mode === 'delete') {
    throw new DvError('INVALID_ARGUMENT', '--on-violation quarantine applies to writes with input rows, not --mode delete', { hint: 'a delete adds no row to check; omit --on-violation' })
  }
  const branch = await targetBranch(ctx, options.branch)
  const commitNow = options.commit === true || !ctx.workspace
  if (options.idempotencyKey !== undefined && !commitNow) {
    throw new DvError('INVALID_ARGUMENT', '--idempotency-key applies to a commit: pass --commit, or give the key to `dv commit`')
  }
  if (options.commit) checkCommitMessage(options.message)
  // the code version is looked up alongside the write (format-spec/snapshot.md#lineage)
  const lineage = commitNow ? lineageFor(ctx, options.lineage) : undefined
  const headId = await branchHead(ctx, branch)
  // a branch protected with --require-merge takes no direct write, staged or committed: refused before any input is read
  const { verify, report } = await verifyOn(ctx, branch, options.verify, 'write')
  const head = await readSnapshot(ctx, headId)
  const staged = commitNow ? [] : await ctx.workspace!.listStaged(branch)
  checkStagedFirst(name, mode, options, staged)
  const base = await stagedView(ctx, head, name, staged)
  // refused before the input is read: a quarantine needs the table's contract and a usable TABLE__quarantine
  const quarantineBase = quarantining ? await stagedView(ctx, head, quarantineName(name), staged) : undefined
  if (quarantineBase) quarantineSchema(quarantineRequest(name, base.table, quarantineBase, '', ''), name, base.table!.schema)
  const declared = options.schema === undefined ? undefined : await loadDeclaredSchema(options.schema)
  if (declared && base.table) checkDeclaredAgrees(name, base.table, declared.schema)
  // what writes killed before they could clean up left (store/owner.ts): never a running write's
  await ctx.temp.sweep()
  const signal = options.signal
  signal?.throwIfAborted()
  const engine = await ctx.engine()
  const opened = source === undefined ? undefined : await engine.openSource(source, {
    format: options.format, tmpDir: ctx.tmpDir,
    schema: base.table?.schema ?? declared?.schema,
    csv: effectiveCsv(base.table, options.csv),
    // stdin is spooled before the engine reads it: its bytes are the first progress
    ...(options.onProgress ? { onBytes: (bytesRead: number) => options.onProgress!({ rows: 0, bytesRead }) } : {}),
  })
  const interrupt = () => engine.interrupt()
  signal?.addEventListener('abort', interrupt, { once: true })
  // the input's SHA-256 for the commit's lineage, hashed alongside the write (a stream's was taken as it spooled)
  const inputHash = opened?.fingerprint()
  inputHash?.catch(() => undefined)
  try {
    // the request's fingerprint (hashing the whole input) is needed only to match an idempotency key
    const fingerprint = commitNow && options.idempotencyKey ? requestFingerprint({
      table: name, mode, partitionBy: options.partitionBy, where: options.where, key: options.key?.join(','),
      input: opened ? await opened.fingerprint() : undefined,
      schema: options.schema, csv: options.csv ? JSON.stringify(options.csv) : undefined,
      ...(quarantining ? { onViolation } : {}),
    }) : undefined
    if (commitNow && options.idempotencyKey) {
      const landed = await findIdempotencyKey(ctx, headId, options.idempotencyKey)
      if (landed) return replayResult(name, mode, replayOf({ branch, idempotencyKey: options.idempotencyKey, fingerprint }, landed.id, landed.snapshot), quarantining)
    }
    const writeId = randomUUID()
    const quarantine = quarantineBase && opened ? quarantineRequest(name, base.table, quarantineBase, opened.name, writeId) : undefined
    const prepare = () => prepareChange(ctx, {
      id: writeId, ...(quarantine ? { quarantine } : {}),
      table: name, mode, source: opened, where: options.where, key: options.key, partitionBy: options.partitionBy,
      base, baseSnapshot: headId, fingerprint, onProgress: options.onProgress, staged: staged.filter((c) => c.table === name),
      declared, allowEmpty: options.allowEmpty === true,
    })
    let prepared: Awaited<ReturnType<typeof prepare>>
    try {
      prepared = await prepare()
    } catch (e) {
      // a later row had a key or a type the sampled rows lacked: learn the columns from every row, once
      if (!(opened && missedBySample(e, base.table) && (await opened.sampleWholeFile()))) throw e
      prepared = await prepare()
    }
    const { change, addedColumns } = prepared
    if (opened && inputHash && opened.bytes !== undefined) change.input = { name: opened.name, bytes: opened.bytes, sha256: await inputHash }
    const result = resultOf(change, branch, addedColumns)
    const quarantined = prepared.quarantine?.change
    if (prepared.quarantine) {
      const q = prepared.quarantine
      result.quarantine = { table: q.table, rows: q.rows, passed: q.passed, byRule: q.byRule, write: change.id, created: q.change?.creates === true, summary: '' }
    }
    signal?.throwIfAborted()
    if (commitNow) {
      // both tables in ONE commit: one snapshot, one compare-and-swap
      result.commit = await commitChanges(ctx, {
        branch, message: options.message ?? `${mode} ${name}`, author: options.author ?? ctx.author,
        changes: quarantined ? [change, quarantined] : [change], idempotencyKey: options.idempotencyKey, fingerprint, retry: ctx.retry,
        verify, skippedChecks: !verify, lineage: await lineage!(),
      })
      Object.assign(result.commit, report)
    } else {
      await stageBoth(ctx, branch, change, quarantined)
      result.staged = { id: change.id }
    }
    if (result.quarantine) result.quarantine.summary = quarantineSummary(name, result.quarantine, commitNow)
    return result
  } catch (e) {
    // an interrupted statement fails with the engine's own error: the caller asked for the abort
    throw signal?.aborted ? signal.reason : e
  } finally {
    signal?.removeEventListener('abort', interrupt)
    await opened?.close()
  }
}

/**
 * Stages the table's change and its quarantine change (the next `dv commit`
 * lands both in one commit). The quarantine change is staged first and
 * unstaged again if the table's change cannot be: a failed write leaves
 * neither staged.
 */
async function stageBoth(ctx: ActionContext, branch: string, change: PendingChange, quarantined: PendingChange | undefined): Promise<void> {
  const workspace = ctx.workspace!
  if (quarantined) await workspace.stage(branch, quarantined)
  try {
    await workspace.stage(branch, change)
  } catch (e) {
    if (quarantined) await workspace.unstage(branch, [quarantined.id]).catch(() => undefined)
    throw e
  }
}

/**
 * Whether reading the input's columns from every row may fix `e`: a key the
 * sample missed, or a value of another type in a column the table does not
 * fix yet (a column the table has keeps its type: the value is bad input).
 */
function missedBySample(e: unknown, table: TableMetadata | null): boolean {
  if (!isDvError(e, 'INVALID_ARGUMENT')) return false
  const { sampleMiss, column } = e.details
  if (sampleMiss === 'unknown-key') return true
  if (sampleMiss !== 'conversion') return false
  return typeof column !== 'string' || !table?.schema.fields.some((f) => f.name === column)
}

/** Row-level modes read the committed table: staged changes to it must be committed first. */
function checkStagedFirst(name: TableName, mode: WriteMode, options: WriteOptions, staged: PendingChange[]): void {
  const rowLevel = mode !== 'append' && !(mode === 'overwrite' && options.where === undefined)
  if (rowLevel && staged.some((c) => c.table === name)) {
    throw new DvError('INVALID_ARGUMENT', `table '${name}' has staged changes: ${mode} reads the committed table`, {
      hint: 'commit the staged changes first (`dv commit`), or pass --commit to this write only after that',
    })
  }
}

function resultOf(change: PendingChange, branch: string, addedColumns: string[]): WriteResult {
  return {
    table: change.table, branch, mode: change.mode,
    rows: change.files.reduce((n, f) => n + f.rows, 0),
    files: change.files.length,
    bytes: change.files.reduce((n, f) => n + f.bytes, 0),
    removedRows: change.removes.reduce((n, f) => n + f.rows, 0),
    removedFiles: change.removes.length,
    created: change.creates,
    addedColumns,
  }
}

/** The result of a write whose idempotency key already landed: what that commit did to the table. */
function replayResult(table: TableName, mode: WriteMode, commit: CommitResult, quarantining: boolean): WriteResult {
  const s = commit.tables[table]
  const q = commit.tables[quarantineName(table)]
  return {
    table, branch: commit.branch, mode, rows: s?.addedRows ?? 0, files: s?.addedFiles ?? 0, bytes: s?.addedBytes ?? 0,
    removedRows: s?.removedRows ?? 0, removedFiles: s?.removedFiles ?? 0,
    created: s?.operation === 'create', addedColumns: [], commit,
    // per-rule counts live in the quarantined rows (_dv_rule), not in the commit: a replay reports the total
    ...(quarantining ? { quarantine: replayQuarantine(table, s?.addedRows ?? 0, q) } : {}),
  }
}

function replayQuarantine(table: TableName, rows: number, q: CommitResult['tables'][string] | undefined): QuarantineResult {
  const out: QuarantineResult = { table: quarantineName(table), rows: q?.addedRows ?? 0, passed: rows, byRule: {}, write: '', created: q?.operation === 'create', summary: '' }
  out.summary = quarantineSummary(table, out, true)
  return out
}
