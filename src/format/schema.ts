/**
 * Schemas and partition specs (format-spec/table-metadata.md#schema and
 * #partition-spec): decoding with validation, and parsing `--partition-by`.
 */
import { DvError } from '../errors.js'
import { childPath } from './canonical-json.js'
import { fieldById, findField, isPrimitive, type FieldEntry } from './fields.js'
import { fail, isJsonObject, readArray, readBoolean, readInteger, readObject, readString, type JsonObject } from './json-fields.js'
import { isPrimitiveType, PLANNED_TYPES, PRIMITIVE_TYPE_NAMES } from './primitive-type.js'
import { formatFieldPath, formatType } from './type-text.js'
import type { Field, PartitionField, Schema, Transform, Type } from './types.js'
import { isTransformAllowed } from './values.js'

export const TRANSFORMS: readonly Transform[] = ['identity', 'day', 'month', 'year']
export const FIRST_PARTITION_FIELD_ID = 1000
const MAX_ID = 2 ** 31 - 1

function encodeType(type: Type): unknown {
  if (isPrimitive(type)) return type
  switch (type.type) {
    case 'struct':
      return { type: 'struct', fields: type.fields.map(encodeField) }
    case 'list':
      return { type: 'list', 'element-id': type.elementId, element: encodeType(type.element), 'element-required': type.elementRequired }
    case 'map':
      return { type: 'map', 'key-id': type.keyId, key: encodeType(type.key), 'value-id': type.valueId, value: encodeType(type.value), 'value-required': type.valueRequired }
  }
}

function encodeField(f: Field): JsonObject {
  return { id: f.id, name: f.name, type: encodeType(f.type), required: f.required }
}

export function encodeSchema(schema: Schema): JsonObject {
  return { fields: schema.fields.map(encodeField) }
}

/** Decodes one schema; `ids` collects field ids at every depth, which MUST be unique in the whole schema. */
class SchemaDecoder {
  private readonly ids = new Set<number>()

  id(v: unknown, path: string): number {
    const id = readInteger(v, path, 1, MAX_ID)
    if (this.ids.has(id)) fail(path, `duplicate field id ${id}`)
    this.ids.add(id)
    return id
  }

  fields(v: unknown, path: string, nonEmpty: boolean): Field[] {
    const names = new Set<string>()
    const items = readArray(v, path)
    if (nonEmpty && items.length === 0) fail(path, 'a struct needs at least one field')
    return items.map((item, i): Field => {
      const at = childPath(path, i)
      const f = readObject(item, at, ['id', 'name', 'type', 'required'])
      const id = this.id(f.id, `${at}.id`)
      const name = readString(f.name, `${at}.name`, { nonEmpty: true })
      if (names.has(name)) fail(`${at}.name`, `duplicate field name ${JSON.stringify(name)}`)
      names.add(name)
      return { id, name, type: this.type(f.type, `${at}.type`), required: readBoolean(f.required, `${at}.required`) }
    })
  }

  type(v: unknown, path: string): Type {
    if (typeof v === 'string') {
      if (isPrimitiveType(v)) return v
      if (PLANNED_TYPES.includes(v)) fail(path, `type ${v} is planned but not supported by dv yet`)
      return fail(path, `unknown type ${JSON.stringify(v)} (expected one of ${PRIMITIVE_TYPE_NAMES}, or a struct, list or map object)`)
    }
    if (!isJsonObject(v)) fail(path, 'expected a type name or a struct, list or map object')
    const tag = readString(v.type, `${path}.type`)
    switch (tag) {
      case 'struct': {
        const o = readObject(v, path, ['type', 'fields'])
        return { type: 'struct', fields: this.fields(o.fields, `${path}.fields`, true) }
      }
      case 'list': {
        const o = readObject(v, path, ['type', 'element-id', 'element', 'element-required'])
        const elementId = this.id(o['element-id'], `${path}.element-id`)
        const element = this.type(o.element, `${path}.element`)
        return { type: 'list', elementId, element, elementRequired: readBoolean(o['element-required'], `${path}.element-required`) }
      }
      case 'map': {
        if (Object.hasOwn(v, 'key-required')) fail(`${path}.key-required`, 'map keys are always required; the field must be left out')
        const o = readObject(v, path, ['type', 'key-id', 'key', 'value-id', 'value', 'value-required'])
        const keyId = this.id(o['key-id'], `${path}.key-id`)
        const valueId = this.id(o['value-id'], `${path}.value-id`)
        const key = this.type(o.key, `${path}.key`)
        const value = this.type(o.value, `${path}.value`)
        return { type: 'map', keyId, key, valueId, value, valueRequired: readBoolean(o['value-required'], `${path}.value-required`) }
      }
      default:
        return fail(`${path}.type`, `unknown nested type ${JSON.stringify(tag)} (expected struct, list or map)`)
    }
  }
}

