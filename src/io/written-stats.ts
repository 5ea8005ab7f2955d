/**
 * Facts about written Parquet files: from DuckDB's COPY ... RETURN_STATS
 * (free: the writer computed them) and from a Parquet footer (for files
 * stored as-is), in canonical text form keyed by field id.
 */
import type { ColumnInfo, Field, Schema } from '../format/types.js'
import { canonicalFromDuck, compareCanonical } from './canonical-text.js'
import { Duck, quoteIdent, quoteLiteral, type Row } from './duck.js'
import { allFields, isPrimitive, primitiveTypeOf, type FieldEntry } from '../format/fields.js'

export interface FileFacts {
  path: string
  rows: number
  bytes: number
  /** Keyed by field id. */
  columns: Record<string, ColumnInfo>
}

type Pairs = Array<{ key: string; value: unknown }>

/**
 * One FileFacts per RETURN_STATS row, with an entry for every field at every
 * depth (format-spec/manifest.md#nested-columns) named by its physical name
 * inside its parent. Min/max come only for leaves; the null counts of nested
 * fields and of fields inside lists and maps are set by completeNestedFacts.
 */
export function factsFromCopyStats(rows: Row[], schema: Schema): FileFacts[] {
  const fields = allFields(schema)
  const byKey = new Map(fields.filter((f) => isPrimitive(f.type)).map((f) => [statsKey(f.path), f]))
  return rows.map((row) => {
    const columns: Record<string, ColumnInfo> = {}
    const fileRows = Number(row.count)
    for (const entry of (row.column_statistics ?? []) as Pairs) {
      const field = byKey.get(entry.key) ?? byKey.get(statsKey([unquoteName(entry.key)]))
      if (!field) continue
      const stats = Object.fromEntries((entry.value as Pairs).map((p) => [p.key, String(p.value)]))
      columns[String(field.id)] = columnInfo(leafName(field), stats.min, stats.max, stats.null_count === undefined ? undefined : Number(stats.null_count), 'stats')
    }
    for (const field of fields) columns[String(field.id)] ??= { name: field.path[field.path.length - 1]!, nulls: field.path.length === 1 ? fileRows : 0 }
    return { path: String(row.filename), rows: fileRows, bytes: Number(row.file_size_bytes), columns }
  })
}

/** DuckDB's name of a leaf column in RETURN_STATS: its path, each name double-quoted, joined by dots. */
function statsKey(path: readonly string[]): string {
  return path.map((n) => `"${n.replace(/"/g, '""')}"`).join('.')
}

function leafName(field: FieldEntry): Pick<Field, 'name' | 'type'> {
  return { name: field.path[field.path.length - 1]!, type: field.type }
}

function unquoteName(key: string): string {
  return key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1).replace(/""/g, '"') : key
}

function columnInfo(field: Pick<Field, 'name' | 'type'>, min: string | undefined, max: string | undefined, nulls: number | undefined, flavor: 'stats' | 'text'): ColumnInfo {
  const info: ColumnInfo = { name: field.name, nulls: nulls ?? 0 }
  const type = primitiveTypeOf(field, 'write')
  const lo = min === undefined ? undefined : canonicalFromDuck(type, min, flavor)
  const hi = max === undefined ? undefined : canonicalFromDuck(type, max, flavor)
  if (lo !== undefined) info.min = lo
  if (hi !== undefined) info.max = hi
  return info
}

/**
 * Facts from a Parquet footer alone (no data read unless a row group lacks a
 * null count). Min/max across row groups are kept only when every row group
 * with values has them. `physical` maps field id -> column name in the file.
 */
export async function factsFromFooter(duck: Duck, path: string, bytes: number, fields: Field[], physical: Map<number, string>): Promise<FileFacts> {
  const file = quoteLiteral(path)
  const [meta] = await duck.all(`SELECT num_rows FROM parquet_file_metadata(${file})`)
  const rows = Number(meta.num_rows)
  const stats = await duck.all(`SELECT path_in_schema AS col, num_values, stats_min_value AS lo, stats_max_value AS hi, stats_null_count AS nulls FROM parquet_metadata(${file})`)
  const columns: Record<string, ColumnInfo> = {}
  const missingNulls: Field[] = []
  for (const field of fields) {
    const name = physical.get(field.id) ?? field.name
    const type = primitiveTypeOf(field, 'collect statistics of')
    const groups = stats.filter((s) => s.col === name)
    let nulls: number | undefined = 0
    let lo: string | undefined
    let hi: string | undefined
    let exact = true
    for (const g of groups) {
      if (g.nulls === null || g.nulls === undefined) nulls = undefined
      else if (nulls !== undefined) nulls += Number(g.nulls)
      const gLo = g.lo === null ? undefined : canonicalFromDuck(type, String(g.lo))
      const gHi = g.hi === null ? undefined : canonicalFromDuck(type, String(g.hi))
      const hasValues = g.nulls === null || Number(g.num_values) > Number(g.nulls)
      if (gLo === undefined || gHi === undefined) {
        if (hasValues) exact = false
        continue
      }
      if (lo === undefined || compareCanonical(type, gLo, lo) < 0) lo = gLo
      if (hi === undefined || compareCanonical(type, gHi, hi) > 0) hi = gHi
    }
    const info: ColumnInfo = { name, nulls: nulls ?? 0 }
    if (exact && lo !== undefined && hi !== undefined) Object.assign(info, { min: lo, max: hi })
    if (nulls === undefined) missingNulls.push(field)
    columns[String(field.id)] = info
  }
  if (missingNulls.length) {
    const exprs = missingNulls.map((f, i) => `count(*) - count(${quoteIdent(columns[String(f.id)].name)}) AS n${i}`)
    const [counts] = await duck.all(`SELECT ${exprs.join(', ')} FROM read_parquet(${file})`)
    missingNulls.forEach((f, i) => { columns[String(f.id)].nulls = Number(counts[`n${i}`]) })
  }
  return { path, rows, bytes, columns }
}

