/**
 * The three-way apply under merge, revert and cherry-pick
 * (format-spec/merge.md): given every table at base, ours and theirs, what
 * the result keeps, takes or combines, and what conflicts. Decisions only:
 * the change sets come from delta.ts (manifest reads), nothing is written
 * here (merge-apply.ts writes). The per-partition and per-field rules are
 * pure functions, tested cell by cell.
 */
import type { ObjectId } from '../ids.js'
import type { FieldConflict, KeyConflict, MergeConflict, MergeStrategy } from '../api-types.js'
import type { DataFile, Field, PartitionField, TableMetadata, Value } from '../format/types.js'
import { formatType, sameType } from '../format/index.js'
import { shortId } from '../ids.js'
import { readTableMetadata, type RepoContext } from './context.js'
import type { RemovedFile } from './changes.js'
import { CONFLICT_RULES } from './conflicts.js'
import { tableDelta, tableStatus, type TableDelta, type TableMap } from './delta.js'
import { partitionKey, type PlannedFile } from './scan-plan.js'

export type { FieldConflict, KeyConflict, MergeConflict, MergeStrategy }

/**
 * What the result holds for one table both sides may have changed:
 * - ours: ours' metadata as is; theirs: theirs' metadata id (null: dropped);
 * - combine: ours' metadata with `next`'s schema, key, spec and properties,
 *   `removes` taken out and `adds` added (each partition merged in `rewrite`
 *   by key first, see merge-keys.ts).
 */
export type TableOutcome =
  | { table: string; kind: 'ours' }
  | { table: string; kind: 'theirs'; id: ObjectId | null }
  | { table: string; kind: 'combine'; ours: TableMetadata; next: TableMetadata; removes: RemovedFile[]; adds: DataFile[]; keyed: KeyedPartitions | null }

/** The file changes of a keyed table both sides changed: decided by key (merge-keys.ts). */
export interface KeyedPartitions {
  base: TableMetadata
  /** Every partition either side touched (for the report). */
  partitions: Array<Record<string, Value>>
  /** A key changed differently on both sides takes this side's row (default: a conflict). */
  strategy?: MergeStrategy
  /** The files each side removed and added there. */
  ours: { removed: PlannedFile[]; added: PlannedFile[] }
  theirsFiles: { removed: PlannedFile[]; added: PlannedFile[] }
}

export interface ThreeWayPlan {
  tables: TableOutcome[]
  conflicts: MergeConflict[]
}

/** Plans the three-way apply of base -> theirs onto ours, table by table. */
export async function planThreeWay(
  ctx: RepoContext, base: TableMap, ours: TableMap, theirs: TableMap, strategy?: MergeStrategy,
): Promise<ThreeWayPlan> {
  const names = [...new Set([...Object.keys(base), ...Object.keys(ours), ...Object.keys(theirs)])].sort()
  const tables: TableOutcome[] = []
  const conflicts: MergeConflict[] = []
  for (const table of names) {
    const [b, o, t] = [base[table], ours[table], theirs[table]]
    if (t === b || t === o) continue // theirs changed nothing, or the same as ours
    if (o === b) {
      tables.push({ table, kind: 'theirs', id: t ?? null })
      continue
    }
    const read = (id: ObjectId | undefined): Promise<TableMetadata | null> => (id === undefined ? Promise.resolve(null) : readTableMetadata(ctx, id))
    const [bm, om, tm] = await Promise.all([read(b), read(o), read(t)])
    const clash = tableClash(table, bm, om, tm)
    if (clash) {
      if (strategy === 'theirs') tables.push({ table, kind: 'theirs', id: t ?? null })
      else if (strategy === undefined) conflicts.push(clash)
      continue
    }
    const merged = await combineTable(ctx, table, bm!, om!, tm!, strategy)
    conflicts.push(...merged.conflicts)
    if (merged.outcome) tables.push(merged.outcome)
  }
  return { tables, conflicts }
}

