/** Read-side operations: log entries, table info for `show`, and scan setup for `cat`/`scan`. */
import { setImmediate } from 'node:timers/promises'
import type { ObjectId, SnapshotId } from '../ids.js'
import type { Snapshot, TableMetadata, Type } from '../format/types.js'
import type { ColumnStats, LogEntry, TableInfo } from '../api-types.js'
import type { ScanFile, ScanRequest } from '../io/types.js'
import { compareValues } from '../format/index.js'
import { DvError } from '../errors.js'
import { shortId } from '../ids.js'
import { dataFilePath, readManifest, readTableMetadata, type RepoContext } from './context.js'
import { planScan, type PlannedFile, type ScanPlan } from './scan-plan.js'
import { mapLimit } from '../store/map-limit.js'
import { allFields, childFields, fieldById, findField, isPrimitive } from '../format/fields.js'
import { formatFieldPath, formatType } from '../format/type-text.js'

export function logEntryOf(id: SnapshotId, s: Snapshot, refs: string[]): LogEntry {
  return {
    snapshot: id,
    parents: [...s.parents],
    timestamp: new Date(s.timestampMs).toISOString(),
    author: s.author,
    message: s.message,
    tables: s.summary,
    ...(s.idempotencyKey ? { idempotencyKey: s.idempotencyKey } : {}),
    ...(s.lineage ? { lineage: s.lineage } : {}),
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
  const fields = allFields(table.schema)
  const stats = new Map<number, { min?: string; max?: string; nulls: number }>(fields.map((f) => [f.id, { nulls: 0 }]))
  const totals = tableTotals(table)
  for (const m of table.manifests) {
    for (const file of (await readManifest(ctx, m.id)).files) {
      for (const field of fields) {
        const s = stats.get(field.id)!
        const col = file.columns[String(field.id)]
        if (!col) {
          // absent from the file: null in every row (inside a list or map: no values at all)
          if (!field.repeated) s.nulls += file.rows
          continue
        }
        s.nulls += col.nulls
        if (!isPrimitive(field.type)) continue
        const type = field.type
        if (col.min !== undefined && (s.min === undefined || compareValues(type, col.min, s.min) < 0)) s.min = col.min
        if (col.max !== undefined && (s.max === undefined || compareValues(type, col.max, s.max) > 0)) s.max = col.max
      }
    }
  }
  const fieldName = (id: number) => {
    const f = fieldById(table.schema, id)
    return f ? formatFieldPath(f.path) : `#${id}`
  }
  // The schema as a tree: each nested column lists its struct fields, list element, or map key and value.
  const tree = (parent: readonly string[], type: Type): ColumnStats[] => childFields(type).map((c) => {
    const path = [...parent, c.name]
    const children = tree(path, c.type)
    return {
      id: c.id, name: c.name, path: formatFieldPath(path), type: formatType(c.type), required: c.required, ...stats.get(c.id)!,
      ...(children.length ? { fields: children } : {}),
    }
  })
  const columns = tree([], { type: 'struct', fields: table.schema.fields })
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
    const unknown = options.columns.filter((c) => !known.has(c) && !isNestedPath(table, c))
    if (unknown.length) {
      throw new DvError('INVALID_ARGUMENT', `unknown column(s) ${unknown.map((c) => `'${c}'`).join(', ')}`, {
        hint: `columns: ${[...known].join(', ')}${table.schema.fields.some((f) => !isPrimitive(f.type)) ? '; name a field inside a struct by its path, e.g. payload.user.id' : ''}`,
      })
    }
  }
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 0)) {
    throw new DvError('INVALID_ARGUMENT', `invalid limit ${options.limit}: expected a non-negative integer`)
  }
  const engine = await ctx.engine()
  // the sandbox that reads the files opens (DuckDB's start, off the main thread) while the manifests are read
  engine.startSandbox()
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
  const verified = verifyLocal(ctx, planned)
  verified.catch(() => undefined) // observed by the engine; avoid an unhandled rejection meanwhile
  return { files, verified }
}

const VERIFY_CONCURRENCY = 4
/** Files checked between two turns of the event loop (verifyLocal). */
export const VERIFY_SLICE = 64

/**
 * The local files' hashes checked while the engine reads them. A file this
 * process verified already costs one stat, made inline (statObject): a
 * thousand of them held the event loop for ~6 ms, in front of the I/O that
 * the engine's statement waits for (a compaction of 1,000 files issued its
 * COPY that much later). So the check starts on the next turn of the event
 * loop and yields again every VERIFY_SLICE files.
 */
async function verifyLocal(ctx: RepoContext, planned: PlannedFile[]): Promise<void> {
  for (let i = 0; i < planned.length; i += VERIFY_SLICE) {
    await setImmediate()
    await mapLimit(planned.slice(i, i + VERIFY_SLICE), VERIFY_CONCURRENCY, ({ file }) => dataFilePath(ctx, file.id))
  }
}

/** The planned files as the engine reads them: local paths of their verified bytes (downloaded if remote). */
export function verifiedScanFiles(ctx: RepoContext, planned: PlannedFile[]): Promise<ScanFile[]> {
  return mapLimit(planned, VERIFY_CONCURRENCY, async ({ file: f }) => ({ path: await dataFilePath(ctx, f.id), rows: f.rows, columns: f.columns }))
}


/** True when `name` is the path of a field inside the table's structs (the engine checks what it may select). */
function isNestedPath(table: TableMetadata, name: string): boolean {
  try {
    return name.includes('.') && findField(table.schema, name) !== undefined
  } catch {
    return false
  }
}
