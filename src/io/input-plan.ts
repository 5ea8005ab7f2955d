/**
 * How an ingest input is read as rows of the table schema: input columns are
 * matched to schema fields by name and cast losslessly to the field's type
 * (text inputs read text columns as text); optional fields the input lacks
 * read as typed NULLs. Used by writeParquet and by the checks of row-level
 * write modes, so both see the same values.
 */
import { DvError } from '../errors.js'
import type { Schema } from '../format/types.js'
import { quoteIdent } from './duck.js'
import { isLosslessCast, toDuckType } from './duck-types.js'
import { readerSql, type DuckColumn, type ReadableFile } from './readers.js'
import { isNested } from '../format/fields.js'
import { formatType } from '../format/type-text.js'

/** An opened input: its file and the columns DuckDB reads from it. */
export interface InputRelation {
  file: ReadableFile
  columns: DuckColumn[]
}

export interface ColumnPlan {
  /** One SELECT expression per schema field, in schema order. */
  select: string[]
  /** Text inputs: columns to read directly as another type. */
  overrides: Record<string, string>
  /** True when every input column already has the field's DuckDB type. */
  exact: boolean
}

/** Matches input columns to schema fields by name and decides each one's cast. */
export function planColumns(input: InputRelation, schema: Schema): ColumnPlan {
  const byName = new Map(input.columns.map((c) => [c.name, c]))
  const fieldNames = new Set(schema.fields.map((f) => f.name))
  const extra = input.columns.filter((c) => !fieldNames.has(c.name)).map((c) => c.name)
  if (extra.length) {
    throw new DvError('INVALID_ARGUMENT', `${input.file.name} has column(s) ${extra.map((n) => `'${n}'`).join(', ')} that the table schema lacks`, {
      hint: 'add the columns to the table schema before writing',
      details: { file: input.file.name, columns: extra },
    })
  }
  const textInput = input.file.format === 'csv' || input.file.format === 'ndjson'
  const plan: ColumnPlan = { select: [], overrides: {}, exact: true }
  for (const field of schema.fields) {
    const column = byName.get(field.name)
    const fieldType = field.type
    const duckType = toDuckType(fieldType)
    const out = quoteIdent(field.name)
    if (!column) {
      if (field.required) {
        throw new DvError('INVALID_ARGUMENT', `${input.file.name} lacks column '${field.name}', which the table requires`, {
          hint: `add a '${field.name}' column to the input`,
          details: { file: input.file.name, column: field.name },
        })
      }
      plan.exact = false
      plan.select.push(`CAST(NULL AS ${duckType}) AS ${out}`)
      continue
    }
    if (isNested(fieldType) ? formatType(column.type) !== formatType(fieldType) : column.duckType !== duckType) plan.exact = false
    if (textInput && fieldType === 'string' && column.type !== 'string') {
      // Text read as text keeps it exactly (e.g. '01234' stays '01234').
      plan.overrides[column.name] = 'VARCHAR'
    } else if (input.file.format === 'ndjson' && isNested(fieldType) && isNested(column.type) && formatType(column.type) !== formatType(fieldType)) {
      // JSON objects and arrays are read straight into the table's nested type
      // (an object whose keys vary is a map only when the table says so).
      plan.overrides[column.name] = duckType
    } else if (!isLosslessCast(column.type, fieldType)) {
      const [from, to] = [formatType(column.type), formatType(fieldType)]
      throw new DvError('INVALID_ARGUMENT', `column '${field.name}' of ${input.file.name} is ${from} but the table column is ${to}`, {
        hint: `convert the values to ${to} in the source, or write them to a new column`,
        details: { file: input.file.name, column: field.name, inputType: from, tableType: to },
      })
    }
    plan.select.push(`CAST(${quoteIdent(column.name)} AS ${duckType}) AS ${out}`)
  }
  return plan
}

/**
 * `SELECT ... FROM read_...(input)` yielding the input as table rows: every
 * schema field, or only the fields named in `only` (in that order).
 */
export function inputSelectSql(input: InputRelation, schema: Schema, only?: string[]): string {
  const plan = planColumns(input, schema)
  const select = only
    ? only.map((name) => plan.select[schema.fields.findIndex((f) => f.name === name)])
    : plan.select
  return `SELECT ${select.join(', ')} FROM ${readerSql(input.file, input.columns, plan.overrides)}`
}
