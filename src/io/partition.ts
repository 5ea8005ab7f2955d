/**
 * Partitioning of a write: the synthetic columns DuckDB's PARTITION_BY splits
 * on, and each written file's partition values read back from its statistics
 * (so hive directory-name escaping never matters). Transforms follow
 * format-spec/values.md: identity keeps the value; day/month/year of a
 * timestamptz are taken in UTC (the session time zone), of a timestamp on its
 * wall clock, of a date directly.
 */
import { DvError } from '../errors.js'
import type { Field, PartitionField, Schema, Value } from '../format/types.js'
import { applyTimeTransform, compareCanonical } from './canonical-text.js'
import { Duck, quoteIdent, quoteLiteral } from './duck.js'
import type { FileFacts } from './written-stats.js'
import { fieldById, primitiveTypeOf } from '../format/fields.js'
import { formatFieldPath } from '../format/type-text.js'

const STRFTIME = { day: '%Y-%m-%d', month: '%Y-%m', year: '%Y' } as const

export function partitionSource(spec: PartitionField, schema: Schema): Field {
  const field = schema.fields.find((f) => f.id === spec.sourceId)
  const nested = field ? undefined : fieldById(schema, spec.sourceId)
  if (nested) {
    const column = formatFieldPath(nested.path)
    throw new DvError('UNSUPPORTED', `partition source '${column}' is inside a struct; this version of dv cannot partition by nested fields yet`, { details: { column } })
  }
  if (!field) throw new DvError('INVALID_ARGUMENT', `partition field '${spec.name}' refers to field id ${spec.sourceId}, which is not in the schema`)
  const type = primitiveTypeOf(field, 'partition by')
  if (spec.transform !== 'identity' && !['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns'].includes(type)) {
    throw new DvError('INVALID_ARGUMENT', `partition transform ${spec.transform}(${field.name}) needs a date or timestamp column, not ${type}`)
  }
  return field
}

/**
 * SQL for the synthetic column of one partition field over the output column
 * `field.name`. Strings are hashed (md5) so any value, even '' or a long one,
 * makes a safe directory name; NULL stays NULL (its own partition).
 */
export function partitionExpression(spec: PartitionField, field: Field): string {
  const col = quoteIdent(field.name)
  if (spec.transform === 'identity') return field.type === 'string' ? `md5(${col})` : `CAST(${col} AS VARCHAR)`
  return `strftime(${col}, ${quoteLiteral(STRFTIME[spec.transform])})`
}

/** The partition values of a written file (all its rows share them), keyed by partition field id. */
export async function partitionValues(duck: Duck, facts: FileFacts, specs: PartitionField[], schema: Schema): Promise<Record<string, Value>> {
  const values: Record<string, Value> = {}
  for (const spec of specs) {
    const field = partitionSource(spec, schema)
    const info = facts.columns[String(field.id)]
    let value: Value
    if (info.nulls === facts.rows) value = null
    else if (info.min === undefined || info.max === undefined) {
      if (spec.transform !== 'identity' || field.type !== 'string') throw missing(facts, field)
      const [row] = await duck.all(`SELECT ${quoteIdent(info.name)} AS v FROM read_parquet(${quoteLiteral(facts.path)}) WHERE ${quoteIdent(info.name)} IS NOT NULL LIMIT 1`)
      value = String(row.v)
    } else {
      const lo = spec.transform === 'identity' ? info.min : applyTimeTransform(spec.transform, info.min)
      const hi = spec.transform === 'identity' ? info.max : applyTimeTransform(spec.transform, info.max)
      if (compareCanonical(spec.transform === 'identity' ? primitiveTypeOf(field) : 'string', lo, hi) !== 0) throw mixed(facts, spec)
      value = lo
    }
    values[String(spec.fieldId)] = value
  }
  return values
}

/** Whether every row of a file falls in one partition, judged from its statistics. */
export function isSinglePartition(facts: FileFacts, specs: PartitionField[], schema: Schema): boolean {
  return specs.every((spec) => {
    const info = facts.columns[String(partitionSource(spec, schema).id)]
    if (info.nulls === facts.rows) return true
    if (info.nulls > 0 || info.min === undefined || info.max === undefined) return false
    if (spec.transform === 'identity') return info.min === info.max
    return applyTimeTransform(spec.transform, info.min) === applyTimeTransform(spec.transform, info.max)
  })
}

function missing(facts: FileFacts, field: Field): DvError {
  return new DvError('INTERNAL', `no statistics for partition source column '${field.name}' in ${facts.path}`)
}

function mixed(facts: FileFacts, spec: PartitionField): DvError {
  return new DvError('INTERNAL', `written file ${facts.path} spans several values of partition field '${spec.name}'`)
}
