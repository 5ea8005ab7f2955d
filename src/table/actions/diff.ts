/**
 * The diff actions (`dv diff`, Repository.diff / diffRows / diffRowsTo):
 * pick the two states (HEAD and the staged state by default, REV and HEAD,
 * or REV1 and REV2), compute what changed per table (delta.ts, metadata
 * only), summarize it (delta-summary.ts), or stream the row-level changes of
 * one table (row-delta.ts and the engine), each row attributed to the
 * commit on the first-parent path from REV1 to REV2 that made it.
 */
import type { Writable } from 'node:stream'
import type { RecordBatch } from 'apache-arrow'
import type { DiffOptions, DiffResult, DiffRowsOptions, DiffRowsResult, DiffRowsToOptions, DiffSide } from '../../api-types.js'
import type { DataEngine, DiffRequest } from '../../io/types.js'
import type { SnapshotId } from '../../ids.js'
import { DvError, isDvError } from '../../errors.js'
import { asTableName, shortId } from '../../ids.js'
import { resolveRev } from '../../refs/resolve.js'
import { attributeFiles, firstParentPath } from '../attribution.js'
import { readSnapshot, readTableMetadata, type RepoContext } from '../context.js'
import { snapshotDelta, tableDelta, type TableDelta, type TableMap } from '../delta.js'
import { summarizeDelta } from '../delta-summary.js'
import { prepareRowDelta } from '../row-delta.js'
import { stagedState } from '../staged-state.js'
import { recoverStaging } from './commit.js'
import { currentBranch, headSnapshot, resolveAt, revContext, type ActionContext } from './context.js'

/** The two states compared, and the context that reads both (a preview store for the staged state). */
interface Sides {
  ctx: RepoContext
  from: DiffSide
  to: DiffSide
  before: TableMap
  after: TableMap
}

async function side(ctx: ActionContext, rev: string | undefined): Promise<{ side: DiffSide; tables: TableMap }> {
  const snapshot = await resolveAt(ctx, rev)
  return { side: { rev: rev ?? 'HEAD', snapshot, staged: false }, tables: (await readSnapshot(ctx, snapshot)).tables }
}

async function resolveSides(ctx: ActionContext, options: Pick<DiffOptions, 'from' | 'to'>): Promise<Sides> {
  if (options.to !== undefined && options.from === undefined) {
    throw new DvError('INVALID_ARGUMENT', 'a diff with a second revision needs a first one', { hint: 'pass both: dv diff REV1 REV2' })
  }
  const from = await side(ctx, options.from)
  if (options.from !== undefined) {
    const to = await side(ctx, options.to)
    return { ctx, from: from.side, to: to.side, before: from.tables, after: to.tables }
  }
  // HEAD against the staged state, like `git diff --cached`
  await recoverStaging(ctx)
  const branch = await currentBranch(ctx)
  const staged = branch && ctx.workspace ? await ctx.workspace.listStaged(branch) : []
  const state = await stagedState(ctx, from.side.snapshot as SnapshotId, staged)
  return { ctx: state.ctx, from: from.side, to: { rev: 'HEAD', snapshot: from.side.snapshot, staged: true }, before: from.tables, after: state.tables }
}

function describe(s: DiffSide): string {
  return s.staged ? 'the staged state' : `${s.rev} (${shortId(s.snapshot)})`
}

/** Every named table must exist on one side at least. */
function checkTables(sides: Sides, tables: readonly string[]): void {
  for (const name of tables) {
    asTableName(name)
    if (name in sides.before || name in sides.after) continue
    const known = [...new Set([...Object.keys(sides.before), ...Object.keys(sides.after)])].sort()
    throw new DvError('NOT_FOUND', `table '${name}' exists neither at ${describe(sides.from)} nor at ${describe(sides.to)}`, {
      hint: `${known.length ? `tables there: ${known.join(', ')}` : 'there are no tables on either side'}; a revision (a branch, tag or snapshot) goes before the tables`,
      details: { table: name },
    })
  }
}

export async function diff(ctx: ActionContext, options: DiffOptions): Promise<DiffResult> {
  const sides = await resolveSides(ctx, options)
  if (options.tables) checkTables(sides, options.tables)
  const deltas = await snapshotDelta(sides.ctx, sides.before, sides.after, options.tables)
  return { from: sides.from, to: sides.to, tables: deltas.map(summarizeDelta) }
}

