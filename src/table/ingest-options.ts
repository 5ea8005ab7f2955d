/**
 * What a write reads its input with: the schema declared for a new table
 * (--schema), and the CSV options kept as table properties
 * (format-spec/table-metadata.md#csv-properties) so that later appends read
 * the same way unless a write overrides them. Compression describes a file,
 * not a table, and is not kept.
 */
import { readFile } from 'node:fs/promises'
import { DvError } from '../errors.js'
import { assignSchemaIds, parseSchema, printSchema } from '../format/index.js'
import type { Schema, TableMetadata } from '../format/types.js'
import type { CsvOptions } from '../io/types.js'

/** Property name of each CSV option, in the order they are documented. */
const CSV_PROPERTIES: Array<[keyof CsvOptions, string]> = [
  ['delimiter', 'dv.csv.delimiter'],
  ['quote', 'dv.csv.quote'],
  ['escape', 'dv.csv.escape'],
  ['header', 'dv.csv.header'],
  ['nullString', 'dv.csv.null'],
  ['dateFormat', 'dv.csv.date-format'],
  ['timestampFormat', 'dv.csv.timestamp-format'],
]

/** The CSV options a table's properties hold. */
export function csvOptionsOf(properties: Record<string, string> | undefined): CsvOptions {
  const out: CsvOptions = {}
  for (const [key, name] of CSV_PROPERTIES) {
    const v = properties?.[name]
    if (v === undefined) continue
    if (key === 'header') out.header = v !== 'false'
    else out[key as Exclude<keyof CsvOptions, 'header' | 'compression'>] = v
  }
  return out
}

/** Table properties recording `csv` (only the options that were set). */
export function csvProperties(csv: CsvOptions | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, name] of CSV_PROPERTIES) {
    const v = csv?.[key]
    if (v !== undefined) out[name] = String(v)
  }
  return out
}

/** The options a write reads CSV with: the table's, overridden by the write's own. */
export function effectiveCsv(table: TableMetadata | null, given: CsvOptions | undefined): CsvOptions {
  const out: CsvOptions = { ...csvOptionsOf(table?.properties) }
  for (const [key, value] of Object.entries(given ?? {})) if (value !== undefined) Object.assign(out, { [key]: value })
  return out
}

/**
 * The schema `--schema` declares, with fresh ids: the text form, JSON text,
 * or `@FILE` / a path ending in .json naming a file of either.
 */
export async function loadDeclaredSchema(text: string): Promise<{ schema: Schema; lastColumnId: number }> {
  let body = text
  const path = text.startsWith('@') ? text.slice(1) : /\.json$/i.test(text.trim()) ? text.trim() : undefined
  if (path !== undefined) {
    try {
      body = await readFile(path, 'utf8')
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT'
      throw new DvError(code, `cannot read the schema file ${path}: ${(e as Error).message}`, { cause: e, details: { file: path } })
    }
  }
  const schema = parseSchema(body)
  if (schema.fields.length === 0) throw new DvError('INVALID_ARGUMENT', 'the schema has no columns', { hint: 'give at least one column, e.g. --schema "id long not null"' })
  return assignSchemaIds(schema)
}

/** Refuses a --schema that disagrees with the existing table's (names, types, nullability; ids aside). */
export function checkDeclaredAgrees(tableName: string, table: TableMetadata, declared: Schema): void {
  const have = printSchema(table.schema)
  const given = printSchema(declared)
  if (have !== given) {
    throw new DvError('INVALID_ARGUMENT', `--schema disagrees with table '${tableName}': it has "${have}", --schema says "${given}"`, {
      hint: `omit --schema for an existing table (its schema governs), or change the table with 'dv table alter ${tableName} ...'`,
      details: { table: tableName, tableSchema: have, declared: given },
    })
  }
}
