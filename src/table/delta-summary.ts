/**
 * A TableDelta as people and programs read it (`dv diff`, `--stat`,
 * `--json`): totals on each side, rows and files per partition, statistics
 * of the rows added and removed per column, and property changes. Pure: it
 * uses only the metadata and manifest entries the delta already holds.
 */
import { lineDiff } from './contract/line-diff.js'
import type { ColumnDiff, PartitionDiff, TableDiff } from '../api-types.js'
import type { DataFile, PartitionField, TableMetadata, Value } from '../format/types.js'
import { compareValues, formatFieldPath, leafFields, partitionValueType, primitiveTypeOf, type FieldEntry, type ValueType } from '../format/index.js'
import type { TableDelta } from './delta.js'
import type { PlannedFile } from './scan-plan.js'

function totals(meta: TableMetadata | null): { rows: number; files: number; bytes: number } {
  const t = { rows: 0, files: 0, bytes: 0 }
  for (const m of meta?.manifests ?? []) {
    t.rows += m.rows
    t.files += m.files
    t.bytes += m.bytes
  }
  return t
}

function sum(files: PlannedFile[], key: 'rows' | 'bytes'): number {
  return files.reduce((n, f) => n + f.file[key], 0)
}

export function summarizeDelta(delta: TableDelta): TableDiff {
  const { before, after, added, removed } = delta
  const b = totals(before)
  const a = totals(after)
  return {
    table: delta.table,
    status: delta.status,
    tableId: { before: before?.tableId ?? null, after: after?.tableId ?? null },
    rows: { before: b.rows, after: a.rows, added: sum(added, 'rows'), removed: sum(removed, 'rows') },
    files: { before: b.files, after: a.files, added: added.length, removed: removed.length },
    bytes: { before: b.bytes, after: a.bytes, added: sum(added, 'bytes'), removed: sum(removed, 'bytes') },
    schema: delta.schema,
    partitions: partitionChanges(delta),
    columns: columnChanges(delta),
    properties: propertyChanges(before?.properties ?? {}, after?.properties ?? {}),
    ...contractChange(before?.contract?.text ?? null, after?.contract?.text ?? null),
  }
}

function contractChange(before: string | null, after: string | null): Pick<TableDiff, 'contract'> {
  if (before === after) return {}
  const change = before === null ? 'set' : after === null ? 'removed' : 'changed'
  return { contract: { change, before, after, lines: lineDiff(before ?? '', after ?? '') } }
}

interface NamedPartition {
  key: string
  values: Record<string, Value>
  /** Per partition field in spec order: its value and the type to order it by. */
  order: Array<{ type: ValueType; value: Value }>
}

/** The type each partition field's values are ordered by. */
function partitionTypes(meta: TableMetadata): ValueType[] {
  const leaves = leafFields(meta.schema)
  return meta.partitionSpec.map((p) => {
    const source = leaves.find((f) => f.id === p.sourceId)
    return source ? partitionValueType(p.transform, primitiveTypeOf(source)) : 'string'
  })
}

function namedPartition(file: DataFile, spec: PartitionField[], types: ValueType[]): NamedPartition {
  const values: Record<string, Value> = {}
  const order: NamedPartition['order'] = []
  spec.forEach((p, i) => {
    const value = file.partition[String(p.fieldId)] ?? null
    values[p.name] = value
    order.push({ type: types[i], value })
  })
  return { key: JSON.stringify(spec.map((p) => [p.name, values[p.name]])), values, order }
}

/** Rows and files added and removed per partition value, in the order of the values (nulls first). */
function partitionChanges(delta: TableDelta): PartitionDiff[] {
  const groups = new Map<string, { part: NamedPartition; diff: PartitionDiff }>()
  const visit = (files: PlannedFile[], meta: TableMetadata | null, side: 'Added' | 'Removed'): void => {
    if (!meta || meta.partitionSpec.length === 0 || files.length === 0) return
    const types = partitionTypes(meta)
    for (const { file } of files) {
      const part = namedPartition(file, meta.partitionSpec, types)
      let g = groups.get(part.key)
      if (!g) {
        g = { part, diff: { values: part.values, rowsAdded: 0, rowsRemoved: 0, filesAdded: 0, filesRemoved: 0 } }
        groups.set(part.key, g)
      }
      g.diff[`rows${side}`] += file.rows
      g.diff[`files${side}`] += 1
    }
  }
  visit(delta.removed, delta.before, 'Removed')
  visit(delta.added, delta.after, 'Added')
  return [...groups.values()].sort((x, y) => comparePartitions(x.part, y.part)).map((g) => g.diff)
}

function comparePartitions(a: NamedPartition, b: NamedPartition): number {
  for (let i = 0; i < Math.min(a.order.length, b.order.length); i++) {
    const c = compareValues(a.order[i].type, a.order[i].value, b.order[i].value)
    if (c !== 0) return c
  }
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

interface Range {
  nulls: number
  min?: string
  max?: string
}

/** Nulls, min and max of one leaf column over `files` (a file without the column holds only nulls for it). */
function rangeOf(files: PlannedFile[], field: FieldEntry): Range {
  const type = primitiveTypeOf(field)
  const range: Range = { nulls: 0 }
  for (const { file } of files) {
    const col = file.columns[String(field.id)]
    if (!col) {
      range.nulls += file.rows
      continue
    }
    range.nulls += col.nulls
    if (col.min !== undefined && (range.min === undefined || compareValues(type, col.min, range.min) < 0)) range.min = col.min
    if (col.max !== undefined && (range.max === undefined || compareValues(type, col.max, range.max) > 0)) range.max = col.max
  }
  return range
}

const bounds = (r: Range | undefined): ColumnDiff['added'] =>
  r === undefined ? {} : { ...(r.min === undefined ? {} : { min: r.min }), ...(r.max === undefined ? {} : { max: r.max }) }

/** Per leaf column (of either side, by field id): the statistics of the added and the removed rows. */
function columnChanges(delta: TableDelta): ColumnDiff[] {
  if (delta.added.length === 0 && delta.removed.length === 0) return []
  const afterLeaves = delta.after ? leafFields(delta.after.schema) : []
  const beforeLeaves = delta.before ? leafFields(delta.before.schema) : []
  const ids = new Set(afterLeaves.map((f) => f.id))
  // a replaced table's ids are unrelated to the old one's: its columns are listed apart
  const sameTable = delta.status === 'modified'
  const columns: ColumnDiff[] = []
  for (const f of afterLeaves) {
    const added = delta.added.length ? rangeOf(delta.added, f) : undefined
    const old = sameTable ? beforeLeaves.find((x) => x.id === f.id) : undefined
    const removed = old && delta.removed.length ? rangeOf(delta.removed, old) : undefined
    columns.push({ id: f.id, path: formatFieldPath(f.path), nulls: { added: added?.nulls ?? 0, removed: removed?.nulls ?? 0 }, added: bounds(added), removed: bounds(removed) })
  }
  for (const f of beforeLeaves) {
    if (sameTable && ids.has(f.id)) continue
    const removed = delta.removed.length ? rangeOf(delta.removed, f) : undefined
    columns.push({ id: f.id, path: formatFieldPath(f.path), nulls: { added: 0, removed: removed?.nulls ?? 0 }, added: {}, removed: bounds(removed) })
  }
  return columns
}

function propertyChanges(before: Record<string, string>, after: Record<string, string>): TableDiff['properties'] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
  return keys.filter((k) => before[k] !== after[k]).map((k) => ({ key: k, before: before[k] ?? null, after: after[k] ?? null }))
}
