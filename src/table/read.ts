/** Read-side operations: log entries, table info for `show`, and scan setup for `cat`/`scan`. */
import type { ObjectId, SnapshotId } from '../ids.js'
import type { Snapshot, TableMetadata } from '../format/types.js'
import type { ColumnStats, LogEntry, TableInfo } from '../api-types.js'
import type { ScanFile, ScanRequest } from '../io/types.js'
import { compareValues } from '../format/index.js'
import { DvError } from '../errors.js'
import { shortId } from '../ids.js'
import { readManifest, readTableMetadata, type RepoContext } from './context.js'
import { planScan, type PlannedFile, type ScanPlan } from './scan-plan.js'
import { mapLimit } from '../store/map-limit.js'
import { primitiveTypeOf } from '../format/fields.js'

export function logEntryOf(id: SnapshotId, s: Snapshot, refs: string[]): LogEntry {
  return {
    snapshot: id,
    parents: [...s.parents],
    timestamp: new Date(s.timestampMs).toISOString(),
    author: s.author,
    message: s.message,
    tables: s.summary,
    ...(s.idempotencyKey ? { idempotencyKey: s.idempotencyKey } : {}),
    refs,
  }
}

export async function tableAt(ctx: RepoContext, snapshot: Snapshot, snapshotId: SnapshotId, name: string): Promise<{ id: ObjectId; table: TableMetadata }> {
  const id = snapshot.tables[name]
  if (!id) {
    const names = Object.keys(snapshot.tables).sort()
    throw new DvError('NOT_FOUND', `table '${name}' does not exist at snapshot ${shortId(snapshotId)}`, {
      hint: names.length ? `tables there: ${names.join(', ')}` : 'there are no tables yet: create one with `dv write TABLE FILE`',
    })
  }
  return { id, table: await readTableMetadata(ctx, id) }
}

export function tableTotals(table: TableMetadata): { rows: number; files: number; bytes: number } {
  return table.manifests.reduce((t, m) => ({ rows: t.rows + m.rows, files: t.files + m.files, bytes: t.bytes + m.bytes }), { rows: 0, files: 0, bytes: 0 })
}

export async function tableInfo(ctx: RepoContext, name: string, snapshotId: SnapshotId, table: TableMetadata): Promise<TableInfo> {
  const stats = new Map<number, { min?: string; max?: string; nulls: number }>()
  const totals = tableTotals(table)
  for (const f of table.schema.fields) stats.set(f.id, { nulls: 0 })
  for (const m of table.manifests) {
    for (const file of (await readManifest(ctx, m.id)).files) {
      for (const field of table.schema.fields) {
        const s = stats.get(field.id)!
        const type = primitiveTypeOf(field, 'show')
        const col = file.columns[String(field.id)]
        if (!col) {
          s.nulls += file.rows
          continue
        }
        s.nulls += col.nulls
        if (col.min !== undefined && (s.min === undefined || compareValues(type, col.min, s.min) < 0)) s.min = col.min
        if (col.max !== undefined && (s.max === undefined || compareValues(type, col.max, s.max) > 0)) s.max = col.max
      }
    }
  }
  const fieldName = (id: number) => table.schema.fields.find((f) => f.id === id)?.name ?? `#${id}`
  const columns: ColumnStats[] = table.schema.fields.map((f) => ({
    id: f.id, name: f.name, type: primitiveTypeOf(f, 'show'), required: f.required, ...stats.get(f.id)!,
  }))
  return {
    name,
    tableId: table.tableId,
    snapshot: snapshotId,
    rows: totals.rows,
    files: totals.files,
    bytes: totals.bytes,
    manifests: table.manifests.length,
    partitionSpec: table.partitionSpec.map((p) => ({ name: p.name, transform: p.transform, source: fieldName(p.sourceId) })),
    columns,
    properties: { ...table.properties },
    primaryKey: (table.identifierFieldIds ?? []).map(fieldName),
  }
}

export interface PreparedScan {
  request: ScanRequest
  plan: ScanPlan
}

export async function prepareScan(
  ctx: RepoContext, table: TableMetadata, options: { columns?: string[]; where?: string; limit?: number },
): Promise<PreparedScan> {
  if (options.columns) {
    const known = new Set(table.schema.fields.map((f) => f.name))
    const unknown = options.columns.filter((c) => !known.has(c))
    if (unknown.length) {
      throw new DvError('INVALID_ARGUMENT', `unknown column(s) ${unknown.map((c) => `'${c}'`).join(', ')}`, {
        hint: `columns: ${[...known].join(', ')}`,
      })
    }
  }
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 0)) {
    throw new DvError('INVALID_ARGUMENT', `invalid limit ${options.limit}: expected a non-negative integer`)
  }
  const engine = await ctx.engine()
  // an empty predicate is an error (analyzePredicate), never "no predicate"
  const preds = options.where !== undefined ? await engine.analyzePredicate(options.where, table.schema) : []
  const plan = await planScan(ctx, table, preds)
  const { files, verified } = await scanFiles(ctx, plan.files)
  return {
    plan,
    request: { files, schema: table.schema, columns: options.columns, where: options.where, limit: options.limit, tmpDir: ctx.tmpDir, verified },
  }
}

/**
 * The planned files as the engine reads them. Local files: their paths at
 * once, with `verified` settling when every hash matched (the engine reads
 * meanwhile and outputs nothing before); remote ones: verified local copies.
 */
export async function scanFiles(ctx: RepoContext, planned: PlannedFile[]): Promise<{ files: ScanFile[]; verified?: Promise<unknown> }> {
  const objects = ctx.storage.objects
  if (!objects.pathOf) return { files: await verifiedScanFiles(ctx, planned) }
  const files = planned.map(({ file: f }) => ({ path: objects.pathOf!(f.id), rows: f.rows, columns: f.columns }))
  const verified = mapLimit(planned, VERIFY_CONCURRENCY, ({ file }) => objects.localPath(file.id))
  verified.catch(() => undefined) // observed by the engine; avoid an unhandled rejection meanwhile
  return { files, verified }
}

const VERIFY_CONCURRENCY = 4

/** The planned files as the engine reads them: local paths of their verified bytes (downloaded if remote). */
export function verifiedScanFiles(ctx: RepoContext, planned: PlannedFile[]): Promise<ScanFile[]> {
  return mapLimit(planned, VERIFY_CONCURRENCY, async ({ file: f }) => ({ path: await ctx.storage.objects.localPath(f.id), rows: f.rows, columns: f.columns }))
}