/**
 * Decodes and validates a schema: field ids unique at every depth, names
 * unique among siblings, structs non-empty, every type known.
 */
export function decodeSchema(v: unknown, path: string): Schema {
  const o = readObject(v, path, ['fields'])
  return { fields: new SchemaDecoder().fields(o.fields, childPath(path, 'fields'), false) }
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
    const source = fieldById(schema, sourceId)
    if (!source) fail(`${at}.source-id`, `no field with id ${sourceId} in the schema`)
    const problem = sourceProblem(source)
    if (problem) fail(`${at}.source-id`, problem)
    if (!isTransformAllowed(transform, source.type)) {
      fail(`${at}.transform`, `transform ${transform} does not apply to ${formatFieldPath(source.path)} of type ${formatType(source.type)}`)
    }
    if (ids.has(fieldId)) fail(`${at}.field-id`, `duplicate partition field id ${fieldId}`)
    if (names.has(name)) fail(`${at}.name`, `duplicate partition field name ${JSON.stringify(name)}`)
    ids.add(fieldId)
    names.add(name)
    return { sourceId, fieldId, name, transform }
  })
}

/**
 * Why a field cannot be a partition source, or undefined: it must be a
 * primitive field outside lists and maps (inside structs is fine, as in Iceberg).
 */
function sourceProblem(source: FieldEntry): string | undefined {
  if (source.repeated) return `${formatFieldPath(source.path)} is inside a list or map and cannot be a partition source`
  if (!isPrimitive(source.type)) return `${formatFieldPath(source.path)} is ${formatType(source.type)}; a nested column cannot be a partition source`
  return undefined
}

const TERM = /^([A-Za-z]+)\s*\(\s*([^()]*?)\s*\)$/

function columnList(schema: Schema): string {
  return schema.fields.map((f) => `${f.name} (${formatType(f.type)})`).join(', ') || '(none)'
}

/**
 * Parses a partition spec as typed on the command line: "day(ts)", "country",
 * "country,month(ts)", "year(d)", "day(event.ts)" (a bare column means
 * identity; a dotted path names a field inside structs). Partition
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
    const source = findField(schema, column)
    if (!source) throw invalid(term, `names unknown column ${JSON.stringify(column)}`)
    const path = formatFieldPath(source.path)
    const problem = sourceProblem(source)
    if (problem) throw invalid(term, `cannot be used: ${problem}`)
    if (!isTransformAllowed(transform, source.type)) {
      const needs = transform === 'identity' ? 'a column that is not float or double' : 'a date, timestamp, timestamptz, timestamp_ns or timestamptz_ns column'
      throw invalid(term, `needs ${needs}, but ${path} is ${formatType(source.type)}`)
    }
    const name = transform === 'identity' ? path : `${path}_${transform}`
    if (spec.some((p) => p.name === name)) throw invalid(term, 'appears twice')
    spec.push({ sourceId: source.id, fieldId: FIRST_PARTITION_FIELD_ID + spec.length, name, transform })
  }
  return spec
}

/** The partition spec as people write it, e.g. "country,day(ts)". */
export function formatPartitionBy(spec: PartitionField[], schema: Schema): string {
  return spec
    .map((p) => {
      const source = fieldById(schema, p.sourceId)
      const column = source ? formatFieldPath(source.path) : `#${p.sourceId}`
      return p.transform === 'identity' ? column : `${p.transform}(${column})`
    })
    .join(',')
}
