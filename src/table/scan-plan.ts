/**
 * Scan planning: pick the data files of a table that may hold rows matching
 * the predicate, pruning whole manifests by their partition bounds and files
 * by partition values and column min/max statistics. Pruning is only ever
 * conservative: the engine applies the full predicate to what is left.
 */
import type { DataFile, ManifestRef, PartitionField, PrimitiveType, TableMetadata, Value } from '../format/types.js'
import type { PrunablePredicate } from '../io/types.js'
import { applyTransform, compareValues, transformResultType } from '../format/index.js'
import type { ObjectId } from '../ids.js'
import { readManifest, type RepoContext } from './context.js'
import { findField, isPrimitive, primitiveTypeOf } from '../format/fields.js'

/** A data file that may match, with the manifest it is listed in. */
export interface PlannedFile {
  file: DataFile
  manifest: ObjectId
}

export interface ScanPlan {
  files: PlannedFile[]
  filesPruned: number
  manifestsPruned: number
}

type Verdict = boolean // true = may match

function isFloat(t: PrimitiveType): boolean {
  return t === 'float' || t === 'double'
}

/** May a value range [lo, hi] (either may be unknown) satisfy `op values`? */
function rangeMayMatch(type: PrimitiveType, op: PrunablePredicate['op'], values: string[], lo?: string, hi?: string): Verdict {
  const cmp = (a: string, b: string) => compareValues(type, a, b)
  switch (op) {
    case '=':
      return (lo === undefined || cmp(values[0], lo) >= 0) && (hi === undefined || cmp(values[0], hi) <= 0)
    case 'in':
      return values.some((v) => (lo === undefined || cmp(v, lo) >= 0) && (hi === undefined || cmp(v, hi) <= 0))
    case '<':
      return lo === undefined || cmp(lo, values[0]) < 0
    case '<=':
      return lo === undefined || cmp(lo, values[0]) <= 0
    case '>':
      return hi === undefined || cmp(hi, values[0]) > 0
    case '>=':
      return hi === undefined || cmp(hi, values[0]) >= 0
    default:
      return true
  }
}

function fileMayMatch(file: DataFile, field: Column, pred: PrunablePredicate): Verdict {
  const col = file.columns[String(field.id)]
  if (!col) return pred.op === 'is null' // the column is absent: every value is null
  if (pred.op === 'is null') return col.nulls > 0
  if (pred.op === 'is not null') return col.nulls < file.rows
  if (col.nulls >= file.rows) return false // all null: no comparison holds
  const type = primitiveTypeOf(field, 'filter on')
  if (isFloat(type) && (pred.op === '>' || pred.op === '>=' || pred.values.includes('NaN'))) return true // NaN is not in min/max
  return rangeMayMatch(type, pred.op, pred.values, col.min, col.max)
}

/** The predicate on a source column, mapped through a (monotonic) partition transform. */
function partitionPredicate(p: PartitionField, field: Column, pred: PrunablePredicate): { type: PrimitiveType; op: PrunablePredicate['op']; values: string[] } | undefined {
  const source = primitiveTypeOf(field, 'filter on')
  if (pred.op === 'is null' || pred.op === 'is not null') return { type: source, op: pred.op, values: [] }
  if (isFloat(source)) return undefined
  const type = transformResultType(p.transform, source)
  const values = pred.values.map((v) => applyTransform(p.transform, source, v))
  // day(ts) < day(x) does not follow from ts < x; only <= does
  const op = pred.op === '<' ? '<=' : pred.op === '>' ? '>=' : pred.op
  return { type, op, values }
}

function boundsMayMatch(type: PrimitiveType, op: PrunablePredicate['op'], values: string[], lower: Value, upper: Value, containsNull: boolean): Verdict {
  if (op === 'is null') return containsNull
  if (op === 'is not null') return lower !== null || upper !== null
  if (lower === null && upper === null) return false // only nulls
  return rangeMayMatch(type, op, values, lower ?? undefined, upper ?? undefined)
}