/** Table-level rules: both sides changed a table that one of them created, dropped or re-created. */
function tableClash(table: string, b: TableMetadata | null, o: TableMetadata | null, t: TableMetadata | null): MergeConflict | undefined {
  if (b === null) return { table, rule: CONFLICT_RULES.tableReplaced.name, message: 'both sides created the table, differently' }
  if (o === null || t === null) {
    return { table, rule: CONFLICT_RULES.tableDropped.name, message: `${o === null ? 'ours' : 'theirs'} dropped the table, which ${o === null ? 'theirs' : 'ours'} changed` }
  }
  if (tableStatus(b, o) === 'replaced' || tableStatus(b, t) === 'replaced') {
    return { table, rule: CONFLICT_RULES.tableReplaced.name, message: `${tableStatus(b, o) === 'replaced' ? 'ours' : 'theirs'} re-created the table, which the other side changed` }
  }
  return undefined
}

/** Both sides modified the same table: schema by field id, files by partition. */
async function combineTable(
  ctx: RepoContext, table: string, b: TableMetadata, o: TableMetadata, t: TableMetadata, strategy?: MergeStrategy,
): Promise<{ outcome?: TableOutcome; conflicts: MergeConflict[] }> {
  const conflicts: MergeConflict[] = []
  const schema = mergeFields(b.schema.fields, o.schema.fields, t.schema.fields, strategy)
  if (schema.conflicts.length) conflicts.push({ table, rule: CONFLICT_RULES.schemaChanged.name, message: `both sides changed ${schema.conflicts.length === 1 ? 'a column' : 'columns'} differently`, fields: schema.conflicts })
  const key = mergeValue(b.identifierFieldIds ?? [], o.identifierFieldIds ?? [], t.identifierFieldIds ?? [], strategy)
  if (key === CLASH) conflicts.push({ table, rule: CONFLICT_RULES.keyChanged.name, message: 'both sides changed the primary key, differently' })
  const contract = mergeValue(b.contract ?? null, o.contract ?? null, t.contract ?? null, strategy)
  if (contract === CLASH) conflicts.push({ table, rule: CONFLICT_RULES.tableChanged.name, message: "both sides changed the table's contract, differently" })
  const spec = mergeValue(b.partitionSpec, o.partitionSpec, t.partitionSpec, strategy)
  const properties = mergeValue(b.properties, o.properties, t.properties, strategy)
  if (spec === CLASH || properties === CLASH) conflicts.push({ table, rule: CONFLICT_RULES.tableChanged.name, message: `both sides changed the table's ${spec === CLASH ? 'partition spec' : 'properties'}, differently` })
  const [dOurs, dTheirs] = await Promise.all([tableDelta(ctx, table, b, o), tableDelta(ctx, table, b, t)])
  const keyedTable = (b.identifierFieldIds ?? []).length > 0 && sameJson(b.identifierFieldIds, o.identifierFieldIds) && sameJson(b.identifierFieldIds, t.identifierFieldIds)
  const bothChangedFiles = [dOurs, dTheirs].every((d) => d.added.length + d.removed.length > 0)
  let keyed: KeyedPartitions | null = null
  let files: FilesMerge
  if (keyedTable && bothChangedFiles && !sameFiles(dOurs, dTheirs)) {
    // by key, over every file either side touched: keys may meet across partitions too
    keyed = keyedChangesOf(b, dOurs, dTheirs, strategy)
    files = { removes: [], adds: [], conflicts: [] }
  } else {
    files = mergeFiles(dOurs, dTheirs, strategy)
  }
  if (files.conflicts.length) {
    const bothRemoved = files.conflicts.some((c) => c.rule === 'file-removed')
    conflicts.push({
      table,
      rule: bothRemoved ? CONFLICT_RULES.fileRemoved.name : CONFLICT_RULES.partitionsChanged.name,
      message: bothRemoved ? 'both sides removed or rewrote the same data file, differently' : 'both sides changed the same partitions, and at least one removed or rewrote files there',
      partitions: files.conflicts.map((c) => namedPartition(b.partitionSpec, c.partition)),
    })
  }
  if (conflicts.length) return { conflicts }
  const next: TableMetadata = {
    ...o,
    schema: { fields: schema.fields },
    lastColumnId: Math.max(o.lastColumnId, t.lastColumnId),
    partitionSpec: spec as PartitionField[],
    properties: properties as Record<string, string>,
  }
  const keyIds = key as number[]
  if (keyIds.length) next.identifierFieldIds = keyIds
  else delete next.identifierFieldIds
  if (contract) next.contract = contract as NonNullable<TableMetadata['contract']>
  else delete next.contract
  return { outcome: { table, kind: 'combine', ours: o, next, removes: files.removes, adds: files.adds, keyed }, conflicts: [] }
}

