/**
 * The row-level part of a diff, over the changed files only: the files a
 * TableDelta found (added and removed), each attributed to its commit, go to
 * the engine as one DiffRequest (io/types.ts). Files on both sides were
 * already cancelled by the delta and are never read.
 *
 * Rows are compared in the newer side's schema (by field id: renamed columns
 * keep their data, a column added since reads as null in older files, a
 * dropped one is not compared), so a copy-on-write rewrite's surviving rows
 * cancel whatever the schema did meanwhile. A dropped table is compared in
 * its last schema. A replaced table (dropped and created again) shares no
 * field ids with the old one: old files are read by column name into the new
 * schema (a column whose name or type no longer fits reads as null).
 */
import type { DataFile, Field, Schema, TableMetadata } from '../format/types.js'
import type { DiffFile, DiffRequest } from '../io/types.js'
import { DvError } from '../errors.js'
import { canPromote, isPrimitive } from '../format/index.js'
import type { Attribution } from './attribution.js'
import type { RepoContext } from './context.js'
import type { TableDelta } from './delta.js'
import { scanFiles } from './read.js'
import { keyColumns } from './keys.js'
import type { PlannedFile } from './scan-plan.js'

/**
 * The table's key columns (the key `dv diff --rows` pairs updates by, set by
 * `dv table set-key`), or undefined when it has none.
 */
export function tableKey(meta: TableMetadata): string[] | undefined {
  const key = keyColumns(meta)
  return key.length > 0 ? key : undefined
}

export interface RowDeltaOptions {
  key?: string[]
  columns?: string[]
  where?: string
  limit?: number
  /** Label each row with `_table`. */
  table?: string
}

/** The schema rows are compared in: the newer side's. */
export function comparisonSchema(delta: TableDelta): Schema {
  return (delta.after ?? delta.before)!.schema
}

/** The key the diff pairs by: the one asked for, else the table's; checked against the comparison schema. */
export function diffKey(delta: TableDelta, asked: string[] | undefined): string[] | undefined {
  const meta = (delta.after ?? delta.before)!
  const key = asked ?? tableKey(meta)
  if (!key) return undefined
  if (key.length === 0) throw new DvError('INVALID_ARGUMENT', 'an empty key: name at least one column', { hint: 'e.g. --key id' })
  const names = meta.schema.fields.map((f) => f.name)
  const unknown = key.find((k) => !names.includes(k))
  if (unknown !== undefined) {
    throw new DvError('INVALID_ARGUMENT', `unknown key column '${unknown}' in table '${delta.table}'; its columns are: ${names.join(', ')}`, {
      hint: 'name top-level columns with --key COL[,COL]', details: { column: unknown },
    })
  }
  return key
}

/**
 * A removed file of a replaced table as the new table reads it: each new
 * field takes the old column of the same name when its type is the same or
 * widens to the new one.
 */
function byName(file: DataFile, old: Schema, now: Schema): DataFile {
  const columns: DataFile['columns'] = {}
  for (const f of now.fields) {
    const was: Field | undefined = old.fields.find((o) => o.name === f.name)
    const info = was && file.columns[String(was.id)]
    if (!info || !isPrimitive(was.type) || !isPrimitive(f.type)) continue
    if (was.type === f.type || canPromote(was.type, f.type)) columns[String(f.id)] = info
  }
  return { ...file, columns }
}

/** The engine's request for the row-level diff of `delta`, with each file's commit from `attribution`. */
export async function prepareRowDelta(
  ctx: RepoContext, delta: TableDelta, attribution: { added: Attribution[]; removed: Attribution[] }, options: RowDeltaOptions,
): Promise<DiffRequest> {
  const schema = comparisonSchema(delta)
  const key = diffKey(delta, options.key)
  let removed: PlannedFile[] = delta.removed
  if (delta.status === 'replaced') removed = removed.map((p) => ({ ...p, file: byName(p.file, delta.before!.schema, schema) }))
  const [r, a] = await Promise.all([scanFiles(ctx, removed), scanFiles(ctx, delta.added)])
  const tag = (files: typeof r.files, by: Attribution[]): DiffFile[] => files.map((f, i) => ({ ...f, snapshot: by[i].snapshot, order: by[i].order }))
  const pending = [r.verified, a.verified].filter((p) => p !== undefined)
  const verified = pending.length ? Promise.all(pending) : undefined
  verified?.catch(() => undefined) // observed by the engine
  return {
    removed: tag(r.files, attribution.removed),
    added: tag(a.files, attribution.added),
    schema,
    ...(key ? { key } : {}),
    ...(options.columns ? { columns: options.columns } : {}),
    ...(options.where !== undefined ? { where: options.where } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.table !== undefined ? { table: options.table } : {}),
    tmpDir: ctx.tmpDir,
    ...(verified ? { verified } : {}),
  }
}
