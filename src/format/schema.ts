/**
 * Schemas and partition specs (format-spec/table-metadata.md#schema and
 * #partition-spec): decoding with validation, and parsing `--partition-by`.
 */
import { DvError } from '../errors.js'
import { childPath } from './canonical-json.js'
import { fail, readArray, readBoolean, readInteger, readObject, readString, type JsonObject } from './json-fields.js'
import { isPrimitiveType, PRIMITIVE_TYPE_NAMES } from './primitive-type.js'
import type { Field, PartitionField, Schema, Transform } from './types.js'
import { isTransformAllowed } from './values.js'

export const TRANSFORMS: readonly Transform[] = ['identity', 'day', 'month', 'year']
export const FIRST_PARTITION_FIELD_ID = 1000
const MAX_ID = 2 ** 31 - 1

export function encodeSchema(schema: Schema): JsonObject {
  return { fields: schema.fields.map((f) => ({ id: f.id, name: f.name, type: f.type, required: f.required })) }
}

export function decodeSchema(v: unknown, path: string): Schema {
  const o = readObject(v, path, ['fields'])
  const fieldsPath = childPath(path, 'fields')
  const ids = new Set<number>()
  const names = new Set<string>()
  const fields = readArray(o.fields, fieldsPath).map((item, i): Field => {
    const at = childPath(fieldsPath, i)
    const f = readObject(item, at, ['id', 'name', 'type', 'required'])
    const id = readInteger(f.id, `${at}.id`, 1, MAX_ID)
    const name = readString(f.name, `${at}.name`, { nonEmpty: true })
    const type = readString(f.type, `${at}.type`)
    if (!isPrimitiveType(type)) fail(`${at}.type`, `unknown type ${JSON.stringify(type)} (expected one of ${PRIMITIVE_TYPE_NAMES})`)
    if (ids.has(id)) fail(`${at}.id`, `duplicate field id ${id}`)
    if (names.has(name)) fail(`${at}.name`, `duplicate field name ${JSON.stringify(name)}`)
    ids.add(id)
    names.add(name)
    return { id, name, type, required: readBoolean(f.required, `${at}.required`) }
  })
  return { fields }
}

export function encodePartitionSpec(spec: PartitionField[]): JsonObject[] {
  return spec.map((p) => ({ 'source-id': p.sourceId, 'field-id': p.fieldId, name: p.name, transform: p.transform }))
}

/** Decodes a partition spec and checks it against the schema (sources exist, transforms fit their types). */
export function decodePartitionSpec(v: unknown, path: string, schema: Schema): PartitionField[] {
  const ids = new Set<number>()
  const names = new Set<string>()
  return readArray(v, path).map((item, i): PartitionField => {
    const at = childPath(path, i)
    const p = readObject(item, at, ['source-id', 'field-id', 'name', 'transform'])
    const sourceId = readInteger(p['source-id'], `${at}.source-id`, 1, MAX_ID)
    const fieldId = readInteger(p['field-id'], `${at}.field-id`, FIRST_PARTITION_FIELD_ID, MAX_ID)
    const name = readString(p.name, `${at}.name`, { nonEmpty: true })
    const transform = readString(p.transform, `${at}.transform`) as Transform
    if (!TRANSFORMS.includes(transform)) fail(`${at}.transform`, `unknown transform ${JSON.stringify(transform)} (expected one of ${TRANSFORMS.join(', ')})`)
    const source = schema.fields.find((f) => f.id === sourceId)
    if (!source) fail(`${at}.source-id`, `no field with id ${sourceId} in the schema`)
    if (!isTransformAllowed(transform, source.type)) fail(`${at}.transform`, `transform ${transform} does not apply to ${source.name} of type ${source.type}`)
    if (ids.has(fieldId)) fail(`${at}.field-id`, `duplicate partition field id ${fieldId}`)
    if (names.has(name)) fail(`${at}.name`, `duplicate partition field name ${JSON.stringify(name)}`)
    ids.add(fieldId)
    names.add(name)
    return { sourceId, fieldId, name, transform }
  })
}

const TERM = /^([A-Za-z]+)\s*\(\s*([^()]*?)\s*\)$/

function columnList(schema: Schema): string {
  return schema.fields.map((f) => `${f.name} (${f.type})`).join(', ') || '(none)'
}

/**
 * Parses a partition spec as typed on the command line: "day(ts)", "country",
 * "country,month(ts)", "year(d)" (a bare column means identity). Partition
 * field names are the column name for identity and `<column>_<transform>`
 * otherwise; field ids count up from 1000. Throws INVALID_ARGUMENT naming the
 * bad term and listing the columns.
 */
export function parsePartitionBy(text: string, schema: Schema): PartitionField[] {
  const terms = text.split(',').map((t) => t.trim())
  const invalid = (term: string, problem: string): DvError =>
    new DvError('INVALID_ARGUMENT', `invalid partition spec ${JSON.stringify(text)}: ${JSON.stringify(term)} ${problem}`, {
      hint: `partition by columns or day(col), month(col), year(col); columns: ${columnList(schema)}`,
    })
  const spec: PartitionField[] = []
  for (const term of terms) {
    if (term === '') throw invalid(term, 'is empty')
    const m = TERM.exec(term)
    const transform = (m ? m[1]!.toLowerCase() : 'identity') as Transform
    const column = m ? m[2]! : term
    if (!TRANSFORMS.includes(transform)) throw invalid(term, `uses unknown transform ${m![1]} (use ${TRANSFORMS.join(', ')})`)
    const source = schema.fields.find((f) => f.name === column)
    if (!source) throw invalid(term, `names unknown column ${JSON.stringify(column)}`)
    if (!isTransformAllowed(transform, source.type)) {
      const needs = transform === 'identity' ? 'a column that is not float or double' : 'a date, timestamp or timestamptz column'
      throw invalid(term, `needs ${needs}, but ${source.name} is ${source.type}`)
    }
    const name = transform === 'identity' ? source.name : `${source.name}_${transform}`
    if (spec.some((p) => p.name === name)) throw invalid(term, 'appears twice')
    spec.push({ sourceId: source.id, fieldId: FIRST_PARTITION_FIELD_ID + spec.length, name, transform })
  }
  return spec
}

/** The partition spec as people write it, e.g. "country,day(ts)". */
export function formatPartitionBy(spec: PartitionField[], schema: Schema): string {
  return spec
    .map((p) => {
      const column = schema.fields.find((f) => f.id === p.sourceId)?.name ?? `#${p.sourceId}`
      return p.transform === 'identity' ? column : `${p.transform}(${column})`
    })
    .join(',')
}