const CLASH = Symbol('clash')

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? [])
}

/** A value merged as a whole: the side that changed it wins; both changed differently is a clash (unless a strategy picks). */
export function mergeValue<T>(base: T, ours: T, theirs: T, strategy?: MergeStrategy): T | typeof CLASH {
  if (sameJson(ours, theirs) || sameJson(theirs, base)) return ours
  if (sameJson(ours, base)) return theirs
  return strategy === 'ours' ? ours : strategy === 'theirs' ? theirs : CLASH
}

function fieldText(f: Field | undefined): string | null {
  return f ? `${f.name} ${formatType(f.type)}${f.required ? ' not null' : ''}` : null
}

function sameField(a: Field | undefined, b: Field | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.id === b.id && a.name === b.name && a.required === b.required && sameType(a.type, b.type)
}

/** Top-level fields merged by id (format-spec/merge.md#schema-by-field-id). Pure. */
export function mergeFields(base: Field[], ours: Field[], theirs: Field[], strategy?: MergeStrategy): { fields: Field[]; conflicts: FieldConflict[] } {
  const byId = (fs: Field[]) => new Map(fs.map((f) => [f.id, f]))
  const [b, o, t] = [byId(base), byId(ours), byId(theirs)]
  const ids = [...new Set([...ours.map((f) => f.id), ...theirs.map((f) => f.id), ...base.map((f) => f.id)])]
  const result = new Map<number, Field | undefined>()
  const conflicts: FieldConflict[] = []
  for (const id of ids) {
    const [bf, of, tf] = [b.get(id), o.get(id), t.get(id)]
    if (sameField(of, tf) || sameField(tf, bf)) result.set(id, of)
    else if (sameField(of, bf)) result.set(id, tf)
    else if (strategy) result.set(id, strategy === 'ours' ? of : tf)
    else conflicts.push({ id, base: fieldText(bf), ours: fieldText(of), theirs: fieldText(tf) })
  }
  const order = [...ours.map((f) => f.id), ...theirs.map((f) => f.id).filter((id) => !o.has(id))]
  const fields = order.map((id) => result.get(id)).filter((f): f is Field => f !== undefined)
  const seen = new Map<string, Field>()
  for (const f of fields) {
    const other = seen.get(f.name)
    if (other) conflicts.push({ id: f.id, base: fieldText(b.get(f.id)), ours: fieldText(o.get(f.id) ?? other), theirs: fieldText(t.get(f.id) ?? other) })
    seen.set(f.name, f)
  }
  return { fields, conflicts }
}

/** A side's net change to one partition: file id -> count added (> 0) or removed (< 0). */
export type PartitionChange = Map<string, number>

export type PartitionVerdict = { apply: PartitionChange } | { conflict: 'file-removed' | 'partitions-changed' }

function same(a: PartitionChange, b: PartitionChange): boolean {
  return a.size === b.size && [...a].every(([id, n]) => b.get(id) === n)
}

function minus(a: PartitionChange, b: PartitionChange): PartitionChange {
  const out = new Map<string, number>()
  for (const id of new Set([...a.keys(), ...b.keys()])) {
    const n = (a.get(id) ?? 0) - (b.get(id) ?? 0)
    if (n !== 0) out.set(id, n)
  }
  return out
}

/**
 * One partition's three-way rule (format-spec/merge.md#files-by-partition):
 * the change to apply to ours, or why it conflicts. Pure.
 */
