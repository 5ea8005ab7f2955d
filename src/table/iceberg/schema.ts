/**
 * dv schemas as Iceberg format-version 2 schemas (format-spec/iceberg-export.md):
 * the same field ids and names, Iceberg's spelling of the types, a refusal
 * for the types v2 lacks, and the name mapping that readers use for data
 * files without Parquet field ids. Pure: no I/O.
 */
import { DvError } from '../../errors.js'
import { allFields, childFields, isPrimitive } from '../../format/fields.js'
import { decimalParams, fixedLength } from '../../format/primitive-type.js'
import { formatFieldPath } from '../../format/type-text.js'
import type { Field, Schema, Type } from '../../format/types.js'

/** dv types that Iceberg v2 cannot hold (they are Iceberg v3 types of the same name). */
const V3_ONLY: ReadonlySet<string> = new Set(['timestamp_ns', 'timestamptz_ns'])

/**
 * Refuses (UNSUPPORTED, exit 5) a schema with a type Iceberg v2 cannot
 * represent, naming the column: nothing is written for such a table.
 */
export function checkIcebergV2(schema: Schema, table: string, where: string): void {
  for (const f of allFields(schema)) {
    if (isPrimitive(f.type) && V3_ONLY.has(f.type)) {
      const path = formatFieldPath(f.path)
      throw new DvError('UNSUPPORTED', `column '${path}' of table '${table}' has type ${f.type}${where}, which Iceberg format version 2 cannot represent`, {
        hint: `${f.type} exists only in Iceberg v3, which dv does not export yet; export a snapshot before the column existed (--at), or keep a microsecond copy (${f.type === 'timestamp_ns' ? 'timestamp' : 'timestamptz'}) in the table and drop this column`,
        details: { table, column: path, type: f.type },
      })
    }
  }
}

export type IcebergType = string | Record<string, unknown>

/** A dv type in Iceberg's JSON: `fixed[L]` for `fixed(L)`, `decimal(P, S)`, nested types with Iceberg's keys. */
export function icebergType(type: Type): IcebergType {
  if (isPrimitive(type)) {
    const decimal = decimalParams(type)
    if (decimal) return `decimal(${decimal.precision}, ${decimal.scale})`
    const length = fixedLength(type)
    if (length !== undefined) return `fixed[${length}]`
    return type
  }
  switch (type.type) {
    case 'struct':
      return { type: 'struct', fields: type.fields.map(icebergField) }
    case 'list':
      return { type: 'list', 'element-id': type.elementId, element: icebergType(type.element), 'element-required': type.elementRequired }
    case 'map':
      return { type: 'map', 'key-id': type.keyId, key: icebergType(type.key), 'value-id': type.valueId, value: icebergType(type.value), 'value-required': type.valueRequired }
  }
}

function icebergField(f: Field): Record<string, unknown> {
  return { id: f.id, name: f.name, required: f.required, type: icebergType(f.type) }
}

/** The schema object of Iceberg table metadata (`schemas[]`), and of a manifest's `schema` header. */
export function icebergSchema(schema: Schema, schemaId: number, identifierFieldIds?: number[]): Record<string, unknown> {
  return {
    type: 'struct',
    'schema-id': schemaId,
    ...(identifierFieldIds?.length ? { 'identifier-field-ids': identifierFieldIds } : {}),
    fields: schema.fields.map(icebergField),
  }
}

export interface NameMappingField {
  'field-id': number
  names: string[]
  fields?: NameMappingField[]
}

/**
 * `schema.name-mapping.default`: for each field, its current name and every
 * physical name a data file records for its id (old names after a rename),
 * so that readers resolve columns of files written without Parquet field ids.
 * A name claimed by two siblings stays only with the field it names now (a
 * dropped column's name reused by a new one must not map old data to it).
 */
export function nameMapping(schema: Schema, physicalNames: ReadonlyMap<number, ReadonlySet<string>>): NameMappingField[] {
  const level = (children: ReturnType<typeof childFields>): NameMappingField[] => {
    const current = new Set(children.map((c) => c.name))
    const claims = new Map<string, number>()
    for (const c of children) {
      for (const n of physicalNames.get(c.id) ?? []) claims.set(n, (claims.get(n) ?? 0) + 1)
    }
    return children.map((c) => {
      const names = [c.name]
      if (c.role === 'element') names.push('item') // pyarrow's default name of a list element
      for (const n of physicalNames.get(c.id) ?? []) {
        if (names.includes(n) || current.has(n) || (claims.get(n) ?? 0) > 1) continue
        names.push(n)
      }
      const inner = level(childFields(c.type))
      return { 'field-id': c.id, names, ...(inner.length ? { fields: inner } : {}) }
    })
  }
  return level(childFields({ type: 'struct', fields: schema.fields }))
}
