/**
 * Primary-key checks over data files (format-spec/table-metadata.md#primary-key),
 * evaluated by DuckDB on the key columns alone, read by field id as scans
 * read them: keys that repeat within the table (dv table set-key), and rows
 * of the table whose key an input also has (appends to a keyed table). The
 * caller prunes the files first (by min/max of the key columns), so only
 * candidate files are read.
 */
import { randomUUID } from 'node:crypto'
import { DvError } from '../errors.js'
import type { Field, Schema } from '../format/types.js'
import { primitiveTypeOf } from '../format/fields.js'
import type { KeyReport, OpenedSource, ScanFile } from './types.js'
import { Duck, quoteIdent, toDvError } from './duck.js'
import { checkKeyNames, describeKey, keySelectSql, texts } from './input-checks.js'
import { filesRelation } from './scan.js'
import { inputRelationOf } from './source.js'
import { explainWriteError } from './write-parquet.js'

function keyFields(schema: Schema, columns: string[]): Field[] {
  return columns.map((c) => {
    const field = schema.fields.find((f) => f.name === c)
    if (!field) throw new DvError('INVALID_ARGUMENT', `unknown key column '${c}'; the table's columns are: ${schema.fields.map((f) => f.name).join(', ')}`)
    return field
  })
}

/** `SELECT c0 AS k0, ... FROM (files)`: the key columns of the files, renamed k0..kN. */
function keysOf(files: ScanFile[], fields: Field[]): string {
  return `SELECT ${fields.map((f, i) => `${quoteIdent(f.name)} AS k${i}`).join(', ')} FROM (${filesRelation(files, fields)}) AS f`
}

function exampleOf(fields: Field[], row: Record<string, unknown> | undefined): string | undefined {
  return row === undefined ? undefined : describeKey(fields.map((f) => f.name), fields.map((f) => primitiveTypeOf(f, 'use as keys')), row)
}

/** Keys occurring more than once in `files`: how many keys, how many rows hold them, one example. Nulls are not keys here. */
export async function findDuplicateKeys(duck: Duck, files: ScanFile[], schema: Schema, columns: string[]): Promise<KeyReport> {
  if (files.length === 0) return { keys: 0, rows: 0 }
  const fields = keyFields(schema, columns)
  const notNull = fields.map((_, i) => `k${i} IS NOT NULL`).join(' AND ')
  const groups = `SELECT *, count(*) AS n FROM (${keysOf(files, fields)}) AS k WHERE ${notNull} GROUP BY ALL HAVING count(*) > 1`
  try {
    const [row] = await duck.all(`SELECT count(*) AS keys, coalesce(sum(n), 0) AS rows FROM (${groups}) AS g`)
    const keys = Number(row?.keys ?? 0)
    if (keys === 0) return { keys: 0, rows: 0 }
    const [first] = await duck.all(`SELECT ${texts(columns)} FROM (${groups}) AS g ORDER BY n DESC LIMIT 1`)
    return { keys, rows: Number(row!.rows), example: exampleOf(fields, first) }
  } catch (e) {
    throw toDvError(e, 'cannot check the table for duplicate keys', { hint: 'a data file may be missing from the store; run dv fsck' })
  }
}

/** Rows of `files` whose key (all `columns`) also occurs in `source`, cast to the table's types: how many keys and rows, one example. */
export async function findExistingKeys(duck: Duck, files: ScanFile[], schema: Schema, columns: string[], source: OpenedSource): Promise<KeyReport> {
  if (files.length === 0) return { keys: 0, rows: 0 }
  const input = inputRelationOf(source, duck)
  checkKeyNames(input, columns, schema)
  const fields = keyFields(schema, columns)
  const table = `__dv_input_keys_${randomUUID().replace(/-/g, '')}`
  try {
    await duck.run(`CREATE TEMP TABLE ${table} AS ${keySelectSql(input, columns, schema)}`)
  } catch (e) {
    throw await explainWriteError(e, input)
  }
  try {
    const on = fields.map((_, i) => `t.k${i} = i.k${i}`).join(' AND ')
    const hits = `SELECT * FROM (${keysOf(files, fields)}) AS t SEMI JOIN ${table} AS i ON ${on}`
    const [row] = await duck.all(`SELECT count(*) AS rows, count(DISTINCT (${fields.map((_, i) => `k${i}`).join(', ')})) AS keys FROM (${hits}) AS h`)
    const rows = Number(row?.rows ?? 0)
    if (rows === 0) return { keys: 0, rows: 0 }
    const [first] = await duck.all(`SELECT ${texts(columns)} FROM (${hits}) AS h LIMIT 1`)
    return { keys: Number(row!.keys), rows, example: exampleOf(fields, first) }
  } catch (e) {
    throw toDvError(e, 'cannot check the input keys against the table', { hint: 'a data file may be missing from the store; run dv fsck' })
  } finally {
    await duck.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined)
  }
}