export function mergePartition(ours: PartitionChange, theirs: PartitionChange, strategy?: MergeStrategy): PartitionVerdict {
  if (theirs.size === 0 || same(theirs, ours)) return { apply: new Map() }
  if (ours.size === 0) return { apply: theirs }
  const removes = (c: PartitionChange) => [...c.values()].some((n) => n < 0)
  if (!removes(ours) && !removes(theirs)) {
    // appends combine; a file both added (same content) is added once
    return { apply: new Map([...theirs].map(([id, n]) => [id, Math.max(0, n - (ours.get(id) ?? 0))] as const).filter(([, n]) => n > 0)) }
  }
  if (strategy === 'ours') return { apply: new Map() }
  if (strategy === 'theirs') return { apply: minus(theirs, ours) } // ours' partition becomes theirs'
  const bothRemoved = [...ours].some(([id, n]) => n < 0 && (theirs.get(id) ?? 0) < 0)
  return { conflict: bothRemoved ? 'file-removed' : 'partitions-changed' }
}

interface FilesMerge {
  removes: RemovedFile[]
  adds: DataFile[]
  conflicts: Array<{ partition: Record<string, Value>; rule: 'file-removed' | 'partitions-changed' }>
}

/** Every partition either side changed, merged by mergePartition. */
function mergeFiles(ours: TableDelta, theirs: TableDelta, strategy?: MergeStrategy): FilesMerge {
  const files = new Map<string, PlannedFile>()
  const byPartition = new Map<string, { partition: Record<string, Value>; ours: PartitionChange; theirs: PartitionChange }>()
  const count = (list: PlannedFile[], side: 'ours' | 'theirs', sign: number) => {
    for (const f of list) {
      files.set(f.file.id, f)
      const key = partitionKey(f.file.partition)
      let p = byPartition.get(key)
      if (!p) byPartition.set(key, (p = { partition: f.file.partition, ours: new Map(), theirs: new Map() }))
      p[side].set(f.file.id, (p[side].get(f.file.id) ?? 0) + sign)
    }
  }
  count(ours.removed, 'ours', -1)
  count(ours.added, 'ours', 1)
  count(theirs.removed, 'theirs', -1)
  count(theirs.added, 'theirs', 1)
  const out: FilesMerge = { removes: [], adds: [], conflicts: [] }
  for (const p of byPartition.values()) {
    const verdict = mergePartition(p.ours, p.theirs, strategy)
    if ('conflict' in verdict) {
      out.conflicts.push({ partition: p.partition, rule: verdict.conflict })
      continue
    }
    for (const [id, n] of verdict.apply) {
      const f = files.get(id)!
      for (let i = 0; i < Math.abs(n); i++) {
        if (n > 0) out.adds.push(f.file)
        else out.removes.push({ id: f.file.id, rows: f.file.rows, bytes: f.file.bytes, manifest: f.manifest })
      }
    }
  }
  return out
}

/** Both sides' file changes are the same multisets: the identical change, taken once. */
function sameFiles(a: TableDelta, b: TableDelta): boolean {
  const ids = (fs: PlannedFile[]) => fs.map((f) => f.file.id).sort().join()
  return ids(a.added) === ids(b.added) && ids(a.removed) === ids(b.removed)
}

function keyedChangesOf(base: TableMetadata, dOurs: TableDelta, dTheirs: TableDelta, strategy?: MergeStrategy): KeyedPartitions {
  const partitions = new Map<string, Record<string, Value>>()
  for (const f of [...dOurs.added, ...dOurs.removed, ...dTheirs.added, ...dTheirs.removed]) partitions.set(partitionKey(f.file.partition), f.file.partition)
  return {
    base, partitions: [...partitions.values()], strategy,
    ours: { removed: dOurs.removed, added: dOurs.added },
    theirsFiles: { removed: dTheirs.removed, added: dTheirs.added },
  }
}

/** Partition values by partition field name, as the report shows them. */
export function namedPartition(spec: PartitionField[], partition: Record<string, Value>): Record<string, Value> {
  const out: Record<string, Value> = {}
  for (const [id, v] of Object.entries(partition)) out[spec.find((p) => String(p.fieldId) === id)?.name ?? id] = v
  return out
}

/** For messages: a table's metadata id, short. */
export function describeTable(id: ObjectId | undefined): string {
  return id ? shortId(id) : 'absent'
}