/** The column a prunable predicate is on: a top-level column or a field inside structs. */
type Column = { id: number; name: string; type: PrimitiveType }

export interface Check {
  partition?: { p: PartitionField; type: PrimitiveType; op: PrunablePredicate['op']; values: string[] }
  field: Column
  pred: PrunablePredicate
}

export function checksFor(table: TableMetadata, preds: PrunablePredicate[]): Check[] {
  const checks: Check[] = []
  for (const pred of preds) {
    const field = prunableColumn(table, pred.column)
    if (!field) continue
    checks.push({ field, pred })
    for (const p of table.partitionSpec) {
      if (p.sourceId !== field.id) continue
      const mapped = partitionPredicate(p, field, pred)
      if (mapped) checks.push({ field, pred, partition: { p, ...mapped } })
    }
  }
  return checks
}

/**
 * The column `name` names, when its stats can prune: a primitive column, or a
 * primitive field inside structs (its nulls count rows where it reads null,
 * its min/max every value: format-spec/values.md#statistics).
 */
function prunableColumn(table: TableMetadata, name: string): Column | undefined {
  const top = table.schema.fields.find((f) => f.name === name)
  if (top) return isPrimitive(top.type) ? { id: top.id, name: top.name, type: top.type } : undefined
  let field
  try {
    field = findField(table.schema, name)
  } catch {
    return undefined
  }
  if (!field || field.repeated || field.role !== 'field' || !isPrimitive(field.type)) return undefined
  return { id: field.id, name, type: field.type }
}

function manifestMayMatch(m: ManifestRef, checks: Check[]): Verdict {
  for (const c of checks) {
    if (!c.partition) continue
    const b = m.partitions[String(c.partition.p.fieldId)]
    if (b && !boundsMayMatch(c.partition.type, c.partition.op, c.partition.values, b.lower, b.upper, b.containsNull)) return false
  }
  return true
}

export function dataFileMayMatch(f: DataFile, checks: Check[]): Verdict {
  for (const c of checks) {
    if (c.partition) {
      const key = String(c.partition.p.fieldId)
      if (!(key in f.partition)) continue
      const v = f.partition[key]
      if (!boundsMayMatch(c.partition.type, c.partition.op, c.partition.values, v, v, v === null)) return false
    } else if (!fileMayMatch(f, c.field, c.pred)) {
      return false
    }
  }
  return true
}

/** A partition's values as one comparable key. */
export function partitionKey(partition: Record<string, Value>): string {
  return JSON.stringify(Object.keys(partition).sort().map((k) => [k, partition[k]]))
}

/** All files of `table` whose partition is one of `partitions` (what replace-partitions replaces). */
export async function filesInPartitions(
  ctx: RepoContext, table: TableMetadata, partitions: Array<Record<string, Value>>,
): Promise<PlannedFile[]> {
  const wanted = new Set(partitions.map(partitionKey))
  const out: PlannedFile[] = []
  for (const m of table.manifests) {
    for (const file of (await readManifest(ctx, m.id)).files) {
      if (wanted.has(partitionKey(file.partition))) out.push({ file, manifest: m.id })
    }
  }
  return out
}

export async function planScan(ctx: RepoContext, table: TableMetadata, preds: PrunablePredicate[]): Promise<ScanPlan> {
  const checks = checksFor(table, preds)
  const plan: ScanPlan = { files: [], filesPruned: 0, manifestsPruned: 0 }
  for (const m of table.manifests) {
    if (!manifestMayMatch(m, checks)) {
      plan.manifestsPruned++
      plan.filesPruned += m.files
      continue
    }
    for (const file of (await readManifest(ctx, m.id)).files) {
      if (dataFileMayMatch(file, checks)) plan.files.push({ file, manifest: m.id })
      else plan.filesPruned++
    }
  }
  return plan
}
