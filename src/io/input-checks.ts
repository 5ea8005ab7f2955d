/**
 * Checks an input must pass before an upsert: the key columns exist, hold no
 * nulls and no key repeats, evaluated by DuckDB over the input read as the
 * write would read it. (The overwrite --where check runs in the sandbox over
 * the written files: rewrite-drop.ts countNotMatching.)
 */
import { DvError } from '../errors.js'
import type { PrimitiveType, Schema } from '../format/types.js'
import { Duck, quoteIdent, toDvError } from './duck.js'
import { isNumeric } from './duck-types.js'
import { inputSelectSql, type InputRelation } from './input-plan.js'
import { readerSql } from './readers.js'
import { explainWriteError } from './write-parquet.js'
import { isPrimitive, primitiveTypeOf } from '../format/fields.js'
import { formatType } from '../format/type-text.js'

/** Key columns as they must appear in the input (and, with a schema, in the table). */
export function checkKeyNames(input: InputRelation, columns: string[], schema?: Schema): void {
  if (!columns.length) throw new DvError('INVALID_ARGUMENT', 'no key columns given', { hint: 'name the key with --key COL[,COL]' })
  const twice = columns.find((c, i) => columns.indexOf(c) !== i)
  if (twice !== undefined) throw new DvError('INVALID_ARGUMENT', `key column '${twice}' is named twice`, { details: { column: twice } })
  if (schema) {
    const unknown = columns.filter((c) => !schema.fields.some((f) => f.name === c))
    if (unknown.length) {
      throw new DvError('INVALID_ARGUMENT', `unknown key column(s) ${list(unknown)}; the table's columns are: ${schema.fields.map((f) => f.name).join(', ')}`, {
        details: { columns: unknown },
      })
    }
  }
  const names = new Set(input.columns.map((c) => c.name))
  const missing = columns.filter((c) => !names.has(c))
  if (missing.length) {
    throw new DvError('INVALID_ARGUMENT', `key column(s) ${list(missing)} missing from ${input.file.name}; its columns are: ${input.columns.map((c) => c.name).join(', ')}`, {
      hint: 'every key column must be present in the input',
      details: { file: input.file.name, columns: missing },
    })
  }
}

/** `SELECT key0 AS k0, key1 AS k1, ...` over the input: cast to the table's types with a schema, as read without. */
export function keySelectSql(input: InputRelation, columns: string[], schema?: Schema): string {
  const inner = schema ? inputSelectSql(input, schema, columns) : `SELECT * FROM ${readerSql(input.file)}`
  return `SELECT ${columns.map((c, i) => `${quoteIdent(c)} AS k${i}`).join(', ')} FROM (${inner}) AS i`
}

export async function checkKeys(duck: Duck, input: InputRelation, columns: string[], schema?: Schema, duplicateHint?: string): Promise<void> {
  checkKeyNames(input, columns, schema)
  const keys = keySelectSql(input, columns, schema)
  const types = columns.map((c) => {
    const field = schema?.fields.find((f) => f.name === c)
    const column = field ?? input.columns.find((col) => col.name === c)!
    if (!isPrimitive(column.type)) {
      // a key compares whole values of primitive columns; a struct or a list is not one (an argument error, not the data's)
      throw new DvError('INVALID_ARGUMENT', `key column '${c}' has type ${formatType(column.type)}; a key is made of primitive columns (numbers, strings, dates, ...)`, {
        hint: 'key by primitive columns, e.g. --key id (write a struct field to a column of its own to key by it)',
        details: { column: c, type: formatType(column.type) },
      })
    }
    return primitiveTypeOf(column, 'use as keys')
  })
  const nullCounts = columns.map((_, i) => `count(*) FILTER (WHERE k${i} IS NULL) AS n${i}`)
  const [nulls] = await runInput(duck, input, `SELECT ${nullCounts.join(', ')} FROM (${keys}) AS k`)
  const nullIndex = columns.findIndex((_, i) => Number(nulls[`n${i}`]) > 0)
  if (nullIndex >= 0) {
    const column = columns[nullIndex]
    const count = Number(nulls[`n${nullIndex}`])
    const [example] = await runInput(duck, input, `SELECT ${texts(columns)} FROM (${keys}) AS k WHERE k${nullIndex} IS NULL LIMIT 1`)
    const key = columns.length > 1 ? ` (e.g. key ${describeKey(columns, types, example)})` : ''
    throw new DvError('INVALID_ARGUMENT', `key column '${column}' is null in ${count} row(s) of ${input.file.name}${key}`, {
      hint: `every input row needs a value in '${column}'`,
      details: { file: input.file.name, column, nulls: count },
    })
  }
  const groups = `SELECT *, count(*) AS n FROM (${keys}) AS k GROUP BY ALL HAVING count(*) > 1`
  const [dup] = await runInput(duck, input, `SELECT ${texts(columns)}, n, count(*) OVER () AS keys FROM (${groups}) AS g LIMIT 1`)
  if (dup) {
    const key = describeKey(columns, types, dup)
    const more = Number(dup.keys) > 1 ? ` (${Number(dup.keys)} keys repeat)` : ''
    throw new DvError('INVALID_ARGUMENT', `duplicate key ${key} occurs ${Number(dup.n)} times in ${input.file.name}${more}`, {
      hint: duplicateHint ?? 'an upsert takes each key at most once: deduplicate the input',
      details: { file: input.file.name, columns, key: columns.map((_, i) => dup[`t${i}`] ?? null), count: Number(dup.n) },
    })
  }
}

export function texts(columns: string[]): string {
  return columns.map((_, i) => `CAST(k${i} AS VARCHAR) AS t${i}`).join(', ')
}

export function describeKey(columns: string[], types: PrimitiveType[], row: Record<string, unknown>): string {
  const parts = columns.map((c, i) => {
    const v = row[`t${i}`]
    const text = v === null || v === undefined ? 'null' : isNumeric(types[i]) || types[i] === 'boolean' ? String(v) : `'${String(v)}'`
    return `${c}=${text}`
  })
  return columns.length > 1 ? `(${parts.join(', ')})` : parts[0]
}

async function runInput(duck: Duck, input: InputRelation, sql: string): Promise<Record<string, unknown>[]> {
  try {
    return await duck.all(sql)
  } catch (e) {
    throw e instanceof DvError ? e : await explainWriteError(e, input).catch(() => toDvError(e, `cannot read ${input.file.name}`))
  }
}

function list(names: string[]): string {
  return names.map((n) => `'${n}'`).join(', ')
}