/** The engine request for one table's row-level changes, with what the result reports. */
async function prepareRows(ctx: ActionContext, table: string, options: DiffRowsOptions & { tableColumn?: boolean }): Promise<{ request: DiffRequest; sides: Sides; key: string[] | null }> {
  const sides = await resolveSides(ctx, options)
  checkTables(sides, [table])
  const read = (id: TableMap[string] | undefined) => (id ? readTableMetadata(sides.ctx, id) : Promise.resolve(null))
  const [before, after] = await Promise.all([read(sides.before[table]), read(sides.after[table])])
  const delta: TableDelta = sides.before[table] === sides.after[table]
    ? { table, status: 'modified', before, after, added: [], removed: [], schema: [], manifestsRead: 0 }
    : await tableDelta(sides.ctx, table, before, after)
  const path = !sides.to.staged && (delta.added.length || delta.removed.length)
    ? await firstParentPath(sides.ctx, sides.from.snapshot as SnapshotId, sides.to.snapshot as SnapshotId)
    : undefined
  const attribution = await attributeFiles(sides.ctx, delta, path)
  const request = await prepareRowDelta(sides.ctx, delta, attribution, { ...options, ...(options.tableColumn ? { table } : {}) })
  return { request, sides, key: request.key ?? null }
}

/**
 * The engine, its sandbox opening (20-30 ms of DuckDB's start, off the main
 * thread) while the sides' manifests are read and compared. A failure is the
 * caller's when it awaits the engine; when prepareRows fails first, the
 * repository's close waits for the opening and closes it.
 */
function engineStarted(ctx: ActionContext): Promise<DataEngine> {
  const engine = ctx.engine()
  engine.then((e) => e.startSandbox(), () => undefined)
  return engine
}

/** One table's row-level changes as Arrow record batches: the columns, then `_change` and `_snapshot`. */
export async function* diffRows(ctx: ActionContext, table: string, options: DiffRowsOptions): AsyncIterable<RecordBatch> {
  const engine = engineStarted(ctx)
  const { request } = await prepareRows(ctx, table, options)
  yield* (await engine).diffBatches(request)
}

/** One table's row-level changes written to `out` as CSV (default), NDJSON, JSON, Parquet or Arrow. */
export async function diffRowsTo(ctx: ActionContext, table: string, out: Writable, options: DiffRowsToOptions): Promise<DiffRowsResult> {
  const engine = engineStarted(ctx)
  const { request, sides, key } = await prepareRows(ctx, table, options)
  const counts = await (await engine).diffTo(request, options.format ?? 'csv', out)
  return { table, from: sides.from, to: sides.to, key, ...counts }
}

/**
 * Splits `dv diff` operands as git does without `--`: up to two leading
 * revisions, then tables. An operand that names both a revision and a table
 * is ambiguous (INVALID_ARGUMENT: separate them with --).
 */
export async function splitDiffOperands(ctx: ActionContext, operands: readonly string[]): Promise<{ from?: string; to?: string; tables: string[] }> {
  const revs: string[] = []
  let head: TableMap | undefined
  for (const operand of operands.slice(0, 2)) {
    let snapshot: SnapshotId
    try {
      snapshot = (await resolveRev(revContext(ctx), operand)).snapshot
    } catch (e) {
      // not a revision: a table from here on, unless it cannot be one (`nope~1`)
      if (isDvError(e, 'NOT_FOUND') && isTableName(operand)) break
      throw e
    }
    head ??= await headTables(ctx)
    if (operand in head || operand in (await readSnapshot(ctx, snapshot)).tables) {
      throw new DvError('INVALID_ARGUMENT', `'${operand}' names both a revision and a table`, {
        hint: `separate revisions from tables with --: dv diff ${operand} -- TABLE, or dv diff -- ${operand}`,
      })
    }
    revs.push(operand)
  }
  return { ...(revs[0] !== undefined ? { from: revs[0] } : {}), ...(revs[1] !== undefined ? { to: revs[1] } : {}), tables: operands.slice(revs.length) }
}

function isTableName(name: string): boolean {
  try {
    asTableName(name)
    return true
  } catch {
    return false
  }
}

async function headTables(ctx: ActionContext): Promise<TableMap> {
  const head = await headSnapshot(ctx)
  return head ? (await readSnapshot(ctx, head)).tables : {}
}
