/**
 * Plain text of `dv diff` and `dv diff --stat` (stable; scripts read it).
 * Counts in the --stat line carry thousands separators (`+1,204`), as git's
 * --stat output is read by people first.
 */
import type { ColumnDiff, DiffResult, DiffSide, SchemaChange, TableDiff } from '../src/index.js'
import { alignColumns, short } from './text.js'

/** 1204 -> '1,204' (by hand: the first toLocaleString call loads ICU data, 30-50 ms of start-up here). */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

export function sideName(s: DiffSide): string {
  return s.staged ? 'staged' : short(s.snapshot)
}

/** `+1,204 -310 rows, +3 -1 files` */
export function changeCounts(t: TableDiff): string {
  return `+${count(t.rows.added)} -${count(t.rows.removed)} rows, +${count(t.files.added)} -${count(t.files.removed)} files`
}

export function statusNote(t: TableDiff): string {
  return t.status === 'modified' ? '' : ` (${t.status})`
}

/** `events | +1,204 -310 rows, +3 -1 files`, one line per changed table, names aligned. */
export function formatDiffStat(d: DiffResult): string[] {
  return alignColumns(d.tables.map((t) => [t.table, `| ${changeCounts(t)}${statusNote(t)}`]), [], ' ')
}

export function formatSchemaChange(c: SchemaChange): string {
  switch (c.change) {
    case 'added':
      return `added ${c.path} ${c.type}${c.required ? ' not null' : ''} (id ${c.id})`
    case 'dropped':
      return `dropped ${c.path} ${c.type} (id ${c.id})`
    case 'renamed':
      return `renamed ${c.from} -> ${c.to} (id ${c.id})`
    case 'widened':
    case 'type-changed':
      return `${c.change} ${c.path} ${c.from} -> ${c.to} (id ${c.id})`
    default:
      return `${c.change} ${c.path} (id ${c.id})`
  }
}

export function formatPartitionValues(values: Record<string, string | null>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${v ?? 'null'}`).join(', ')
}

function range(r: { min?: string; max?: string }): string {
  if (r.min === undefined && r.max === undefined) return '-'
  return r.min === r.max ? (r.min ?? '?') : `${r.min ?? '?'}..${r.max ?? '?'}`
}

/** The rows of the per-column table: column, id, range of added rows, range of removed rows, nulls added/removed. */
export function columnRows(columns: ColumnDiff[]): string[][] {
  return columns.map((c) => [c.path, String(c.id), range(c.added), range(c.removed), `+${c.nulls.added} -${c.nulls.removed}`])
}

export const COLUMN_HEADER = ['column', 'id', 'added rows', 'removed rows', 'nulls']

export function tableHeadline(t: TableDiff): string {
  return `table ${t.table}${statusNote(t)}: ${changeCounts(t)}; rows ${count(t.rows.before)} -> ${count(t.rows.after)}`
}

export function formatTableDiff(t: TableDiff): string[] {
  const lines = [tableHeadline(t)]
  if (t.schema.length) lines.push('  schema:', ...t.schema.map((c) => `    ${formatSchemaChange(c)}`))
  if (t.partitions.length) {
    lines.push(`  partitions (${t.partitions.length} changed):`)
    const rows = t.partitions.map((p) => [formatPartitionValues(p.values), `+${count(p.rowsAdded)} -${count(p.rowsRemoved)} rows`, `+${p.filesAdded} -${p.filesRemoved} files`])
    lines.push(...alignColumns(rows).map((l) => `    ${l}`))
  }
  if (t.columns.length) lines.push('  columns:', ...alignColumns([COLUMN_HEADER, ...columnRows(t.columns)]).map((l) => `    ${l}`))
  if (t.properties.length) {
    lines.push('  properties:', ...t.properties.map((p) => `    ${p.key}: ${p.before ?? '(none)'} -> ${p.after ?? '(none)'}`))
  }
  if (t.contract) lines.push(`  contract ${t.contract.change}:`, ...t.contract.lines.filter((l) => !l.startsWith(' ')).map((l) => `    ${l}`))
  return lines
}

export function formatDiff(d: DiffResult): string[] {
  const head = `diff ${sideName(d.from)}..${sideName(d.to)}`
  if (d.tables.length === 0) return [head, 'no changes']
  return [head, ...d.tables.flatMap((t) => ['', ...formatTableDiff(t)])]
}
